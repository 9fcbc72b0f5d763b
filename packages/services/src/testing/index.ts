/**
 * Test helpers for @vectorplane/services: builders for Services and EndpointSlices with defaults, so
 * tables of cases stay short.
 * @packageDocumentation
 */
export { makeService, makeSlice, endpoint, type MakeServiceInit, type MakeSliceInit } from './builders.js';
