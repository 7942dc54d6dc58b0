/**
 * The story writers' chat format: the chats file parses, and the Jinja template that ships in
 * tokenizer_config.json renders, through transformers.js's apply_chat_template, exactly what the
 * training text was rendered with.
 */
import { expect } from 'chai';
import {
  CHAT_TEMPLATE,
  type ChatMessage,
  IM_END,
  IM_START,
  parseChats,
  renderChat,
} from '../../../models/src/story-writer/chat.js';
import { trainBpe } from '../../../models/src/tokenizers/bpe.js';
import { gpt2TokenizerFiles } from '../../../models/src/tokenizers/hf-files.js';
import { loadHfTokenizer } from '../helpers/hf-tokenizer.js';

const CHAT: ChatMessage[] = [
  { role: 'system', content: 'You are a storyteller.' },
  { role: 'user', content: 'Tell me about a boat.' },
  { role: 'assistant', content: 'Tom had a small red boat.' },
  { role: 'user', content: 'What happened next?' },
];

describe('story-writer chat format', () => {
  it('parses "role: content" lines into chats, skipping comments and blank lines', () => {
    const text =
      '# a comment\nsystem: Be brief.\nuser: Hi!\nassistant: Hello!\n\n\nuser: Bye\nassistant: Goodbye: see you.\n';
    expect(parseChats(text)).to.deep.equal([
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi!' },
        { role: 'assistant', content: 'Hello!' },
      ],
      [
        { role: 'user', content: 'Bye' },
        { role: 'assistant', content: 'Goodbye: see you.' },
      ],
    ]);
  });

  for (const [text, message] of [
    ['user: Hi!\nrobot: beep\nassistant: x', 'expected "system|user|assistant: text": robot: beep'],
    ['user: Hi!\nassistant:', 'expected "system|user|assistant: text": assistant:'],
    ['user: Hi!\nassistant: Hello!\nuser: Bye', "a chat must end with the assistant's turn: Bye"],
  ] as const) {
    it(`refuses ${JSON.stringify(text)}: ${message}`, () => {
      expect(() => parseChats(text)).to.throw(message);
    });
  }

  it('renders ChatML with and without the generation prompt', () => {
    expect(renderChat(CHAT.slice(1, 3), false)).to.equal(
      '<|im_start|>user\nTell me about a boat.<|im_end|>\n<|im_start|>assistant\nTom had a small red boat.<|im_end|>\n',
    );
    expect(renderChat(CHAT.slice(1, 2), true)).to.equal(
      '<|im_start|>user\nTell me about a boat.<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it("renders through transformers.js's apply_chat_template exactly as renderChat, text and ids", async function () {
    this.timeout(20_000);
    const tok = trainBpe(
      CHAT.map((m) => `${m.role}\n${m.content}`),
      { maxMerges: 200, minFrequency: 1, extraSpecialTokens: [IM_START, IM_END] },
    );
    const hf = await loadHfTokenizer(gpt2TokenizerFiles(tok, 512, CHAT_TEMPLATE));
    for (const addGenerationPrompt of [true, false]) {
      const opts = { add_generation_prompt: addGenerationPrompt };
      const text = hf.apply_chat_template(CHAT, { ...opts, tokenize: false }) as string;
      expect(text).to.equal(renderChat(CHAT, addGenerationPrompt));
      const ids = hf.apply_chat_template(CHAT, {
        ...opts,
        tokenize: true,
        return_tensor: false,
        return_dict: false,
      }) as number[];
      expect(ids).to.deep.equal(tok.encodeWithSpecials(text));
    }
  });
});
