/**
 * Real chat templates (Qwen3, Llama 3, Gemma 3 as their tokenizer packages ship them) rendered by the runtime's
 * tokenizer: the exact prompt text of fixed conversations, written out by hand from each template, and the
 * ids the tokenizer itself gives those pieces.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { expect } from 'chai';
import { type RealTokenizer, realTokenizerDir } from '../../../models/src/fixtures/chat.js';
import type { ChatMessage } from '../../../runtime/src/engine/chat.js';
import { loadTokenizer, type TextTokenizer } from '../../../runtime/src/engine/tokenizer.js';
import { InvalidTensorError } from '../../../runtime/src/errors.js';

const S = "element 0 of 'messages'";

const conversation: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Hi!' },
  { role: 'assistant', content: 'Hello.' },
  { role: 'user', content: 'Name a colour.' },
];

const withTool: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Weather in Paris?' },
  {
    role: 'assistant',
    content: '',
    tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ],
  },
  { role: 'tool', content: '{"temp": 18}', tool_call_id: 'call_1' },
];

/** The prompt as pieces: special tokens (looked up in the vocabulary) and plain text (encoded alone). */
type Pieces = readonly (string | { readonly special: string })[];

const text = (pieces: Pieces) => pieces.map((p) => (typeof p === 'string' ? p : p.special)).join('');

function ids(tokenizer: PreTrainedTokenizer, pieces: Pieces): number[] {
  return pieces.flatMap((p) =>
    typeof p === 'string'
      ? tokenizer.encode(p, { add_special_tokens: false })
      : [tokenizer.convert_tokens_to_ids(p.special) as number],
  );
}

const sp = (special: string) => ({ special });

interface Case {
  readonly runtime: TextTokenizer;
  readonly reference: PreTrainedTokenizer;
}

const tokenizers = new Map<RealTokenizer, Case>();

async function load(name: RealTokenizer): Promise<Case> {
  const dir = realTokenizerDir(name);
  return {
    runtime: await loadTokenizer(dir),
    reference: await AutoTokenizer.from_pretrained(dir, { local_files_only: true }),
  };
}

