/**
 * The default way a model is loaded: fetch (or find in the cache) and verify the configured artifact, then open
 * it for its task with the configured engine and batching. Tests inject their own loader around this one.
 * @module
 */
import type { RuntimeConfig } from '../config.js';
import type { BatchHooks } from '../engine/batcher.js';
import { loadModel } from '../engine/load.js';
import type { LoadedModel } from '../engine/model.js';
import type { Fetch, ModelStore } from '../model-store/store.js';

/** What a loader gets besides the configuration. */
export interface LoadContext {
  readonly store: ModelStore;
  readonly hooks: BatchHooks;
  /** Called with the artifact fetch as soon as it starts, so its progress can be followed. */
  readonly onFetch: (fetch: Fetch) => void;
  /** Hears, once at load, what an operator should know about how the model is served. */
  readonly warn?: (fields: Record<string, unknown>, message: string) => void;
}

/** Resolves, verifies and loads the configured artifact. */
export type ModelLoader = (config: RuntimeConfig, context: LoadContext) => Promise<LoadedModel>;

export const loadConfiguredModel: ModelLoader = async (config, context) => {
  const fetch = context.store.fetch(config.artifactUri, config.artifactSha256);
  context.onFetch(fetch);
  const artifact = await fetch.result;
  return loadModel(artifact.dir, config.configuration, {
    engine: config.engine,
    batching: config.batching,
    hooks: context.hooks,
    ...(context.warn ? { warn: context.warn } : {}),
  });
};
