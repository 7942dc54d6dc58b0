/**
 * The sentence-embedder-v1 recipe: WordPiece vocabulary and contrastive embedder trained on
 * models/data/topics.txt, laid out as a BertModel (feature-extraction) directory.
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bertConfig, pack } from '../bert/encoder.js';
import { type Artifact, ArtifactFiles, fmtLoss } from '../build/artifact.js';
import { parseTopics } from '../data/corpus.js';
import { bertTokenizerFiles } from '../tokenizers/hf-files.js';
import { trainWordPiece } from '../tokenizers/wordpiece.js';
import { type EmbedderSpec, exportEmbedder, trainEmbedder } from './model.js';

const MAX_LENGTH = 128;

export function buildEmbedder(name: string, dataDir: string, spec: EmbedderSpec): Artifact {
  const rows = parseTopics(readFileSync(join(dataDir, 'topics.txt'), 'utf8'));
  const topics = [...new Set(rows.map((r) => r.label))];
  const groups = Int32Array.from(rows.map((r) => topics.indexOf(r.label)));
  const texts = rows.map((r) => r.text);
  const tok = trainWordPiece(texts, { minCount: 1 });
  const m = trainEmbedder(pack(tok, texts), groups, tok.vocab.length, spec);
  const loss = fmtLoss(m.finalLoss);
  const files = new ArtifactFiles()
    .json(
      'config.json',
      bertConfig({
        architecture: 'BertModel',
        vocabSize: tok.vocab.length,
        hiddenSize: spec.width,
        maxLength: MAX_LENGTH,
      }),
    )
    .jsonAll(bertTokenizerFiles(tok, MAX_LENGTH))
    .bytes('onnx/model.onnx', exportEmbedder(m.params, `${name}: trained on models/data/topics.txt`))
    .text(
      'README.md',
      `# ${name}\n\nA toy sentence embedder trained from scratch by the paissive build on ${rows.length} sentences in\n` +
        `${topics.length} topics (${topics.join(', ')}) from models/data/topics.txt. Hidden states are\n` +
        `tanh(embedding · W + b), width ${spec.width}; mean-pool them over the attention mask and L2-normalise.\n` +
        `Supervised contrastive loss (temperature ${spec.temperature}), ${spec.steps} full-batch Adam steps, seed ${spec.seed};\n` +
        `final training loss ${loss}. It knows only the words of its data and only these topics.\n`,
    );
  return files.done(name, {
    paramCount: m.paramCount,
    finalLoss: m.finalLoss,
    detail: `bag-of-embeddings embedder E${spec.width} V${tok.vocab.length}, ${rows.length} sentences/${topics.length} topics, ${spec.steps} steps`,
  });
}