describe('chat templates of real tokenizers', function () {
  // Gemma 3's tokenizer.json is 33 MB: loading it takes seconds.
  this.timeout(120_000);

  before(async () => {
    for (const name of ['qwen3', 'llama3', 'gemma3'] as const) tokenizers.set(name, await load(name));
  });

  const ofModel = (name: RealTokenizer) => tokenizers.get(name) as Case;

  describe('Qwen3 (ChatML)', () => {
    const im = (role: string, body: string): Pieces => [
      sp('<|im_start|>'),
      `${role}\n${body}`,
      sp('<|im_end|>'),
      '\n',
    ];

    it('renders system + user + assistant + user with the generation prompt', () => {
      const { runtime, reference } = ofModel('qwen3');
      const expected: Pieces = [
        ...im('system', 'You are terse.'),
        ...im('user', 'Hi!'),
        ...im('assistant', 'Hello.'),
        ...im('user', 'Name a colour.'),
        sp('<|im_start|>'),
        'assistant\n',
      ];
      const rendered = runtime.renderChat(conversation, S);
      expect(rendered.text).to.equal(
        '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n' +
          '<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n',
      );
      expect(rendered.text).to.equal(text(expected));
      expect(rendered.ids).to.deep.equal(ids(reference, expected));
    });

    it("renders the issue's system + user chat to 19 tokens (the plain transcript was 12)", () => {
      const { runtime } = ofModel('qwen3');
      const chat = conversation.slice(0, 2);
      expect(runtime.renderChat(chat, S).ids).to.have.length(19);
      expect(runtime.encode('system: You are terse.\nuser: Hi!\nassistant:')).to.have.length(12);
    });

    it('renders tool calls as <tool_call> JSON and tool results as <tool_response> in a user turn', () => {
      const { runtime, reference } = ofModel('qwen3');
      const expected: Pieces = [
        ...im('system', 'You are terse.'),
        ...im('user', 'Weather in Paris?'),
        ...im(
          'assistant',
          '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
        ),
        ...im('user', '<tool_response>\n{"temp": 18}\n</tool_response>'),
        sp('<|im_start|>'),
        'assistant\n',
      ];
      const rendered = runtime.renderChat(withTool, S);
      expect(rendered.text).to.equal(text(expected));
      expect(rendered.ids).to.deep.equal(ids(reference, expected));
    });

    it('ends a turn with <|im_end|> (151645)', () => {
      expect(ofModel('qwen3').runtime.endOfTurnId()).to.equal(151645);
    });
  });

  describe('Llama 3', () => {
    const turn = (role: string, body: string): Pieces => [
      sp('<|start_header_id|>'),
      role,
      sp('<|end_header_id|>'),
      `\n\n${body}`,
      sp('<|eot_id|>'),
    ];
    const prompt: Pieces = [sp('<|start_header_id|>'), 'assistant', sp('<|end_header_id|>'), '\n\n'];

    it('renders the conversation after one <|begin_of_text|>', () => {
      const { runtime, reference } = ofModel('llama3');
      const expected: Pieces = [
        sp('<|begin_of_text|>'),
        ...turn('system', 'You are terse.'),
        ...turn('user', 'Hi!'),
        ...turn('assistant', 'Hello.'),
        ...turn('user', 'Name a colour.'),
        ...prompt,
      ];
      const rendered = runtime.renderChat(conversation, S);
      expect(rendered.text).to.equal(text(expected));
      expect(rendered.ids).to.deep.equal(ids(reference, expected));
      expect(rendered.ids.filter((id) => id === 128000)).to.have.length(1);
    });

    it('refuses tool calls and tool messages, which this template (Llama 3.0) would drop or misname', () => {
      const { runtime } = ofModel('llama3');
      expect(() => runtime.renderChat(withTool, S)).to.throw(
        InvalidTensorError,
        `${S}: messages[2].tool_calls: the model's chat template does not render tool calls`,
      );
      const answered = [...withTool.slice(0, 2), { role: 'assistant', content: 'Asking.' }, withTool[3]!];
      expect(() => runtime.renderChat(answered as ChatMessage[], S)).to.throw(
        InvalidTensorError,
        `${S}: messages[3] is a tool message: the model's chat template does not render tool messages`,
      );
    });

    it('ends a turn with <|eot_id|> (128009), which its eos_token <|end_of_text|> is not', () => {
      const { runtime } = ofModel('llama3');
      expect(runtime.endOfTurnId()).to.equal(128009);
      expect(runtime.eosId).to.equal(128001);
    });
  });

  describe('Gemma 3', () => {
    it('renders the system prompt into the first user turn, assistant as model, one <bos>', () => {
      const { runtime, reference } = ofModel('gemma3');
      const expected: Pieces = [
        sp('<bos>'),
        sp('<start_of_turn>'),
        'user\nYou are terse.\n\nHi!',
        sp('<end_of_turn>'),
        '\n',
        sp('<start_of_turn>'),
        'model\nHello.',
        sp('<end_of_turn>'),
        '\n',
        sp('<start_of_turn>'),
        'user\nName a colour.',
        sp('<end_of_turn>'),
        '\n',
        sp('<start_of_turn>'),
        'model\n',
      ];
      const rendered = runtime.renderChat(conversation, S);
      expect(rendered.text).to.equal(text(expected));
      expect(rendered.ids).to.deep.equal(ids(reference, expected));
      // encode() would add its own <bos> in front of the template's.
      expect(rendered.ids.filter((id) => id === 2)).to.have.length(1);
      expect(runtime.encode(rendered.text).filter((id) => id === 2)).to.have.length(2);
    });

    it('refuses a tool message with InvalidTensorError carrying the template own message', () => {
      expect(() => ofModel('gemma3').runtime.renderChat(withTool, S)).to.throw(
        InvalidTensorError,
        `${S}: the model's chat template refused the chat: Conversation roles must alternate user/assistant/user/assistant/...`,
      );
    });

    it('ends a turn with <end_of_turn> (106)', () => {
      expect(ofModel('gemma3').runtime.endOfTurnId()).to.equal(106);
    });
  });

  describe("story-writer-v2's ChatML template (content only)", () => {
    const dir = resolve(import.meta.dirname, '../../../models/build/story-writer-v2');

    it('renders a chat, but refuses the tool calls and tool messages it would print as empty turns', async () => {
      const runtime = await loadTokenizer(dir);
      expect(runtime.renderChat(conversation, S).text).to.include(
        '<|im_start|>user\nName a colour.<|im_end|>',
      );
      expect(() => runtime.renderChat(withTool, S)).to.throw(
        InvalidTensorError,
        `${S}: messages[2].tool_calls: the model's chat template does not render tool calls (it never mentions tool_calls), which only a model with a chat template can read`,
      );
      const answered = [...withTool.slice(0, 2), { role: 'assistant', content: 'Asking.' }, withTool[3]!];
      expect(() => runtime.renderChat(answered as ChatMessage[], S)).to.throw(
        InvalidTensorError,
        `${S}: messages[3] is a tool message`,
      );
    });
  });

  describe('template files', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'chat-template-'));
      const qwen = realTokenizerDir('qwen3');
      await copyFile(join(qwen, 'tokenizer.json'), join(dir, 'tokenizer.json'));
      const config = JSON.parse(await readFile(join(qwen, 'tokenizer_config.json'), 'utf8'));
      delete config.chat_template;
      await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('without a template, renders the plain transcript and knows no end-of-turn token', async () => {
      const tokenizer = await loadTokenizer(dir);
      expect(tokenizer.hasChatTemplate).to.equal(false);
      expect(tokenizer.renderChat(conversation.slice(0, 2), S).text).to.equal(
        'system: You are terse.\nuser: Hi!\nassistant:',
      );
      expect(tokenizer.endOfTurnId()).to.equal(undefined);
      expect(() => tokenizer.renderChat(withTool, S)).to.throw(InvalidTensorError, 'this model has none');
    });

    it('reads chat_template.jinja beside tokenizer_config.json', async () => {
      const template =
        "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
      await writeFile(join(dir, 'chat_template.jinja'), template);
      const tokenizer = await loadTokenizer(dir);
      expect(tokenizer.hasChatTemplate).to.equal(true);
      expect(tokenizer.renderChat([{ role: 'developer', content: 'Be brief.' }], S).text).to.equal(
        '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>assistant\n',
      );
      expect(tokenizer.endOfTurnId()).to.equal(151645);
    });
  });
});
