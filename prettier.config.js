// Prettier, once for the whole workspace (`npm run format`; `npm test` checks it).
/** @type {import('prettier').Config} */
export default {
  printWidth: 120,
  singleQuote: true,
  trailingComma: 'all',
};
