/**
 * The built story-writer models behave like trained language models: greedy continuations of prompts
 * from the corpus are corpus words in corpus order, also deep into the 512-token context; prompts from
 * outside the corpus do not loop; KV-cached and left-padded runs agree with full passes, and
 * transformers.js drives them offline with the same answers. Chats: chat-behaviour.test.ts.
 */
import { readFileSync } from 'node:fs';
import { pipeline, type TextGenerationOutput } from '@huggingface/transformers';
import { expect } from 'chai';
import { parseStories } from '../../../models/src/data/corpus.js';
import { DATA_DIR, modelDir } from '../helpers/artifacts.js';
import { shapeOf } from '../helpers/assert.js';
import { argmax, greedy, maxAbsDiff, row, run } from '../helpers/ort-lm.js';
import { describeStoryWriters } from '../helpers/story-writers.js';

const stories = parseStories(readFileSync(`${DATA_DIR}/stories.txt`, 'utf8'));
const words = (text: string): string[] => (text.toLowerCase().match(/[a-z']+/g) ?? []).slice();
const corpusWords = stories.map((s) => words(s.join(' ')));
const vocabulary = new Set(corpusWords.flat());
const bigrams = new Set(corpusWords.flatMap((ws) => ws.slice(1).map((w, i) => `${ws[i]} ${w}`)));
const PROMPT_WORDS = 3;
/** Prompts that are not in the corpus, none of them the start of a story line. */
const FRESH_PROMPTS = [
  'The little girl found a',
  'A big dog ran to the',
  'My friend and I went to the',
  'It was a dark and stormy night',
  'The king had a golden',
  'Once upon a time there was a',
  'The robot liked to',
  'Yesterday I saw a bird',
  'The children played in the',
  'It was so cold that',
];
/** A 3-word sequence that comes back: what a loop ("it was so long that it was so long that") looks like. */
function repeatsTrigram(text: string): boolean {
  const w = words(text);
  const seen = new Set<string>();
  for (let i = 0; i + 3 <= w.length; i++) {
    const key = w.slice(i, i + 3).join(' ');
    if (seen.has(key)) return true;
    seen.add(key);
  }
  return false;
}

describeStoryWriters('story-writer models (built artifacts)', (m) => {
  const { name } = m;
  const encode = (text: string): number[] => Array.from(m.tok.encode(text));

  it('declares GPT-2 KV-cache I/O (ALiBi: no position_ids) with concrete heads and a batch_size dim', () => {
    const { n_layer: L, n_head: H, n_embd: E, vocab_size: V } = m.lm.cfg;
    expect(m.lm.session.inputNames).to.deep.equal([
      'input_ids',
      'attention_mask',
      ...Array.from({ length: L }, (_, l) => [
        `past_key_values.${l}.key`,
        `past_key_values.${l}.value`,
      ]).flat(),
    ]);
    expect(m.lm.session.outputNames[0]).to.equal('logits');
    const { inputMetadata: inputs, outputMetadata: outputs } = m.lm.session;
    expect(shapeOf(inputs, 'past_key_values.0.key')).to.deep.equal([
      'batch_size',
      H,
      'past_sequence_length',
      E / H,
    ]);
    expect(shapeOf(inputs, 'attention_mask')).to.deep.equal(['batch_size', 'total_sequence_length']);
    expect(shapeOf(outputs, 'logits')).to.deep.equal(['batch_size', 'sequence_length', V]);
    expect(shapeOf(outputs, `present.${L - 1}.value`)).to.deep.equal([
      'batch_size',
      H,
      'total_sequence_length',
      E / H,
    ]);
  });

  it('continues story openings with the corpus text, in corpus words and corpus word order', async () => {
    let exact = 0;
    let genWords = 0;
    let known = 0;
    let pairs = 0;
    let seenPairs = 0;
    for (const [i, story] of stories.entries()) {
      const target = corpusWords[i]!;
      const prompt = story[0]!.split(' ').slice(0, PROMPT_WORDS).join(' ');
      const ids = await greedy(m.lm, encode(prompt), 16);
      for (let k = 2; k < ids.length; k++) {
        expect(
          ids[k] === ids[k - 1] && ids[k] === ids[k - 2],
          `token repeated 3 times after "${prompt}"`,
        ).to.equal(false);
      }
      const continuation = words(m.tok.decode(ids));
      if (continuation.slice(0, 6).join(' ') === target.slice(PROMPT_WORDS, PROMPT_WORDS + 6).join(' '))
        exact++;
      const all = [...words(prompt), ...continuation.slice(0, -1)];
      genWords += all.length - PROMPT_WORDS;
      known += all.slice(PROMPT_WORDS).filter((w) => vocabulary.has(w)).length;
      for (let k = PROMPT_WORDS; k < all.length; k++) {
        pairs++;
        if (bigrams.has(`${all[k - 1]} ${all[k]}`)) seenPairs++;
      }
    }
    expect(exact, 'prompts whose next 6 words are the story text').to.be.at.least(
      Math.ceil(stories.length * 0.75),
    );
    expect(known / genWords, 'share of generated words that are corpus words').to.be.at.least(0.95);
    expect(seenPairs / pairs, 'share of generated word pairs that occur in the corpus').to.be.at.least(0.9);
  });

  it('has a 512-token context and continues story openings as well at its end as at its start', async () => {
    expect(m.lm.cfg.n_positions).to.be.at.least(512);
    // Other stories, one after another as in training, fill the context before each prompt.
    const filler: number[] = [];
    for (let k = 0; filler.length < 440; k++) {
      filler.push(...encode(stories[k % stories.length]!.join(' ')), m.lm.cfg.eos_token_id);
    }
    let exact = 0;
    for (const [i, story] of stories.entries()) {
      const prompt = encode(story[0]!.split(' ').slice(0, PROMPT_WORDS).join(' '));
      const context = [...filler.slice(-(m.lm.cfg.n_positions - prompt.length - 16 - 40)), ...prompt];
      expect(context.length).to.be.above(440);
      const continuation = words(m.tok.decode(await greedy(m.lm, context, 16)));
      if (
        continuation.slice(0, 6).join(' ') === corpusWords[i]!.slice(PROMPT_WORDS, PROMPT_WORDS + 6).join(' ')
      )
        exact++;
    }
    expect(exact, 'prompts after 440+ tokens whose next 6 words are the story text').to.be.at.least(
      Math.ceil(stories.length * 0.75),
    );
  });

  it('does not loop on prompts that are not lines of its corpus', async () => {
    for (const prompt of FRESH_PROMPTS) {
      expect(
        stories.flat().some((line) => line.startsWith(prompt)),
        prompt,
      ).to.equal(false);
    }
    const looping: string[] = [];
    for (const prompt of FRESH_PROMPTS) {
      const text = m.tok.decode(await greedy(m.lm, encode(prompt), 32));
      if (repeatsTrigram(text)) looping.push(`${prompt} -> ${text}`);
    }
    expect(looping, 'greedy continuations that repeat a 3-word sequence').to.have.length.at.most(1);
  });

  it('gives the same next-token logits from a KV-cached step as from a full pass', async () => {
    const ids = encode('The farmer had three white goats.');
    const n = ids.length;
    const full = await run(m.lm, [ids], [ids.map(() => 1)], [ids.map((_, i) => i)]);
    const prefix = await run(
      m.lm,
      [ids.slice(0, n - 2)],
      [ids.slice(0, n - 2).map(() => 1)],
      [ids.slice(0, n - 2).map((_, i) => i)],
    );
    const step1 = await run(
      m.lm,
      [[ids[n - 2]!]],
      [ids.slice(0, n - 1).map(() => 1)],
      [[n - 2]],
      prefix.past,
    );
    const step2 = await run(m.lm, [[ids[n - 1]!]], [ids.map(() => 1)], [[n - 1]], step1.past);
    const V = m.lm.cfg.vocab_size;
    expect(maxAbsDiff(row(step1, V, 0, 0), row(full, V, 0, n - 2))).to.be.below(1e-4);
    expect(maxAbsDiff(row(step2, V, 0, 0), row(full, V, 0, n - 1))).to.be.below(1e-4);
  });

  it('gives a left-padded batch row the logits of the same prompt alone, also after a cached step', async () => {
    const V = m.lm.cfg.vocab_size;
    const short = encode('Tom had a');
    const long = encode('The moon was round and bright');
    const pad = long.length - short.length;
    const eos = m.lm.cfg.eos_token_id;
    // transformers.js positions: cumsum(mask) - 1, with pads set to 1.
    const batch = await run(
      m.lm,
      [[...Array(pad).fill(eos), ...short], long],
      [[...Array(pad).fill(0), ...short.map(() => 1)], long.map(() => 1)],
      [[...Array(pad).fill(1), ...short.map((_, i) => i)], long.map((_, i) => i)],
    );
    const alone = await run(m.lm, [short], [short.map(() => 1)], [short.map((_, i) => i)]);
    expect(maxAbsDiff(row(batch, V, 0, long.length - 1), row(alone, V, 0, short.length - 1))).to.be.below(
      1e-4,
    );
    const next = [argmax(row(batch, V, 0, long.length - 1)), argmax(row(batch, V, 1, long.length - 1))];
    const stepBatch = await run(
      m.lm,
      [[next[0]!], [next[1]!]],
      [
        [...Array(pad).fill(0), ...short.map(() => 1), 1],
        [...long.map(() => 1), 1],
      ],
      [[short.length], [long.length]],
      batch.past,
    );
    const stepAlone = await run(
      m.lm,
      [[next[0]!]],
      [[...short.map(() => 1), 1]],
      [[short.length]],
      alone.past,
    );
    expect(maxAbsDiff(row(stepBatch, V, 0, 0), row(stepAlone, V, 0, 0))).to.be.below(1e-4);
  });

  it('loads in the transformers.js text-generation pipeline and matches the ORT greedy decode', async () => {
    const generate = await pipeline('text-generation', modelDir(name), { dtype: 'fp32', device: 'cpu' });
    const prompts = ['Tom had a', 'A fox looked', 'The moon was round and'];
    for (const prompt of prompts) {
      const [out] = (await generate(prompt, {
        max_new_tokens: 12,
        do_sample: false,
      })) as TextGenerationOutput;
      const ours = prompt + m.tok.decode(await greedy(m.lm, encode(prompt), 12));
      expect(out!.generated_text).to.equal(ours);
    }
    const batched = (await generate(prompts, {
      max_new_tokens: 8,
      do_sample: false,
    })) as TextGenerationOutput[];
    for (const [i, prompt] of prompts.entries()) {
      const [single] = (await generate(prompt, {
        max_new_tokens: 8,
        do_sample: false,
      })) as TextGenerationOutput;
      expect(batched[i]![0]!.generated_text).to.equal(single!.generated_text);
    }
    await generate.dispose();
  });
});
