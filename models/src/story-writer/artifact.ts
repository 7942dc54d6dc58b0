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
import { CHAT_TEMPLATE, IM_END, parseChats } from './chat.js';
import { exportGpt2 } from './graph.js';
import { alibiSlopes, type Gpt2Config } from './model.js';
import { type Corpus, type StoryWriterSpec, trainStoryWriter } from './train.js';

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
    // Not GPT-2 fields: positions come from ALiBi biases (no wpe, no position_ids input) and attention is
    // a sliding window; the graph builds both from attention_mask, so nothing outside it reads these.
    position_embedding_type: 'alibi',
    alibi_slopes: alibiSlopes(cfg.nHead),
    sliding_window: cfg.attentionWindow ?? null,
    tie_word_embeddings: true,
    use_cache: true,
    torch_dtype: 'float32',
  };
}

function modelCard(name: string, cfg: Gpt2Config, spec: StoryWriterSpec, loss: string): string {
  return `# ${name}

A toy GPT-2 (pre-LayerNorm decoder, tied LM head, ALiBi positions) trained from scratch by the paissive
build (models/src/build.ts) on the short original stories in models/data/stories.txt and the chats in
models/data/chats.txt. It memorises and recombines those stories, and in a chat (ChatML template) it
answers with story sentences and ends its turn; it is for local mode and tests, not a useful language model.

- layers ${cfg.nLayer}, heads ${cfg.nHead}, width ${cfg.nEmbd}, context ${cfg.nPositions}, vocabulary ${cfg.vocabSize} (byte-level BPE, <|endoftext|>, <|im_start|>, <|im_end|>)
- attention is a sliding window of ${cfg.attentionWindow} tokens, the length of its training windows: each token sees at most the ${cfg.attentionWindow} tokens before it
- ${spec.steps} Adam steps of ${spec.batch} windows (${spec.chatWindows} from chats), seed ${spec.seed}; final training loss ${loss} nats/token
`;
}

/** The stories and chats a story writer learns from, in models/data. */
export function readCorpus(dataDir: string): Corpus {
  return {
    stories: parseStories(readFileSync(join(dataDir, 'stories.txt'), 'utf8')),
    chats: parseChats(readFileSync(join(dataDir, 'chats.txt'), 'utf8')),
  };
}

export function buildStoryWriter(name: string, dataDir: string, spec: StoryWriterSpec): Artifact {
  const m = trainStoryWriter(readCorpus(dataDir), spec);
  const eos = m.tokenizer.eosId;
  const endOfTurn = m.tokenizer.specialId(IM_END);
  const loss = fmtLoss(m.finalLoss);
  const files = new ArtifactFiles()
    .json('config.json', gpt2Config(m.cfg, eos))
    .json('generation_config.json', {
      bos_token_id: eos,
      // The end of a story and the end of an assistant's turn.
      eos_token_id: [eos, endOfTurn],
      pad_token_id: eos,
      do_sample: false,
      max_length: m.cfg.nPositions,
    })
    .jsonAll(gpt2TokenizerFiles(m.tokenizer, m.cfg.nPositions, CHAT_TEMPLATE))
    .bytes(
      'onnx/model.onnx',
      exportGpt2(m.params, m.cfg, `${name}: GPT-2 trained on models/data/stories.txt`),
    )
    .text('README.md', modelCard(name, m.cfg, spec, loss));
  return files.done(name, {
    paramCount: m.paramCount,
    finalLoss: m.finalLoss,
    detail: `gpt2 L${m.cfg.nLayer} E${m.cfg.nEmbd} H${m.cfg.nHead} V${m.cfg.vocabSize} ctx ${m.cfg.nPositions} (ALiBi, window ${spec.window}), ${spec.steps} steps`,
  });
}
