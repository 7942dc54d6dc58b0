/**
 * The decoder of the generation benchmark: the Qwen2-layout export fixture of models/src/fixtures/decoders.ts
 * (grouped-query attention, position_ids, past_key_values.* / present.*), sized up to 4 layers, hidden 256,
 * 8 query heads and 2 key/value heads of 32, random weights, written at bench time into a temporary directory.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DECODER_SPECS, writeDecoderFixture } from '../../models/src/fixtures/decoders.js';
import type { BenchModelDir } from './minilm.js';

export const DECODER = { layers: 4, hidden: 256, heads: 8, kvHeads: 2 };

/** Writes the 4-layer decoder's model directory into a fresh temp dir. */
export async function writeDecoder(): Promise<BenchModelDir> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-decoder-'));
  const base = DECODER_SPECS['qwen2-gqa'];
  if (!base) throw new Error('models/src/fixtures/decoders.ts has no qwen2-gqa fixture');
  await writeDecoderFixture(dir, {
    ...base,
    graph: { ...base.graph, ...DECODER },
    config: {
      ...base.config,
      num_hidden_layers: DECODER.layers,
      hidden_size: DECODER.hidden,
      num_attention_heads: DECODER.heads,
      num_key_value_heads: DECODER.kvHeads,
      intermediate_size: 2 * DECODER.hidden,
    },
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
