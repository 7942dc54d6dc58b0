import { expect } from 'chai';
import { storyStream, trainStoryWriter } from '../../../models/src/story-writer/train.js';
import { trainBpe } from '../../../models/src/tokenizers/bpe.js';

const STORIES = [
  ['Tom had a red boat.', 'He rowed it on the lake.'],
  ['Mia found a blue stone.', 'She put it on the window.'],
];
const SPEC = {
  nLayer: 1,
  nHead: 2,
  nEmbd: 16,
  nPositions: 16,
  maxMerges: 500,
  window: 8,
  steps: 30,
  batch: 2,
  lr: 0.01,
  seed: 1,
};

describe('story-writer training', () => {
  it('packs stories back to back, each ended by <|endoftext|>, and marks sentence starts', () => {
    const tok = trainBpe(
      STORIES.map((s) => s.join(' ')),
      { maxMerges: 500, minFrequency: 1 },
    );
    const s = storyStream(STORIES, tok);
    expect(tok.decode(Array.from(s.ids))).to.equal(
      `${STORIES[0]!.join(' ')}<|endoftext|>${STORIES[1]!.join(' ')}<|endoftext|>`,
    );
    expect(s.starts.map((i) => tok.decode([s.ids[i]!]))).to.deep.equal(['Tom', ' He', 'Mia', ' She']);
  });

  it('lowers the loss by backpropagation and is bit-for-bit repeatable', () => {
    const losses: number[] = [];
    const a = trainStoryWriter(STORIES, SPEC, (_, loss) => losses.push(loss));
    const b = trainStoryWriter(STORIES, SPEC);
    expect(losses.at(-1)).to.be.below(losses[0]! * 0.6);
    expect(a.finalLoss).to.equal(b.finalLoss);
    for (const [i, p] of a.params.all.entries()) {
      expect(
        Buffer.from(p.t.data.buffer).equals(Buffer.from(b.params.all[i]!.t.data.buffer)),
        p.name,
      ).to.equal(true);
    }
  });
});
