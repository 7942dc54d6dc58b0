/**
 * The built story writers in a chat: the ChatML template they ship renders, through transformers.js,
 * the text they were trained on, and greedy answers to conversations they never saw are story words
 * that end the turn.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parseStories } from '../../../models/src/data/corpus.js';
import { type ChatMessage, IM_END, parseChats, renderChat } from '../../../models/src/story-writer/chat.js';
import { DATA_DIR, modelDir, readJson } from '../helpers/artifacts.js';
import { greedy } from '../helpers/ort-lm.js';
import { describeStoryWriters } from '../helpers/story-writers.js';

const words = (text: string): string[] => text.toLowerCase().match(/[a-z']+/g) ?? [];
const vocabulary = new Set(
  parseStories(readFileSync(`${DATA_DIR}/stories.txt`, 'utf8')).flatMap((s) => words(s.join(' '))),
);
const chatUserLines = new Set(
  parseChats(readFileSync(`${DATA_DIR}/chats.txt`, 'utf8')).flatMap((c) => c.map((m) => m.content)),
);
/** Conversations whose user turns are not in models/data/chats.txt. */
const FRESH_CHATS: ChatMessage[][] = [
  [{ role: 'user', content: 'Tell me a story about a horse.' }],
  [{ role: 'user', content: 'Hello there!' }],
  [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Hey!' },
  ],
  [{ role: 'user', content: 'Please tell me a story about the sea.' }],
  [{ role: 'user', content: 'What is two plus two?' }],
  [{ role: 'user', content: 'Tell me a story about a bird.' }],
  [
    { role: 'system', content: 'You are a storyteller.' },
    { role: 'user', content: 'Tell me about a cat.' },
    { role: 'assistant', content: 'A cat sat on the wall.' },
    { role: 'user', content: 'What happened then?' },
  ],
  [
    { role: 'system', content: 'You are helpful.' },
    { role: 'user', content: 'Tell me a story about a dog.' },
    { role: 'assistant', content: 'A little brown dog lived by the river.' },
    { role: 'user', content: 'And after that?' },
  ],
  [{ role: 'user', content: 'Tell me a story about a king.' }],
  [{ role: 'user', content: 'Can you help me?' }],
];
describeStoryWriters('story-writer models in a chat (built artifacts)', (m) => {
  const { name } = m;

  it('ships a ChatML template that transformers.js renders to the text it was trained on', async () => {
    const chat = FRESH_CHATS[6]!;
    const rendered = m.tok.apply_chat_template(chat, { tokenize: false, add_generation_prompt: true });
    expect(rendered).to.equal(renderChat(chat, true));
    expect(rendered).to.equal(
      '<|im_start|>system\nYou are a storyteller.<|im_end|>\n<|im_start|>user\nTell me about a cat.<|im_end|>\n' +
        '<|im_start|>assistant\nA cat sat on the wall.<|im_end|>\n<|im_start|>user\nWhat happened then?<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
    const generation = readJson<{ eos_token_id: number[] }>(`${modelDir(name)}/generation_config.json`);
    const endOfTurn = m.tok.convert_tokens_to_ids(IM_END) as number;
    expect(generation.eos_token_id).to.deep.equal([m.lm.cfg.eos_token_id, endOfTurn]);
    expect(Array.from(m.tok.encode(IM_END, { add_special_tokens: false }))).to.deep.equal([endOfTurn]);
  });

  it('answers chats it never saw with story words and ends its turn', async () => {
    const generation = readJson<{ eos_token_id: number[] }>(`${modelDir(name)}/generation_config.json`);
    const endOfTurn = m.tok.convert_tokens_to_ids(IM_END) as number;
    let ended = 0;
    let answered = 0;
    let known = 0;
    let total = 0;
    for (const chat of FRESH_CHATS) {
      expect(chatUserLines.has(chat.at(-1)!.content), chat.at(-1)!.content).to.equal(false);
      const prompt = Array.from(m.tok.encode(renderChat(chat, true), { add_special_tokens: false }));
      const ids = await greedy(m.lm, prompt, 48, generation.eos_token_id);
      const next = await greedy(m.lm, [...prompt, ...ids], 1, []);
      if (ids.length < 48 && [endOfTurn, m.lm.cfg.eos_token_id].includes(next[0] ?? -1)) ended++;
      const reply = ids.length ? words(m.tok.decode(ids)) : [];
      if (reply.length) answered++;
      total += reply.length;
      known += reply.filter((w) => vocabulary.has(w)).length;
    }
    expect(ended, 'chats whose answer ended its turn within 48 tokens').to.be.at.least(9);
    expect(answered, 'chats with a non-empty answer').to.be.at.least(9);
    expect(known / total, 'share of answer words that are corpus words').to.be.at.least(0.9);
  });
});
