/** One describe per built story writer, with its ONNX session and its tokenizer loaded offline. */
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { ensureBuilt, modelDir } from './artifacts.js';
import { type Lm, loadLm } from './ort-lm.js';

/** Filled in by the describe's before hooks, so read its fields inside tests and hooks only. */
export interface StoryWriter {
  readonly name: string;
  lm: Lm;
  tok: PreTrainedTokenizer;
}

export function describeStoryWriters(title: string, body: (writer: StoryWriter) => void): void {
  describe(title, function () {
    this.timeout(120_000);
    before(async () => {
      await ensureBuilt();
      env.allowRemoteModels = false;
    });
    for (const name of ['story-writer-v1', 'story-writer-v2']) {
      describe(name, () => {
        const writer = { name } as StoryWriter;
        before(async () => {
          writer.lm = await loadLm(modelDir(name));
          writer.tok = await AutoTokenizer.from_pretrained(modelDir(name));
        });
        body(writer);
      });
    }
  });
}
