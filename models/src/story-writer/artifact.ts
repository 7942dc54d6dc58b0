/**
 * The story-writer recipes: train, export, and lay out a GPT-2 model directory (config, generation
 * config, byte-level BPE tokenizer files, onnx/model.onnx, a short model card).
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Artifact, ArtifactFiles, fmtLoss } from '../build/artifact.js';
import { parseStories } from '../data/corpus.js';
import { gpt2TokenizerFiles } from '../tokenizers/hf-files.js';
import { exportGpt2 } from './graph.js';
import type { Gpt2Config } from './model.js';
import { type StoryWriterSpec, trainStoryWriter } from './train.js';

function gpt2Config(cfg: Gpt2Config, eos: number): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    activation_function: 'gelu_new',
    attn_pdrop: 0,
    embd_pdrop: 0,
    resid_pdrop: 0,
    bos_token_id: eos,
    eos_token_id: eos,
    initializer_range: 0.02,
    layer_norm_epsilon: 1e-5,
    n_ctx: cfg.nPositions,
    n_embd: cfg.nEmbd,
    n_head: cfg.nHead,
    n_inner: null,
    n_layer: cfg.nLayer,
    n_positions: cfg.nPositions,
    vocab_size: cfg.vocabSize,
    tie_word_embeddings: true,
    use_cache: true,
    torch_dtype: 'float32',
  };
}

function modelCard(name: string, cfg: Gpt2Config, spec: StoryWriterSpec, loss: string): string {
  return `# ${name}

A toy GPT-2 (pre-LayerNorm decoder, tied LM head) trained from scratch by the paissive build
(models/src/build.ts) on the short original stories in models/data/stories.txt. It memorises and
recombines those stories; it is for local mode and tests, not a useful language model.

- layers ${cfg.nLayer}, heads ${cfg.nHead}, width ${cfg.nEmbd}, context ${cfg.nPositions}, vocabulary ${cfg.vocabSize} (byte-level BPE)
- trained on ${spec.window}-token windows, so text past about ${spec.window} tokens (prompt included) degrades
- ${spec.steps} Adam steps, seed ${spec.seed}; final training loss ${loss} nats/token
`;
}

export function buildStoryWriter(name: string, dataDir: string, spec: StoryWriterSpec): Artifact {
  const stories = parseStories(readFileSync(join(dataDir, 'stories.txt'), 'utf8'));
  const m = trainStoryWriter(stories, spec);
  const eos = m.tokenizer.eosId;
  const loss = fmtLoss(m.finalLoss);
  const files = new ArtifactFiles()
    .json('config.json', gpt2Config(m.cfg, eos))
    .json('generation_config.json', {
      bos_token_id: eos,
      eos_token_id: eos,
      pad_token_id: eos,
      do_sample: false,
      max_length: m.cfg.nPositions,
    })
    .jsonAll(gpt2TokenizerFiles(m.tokenizer, m.cfg.nPositions))
    .bytes(
      'onnx/model.onnx',
      exportGpt2(m.params, m.cfg, `${name}: GPT-2 trained on models/data/stories.txt`),
    )
    .text('README.md', modelCard(name, m.cfg, spec, loss));
  return files.done(name, {
    paramCount: m.paramCount,
    finalLoss: m.finalLoss,
    detail: `gpt2 L${m.cfg.nLayer} E${m.cfg.nEmbd} H${m.cfg.nHead} V${m.cfg.vocabSize}, ${spec.steps} steps`,
  });
}
