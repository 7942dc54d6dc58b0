/**
 * The ai.paissive.io/v1alpha1 resources: zod schemas (the one source of truth) and their TypeScript types.
 * @module
 */
export * from './aimodel.js';
export * from './manifests.js';
export * from './meta.js';
export * from './modelversion.js';
export * from './quantity.js';
export * from './traffic.js';
export * from './versions.js';
