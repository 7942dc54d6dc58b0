/**
 * The models the project builds, with their hyper-parameters: the one place to change a model.
 * Sizes were picked to pass the behaviour tests in test/models with the least CPU time.
 * @module
 */
import { buildEmbedder } from '../embedder/artifact.js';
import { buildSentiment } from '../sentiment/artifact.js';
import { buildStoryWriter } from '../story-writer/artifact.js';
import type { Artifact } from './artifact.js';

export interface Recipe {
  readonly name: string;
  /** Rough relative CPU cost, so the slowest builds start first. */
  readonly cost: number;
  readonly build: (dataDir: string) => Artifact;
}

export const RECIPES: readonly Recipe[] = [
  {
    name: 'story-writer-v2',
    cost: 8,
    build: (dataDir) =>
      buildStoryWriter('story-writer-v2', dataDir, {
        nLayer: 2,
        nHead: 4,
        nEmbd: 48,
        nPositions: 512,
        maxMerges: 4000,
        window: 32,
        steps: 200,
        batch: 4,
        chatWindows: 2,
        lr: 0.01,
        seed: 20,
      }),
  },
  {
    name: 'story-writer-v1',
    cost: 4,
    build: (dataDir) =>
      buildStoryWriter('story-writer-v1', dataDir, {
        nLayer: 1,
        // Four heads, four ALiBi slopes: with two, the 1-layer model ended its turn in 6 of 10 new chats, with four in 10.
        nHead: 4,
        nEmbd: 32,
        nPositions: 512,
        maxMerges: 4000,
        window: 32,
        steps: 240,
        batch: 4,
        chatWindows: 1,
        lr: 0.01,
        seed: 10,
      }),
  },
  {
    name: 'sentence-embedder-v1',
    cost: 1,
    build: (dataDir) =>
      buildEmbedder('sentence-embedder-v1', dataDir, { width: 48, steps: 120, lr: 0.02, temperature: 0.1, seed: 30 }),
  },
  {
    name: 'sentiment-v1',
    cost: 1,
    build: (dataDir) => buildSentiment('sentiment-v1', dataDir, { width: 32, steps: 150, lr: 0.02, seed: 40 }),
  },
];

export function recipe(name: string): Recipe {
  const r = RECIPES.find((x) => x.name === name);
  if (!r) throw new Error(`unknown model ${name}; known: ${RECIPES.map((x) => x.name).join(', ')}`);
  return r;
}
