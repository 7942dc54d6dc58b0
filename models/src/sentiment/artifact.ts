/**
 * The sentiment-v1 recipe: WordPiece vocabulary and classifier trained on models/data/sentiment.tsv,
 * laid out as a BertForSequenceClassification directory.
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bertConfig, pack } from '../bert/encoder.js';
import { type Artifact, ArtifactFiles, fmtLoss } from '../build/artifact.js';
import { parseLabelled } from '../data/corpus.js';
import { bertTokenizerFiles } from '../tokenizers/hf-files.js';
import { trainWordPiece } from '../tokenizers/wordpiece.js';
import { type ClassifierSpec, exportClassifier, LABELS, trainClassifier } from './model.js';

const MAX_LENGTH = 128;

export function buildSentiment(name: string, dataDir: string, spec: ClassifierSpec): Artifact {
  const rows = parseLabelled(readFileSync(join(dataDir, 'sentiment.tsv'), 'utf8'));
  const labels = Int32Array.from(
    rows.map((r) => {
      const i = (LABELS as readonly string[]).indexOf(r.label);
      if (i < 0) throw new Error(`unknown label ${r.label}; allowed: ${LABELS.join(', ')}`);
      return i;
    }),
  );
  const tok = trainWordPiece(
    rows.map((r) => r.text),
    { minCount: 1 },
  );
  const m = trainClassifier(
    pack(
      tok,
      rows.map((r) => r.text),
    ),
    labels,
    tok.vocab.length,
    spec,
  );
  const id2label = Object.fromEntries(LABELS.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(LABELS.map((l, i) => [l, i]));
  const loss = fmtLoss(m.finalLoss);
  const files = new ArtifactFiles()
    .json(
      'config.json',
      bertConfig({
        architecture: 'BertForSequenceClassification',
        vocabSize: tok.vocab.length,
        hiddenSize: spec.width,
        maxLength: MAX_LENGTH,
        extra: { id2label, label2id, problem_type: 'single_label_classification' },
      }),
    )
    .jsonAll(bertTokenizerFiles(tok, MAX_LENGTH))
    .bytes('onnx/model.onnx', exportClassifier(m.params, `${name}: trained on models/data/sentiment.tsv`))
    .text(
      'README.md',
      `# ${name}\n\nA toy sentiment classifier (NEGATIVE/POSITIVE) trained from scratch by the paissive build on the\n` +
        `${rows.length} labelled sentences in models/data/sentiment.tsv: WordPiece embeddings (width ${spec.width}),\n` +
        `attention-masked mean pooling, a tanh layer and a linear head. ${spec.steps} full-batch Adam steps,\n` +
        `seed ${spec.seed}; final training loss ${loss}. A bag of words: it cannot read negation or sarcasm.\n`,
    );
  return files.done(name, {
    paramCount: m.paramCount,
    finalLoss: m.finalLoss,
    detail: `bag-of-embeddings classifier E${spec.width} V${tok.vocab.length}, ${rows.length} sentences, ${spec.steps} steps`,
  });
}
