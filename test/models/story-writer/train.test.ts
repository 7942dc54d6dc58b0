import { expect } from 'chai';
import { type ChatMessage, IM_END, IM_START } from '../../../models/src/story-writer/chat.js';
import { chatStream, storyStream, trainStoryWriter } from '../../../models/src/story-writer/train.js';
import { trainBpe } from '../../../models/src/tokenizers/bpe.js';

const STORIES = [
  ['Tom had a red boat.', 'He rowed it on the lake.'],
  ['Mia found a blue stone.', 'She put it on the window.'],
];
const CHATS: ChatMessage[][] = [
  [
    { role: 'user', content: 'Tell me about a boat.' },
    { role: 'assistant', content: 'Tom had a red boat.' },
  ],
];
const SPEC = {
  nLayer: 1,
  nHead: 2,
  nEmbd: 16,
  nPositions: 64,
  maxMerges: 500,
  window: 8,
  steps: 30,
  batch: 2,
  chatWindows: 1,
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

  it('packs ChatML chats, each ended by <|endoftext|>, and marks the start of every turn', () => {
    const tok = trainBpe(['user\nTell me about a boat.', 'assistant\nTom had a red boat.'], {
      maxMerges: 500,
      minFrequency: 1,
      extraSpecialTokens: [IM_START, IM_END],
    });
    const s = chatStream(CHATS, tok);
    expect(tok.decode(Array.from(s.ids))).to.equal(
      '<|im_start|>user\nTell me about a boat.<|im_end|>\n<|im_start|>assistant\nTom had a red boat.<|im_end|>\n<|endoftext|>',
    );
    expect(s.starts.map((i) => tok.decode(Array.from(s.ids.slice(i, i + 2))))).to.deep.equal([
      '<|im_start|>user',
      '<|im_start|>assistant',
    ]);
  });

  it('lowers the loss by backpropagation and is bit-for-bit repeatable', () => {
    const losses: number[] = [];
    const corpus = { stories: STORIES, chats: CHATS };
    const a = trainStoryWriter(corpus, SPEC, (_, loss) => losses.push(loss));
    const b = trainStoryWriter(corpus, SPEC);
    expect(a.cfg.attentionWindow).to.equal(SPEC.window);
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
