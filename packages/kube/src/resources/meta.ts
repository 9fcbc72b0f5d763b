/** Shared Kubernetes meta types (k8s.io/apimachinery meta/v1) as zod schemas with the wire's field names. */
import { z } from 'zod';

/** `int-or-string` (targetPort, NetworkPolicyPort.port). */
export const IntOrStringSchema = z.union([z.number().int(), z.string().min(1)]);
export type IntOrString = z.infer<typeof IntOrStringSchema>;

const StringMap = z.record(z.string(), z.string());

export const OwnerReferenceSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof OwnerReferenceSchema>;

/** metav1.ObjectMeta: the fields a dataplane reads (managedFields and the like are dropped). */
export const ObjectMetaSchema = z.object({
  name: z.string().min(1),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  ownerReferences: z.array(OwnerReferenceSchema).optional(),
  finalizers: z.array(z.string()).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

export const LabelSelectorRequirementSchema = z.object({
  key: z.string(),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).optional(),
});
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirementSchema>;

/** metav1.LabelSelector. An empty selector matches everything. */
export const LabelSelectorSchema = z.object({
  matchLabels: StringMap.optional(),
  matchExpressions: z.array(LabelSelectorRequirementSchema).optional(),
});
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;

export const ProtocolSchema = z.enum(['TCP', 'UDP', 'SCTP']);
export type Protocol = z.infer<typeof ProtocolSchema>;

export const ConditionSchema = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});
export type Condition = z.infer<typeof ConditionSchema>;
