import { expect } from 'chai';
import {
  type ChatMessage,
  checkTemplateRendersTools,
  endOfTurnToken,
  PROBE_ANSWER,
  parseChat,
  plainTranscript,
  type TemplateMessage,
  templateMessages,
} from '../../../runtime/src/engine/chat.js';
import { InvalidTensorError } from '../../../runtime/src/errors.js';

const S = "element 0 of 'messages'";
const call = {
  id: 'call_1',
  type: 'function',
  function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
};

describe('parseChat', () => {
  const valid: [string, unknown, ChatMessage[]][] = [
    ['a user message', [{ role: 'user', content: 'Hi!' }], [{ role: 'user', content: 'Hi!' }]],
    [
      'every role',
      [
        { role: 'system', content: 's' },
        { role: 'developer', content: 'd' },
        { role: 'user', content: 'u' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', content: '18', tool_call_id: 'call_1' },
      ],
      [
        { role: 'system', content: 's' },
        { role: 'developer', content: 'd' },
        { role: 'user', content: 'u' },
        { role: 'assistant', content: '', tool_calls: [call] as ChatMessage['tool_calls'] },
        { role: 'tool', content: '18', tool_call_id: 'call_1' },
      ],
    ],
  ];
  for (const [name, chat, expected] of valid) {
    it(`given ${name}, returns the messages`, () => {
      expect(parseChat(JSON.stringify(chat), S)).to.deep.equal(expected);
    });
  }

  const invalid: [string, string, string][] = [
    ['text that is not JSON', 'Hi!', `${S}: not valid JSON`],
    ['an empty array', '[]', `${S}: expected a non-empty JSON array of messages`],
    ['an object', '{"role":"user"}', `${S}: expected a non-empty JSON array of messages`],
    ['a string message', '["Hi"]', `${S}: messages[0] must be a message object`],
    [
      'an unknown role',
      '[{"role":"function","content":"x"}]',
      `${S}: messages[0].role must be one of system, developer, user, assistant, tool`,
    ],
    [
      'content that is not a string',
      '[{"role":"user","content":[1]}]',
      `${S}: messages[0].content must be a string`,
    ],
    ['a missing content', '[{"role":"user"}]', `${S}: messages[0].content must be a string`],
    [
      'a field it does not read',
      '[{"role":"user","content":"x","name":"bob"}]',
      `${S}: messages[0].name is not a field the runtime reads`,
    ],
    [
      'tool_calls on a user message',
      JSON.stringify([{ role: 'user', content: 'x', tool_calls: [call] }]),
      `${S}: messages[0].tool_calls is only for assistant messages`,
    ],
    [
      'empty tool_calls',
      '[{"role":"assistant","content":"x","tool_calls":[]}]',
      `${S}: messages[0].tool_calls must be a non-empty array`,
    ],
    [
      'a tool call that is not a function',
      '[{"role":"assistant","content":"","tool_calls":[{"type":"code"}]}]',
      `${S}: messages[0].tool_calls[0].type must be "function"`,
    ],
    [
      'tool-call arguments that are an object',
      '[{"role":"assistant","content":"","tool_calls":[{"type":"function","function":{"name":"f","arguments":{}}}]}]',
      `${S}: messages[0].tool_calls[0].function.arguments must be a string (JSON text)`,
    ],
    [
      'a tool message without tool_call_id',
      '[{"role":"tool","content":"18"}]',
      `${S}: messages[0].tool_call_id must be a non-empty string in a tool message`,
    ],
    [
      'tool_call_id on a user message',
      '[{"role":"user","content":"x","tool_call_id":"c"}]',
      `${S}: messages[0].tool_call_id is only for tool messages`,
    ],
  ];
  for (const [name, json, message] of invalid) {
    it(`given ${name}, throws InvalidTensorError: ${message}`, () => {
      expect(() => parseChat(json, S))
        .to.throw(InvalidTensorError)
        .with.property('message')
        .that.satisfies((m: string) => m.startsWith(message));
    });
  }
});

describe('plainTranscript (models without a chat template)', () => {
  const table: [string, ChatMessage[], string][] = [
    ['one user message', [{ role: 'user', content: 'Once upon a time' }], 'Once upon a time'],
    [
      'a system and a user message',
      [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi!' },
      ],
      'system: You are terse.\nuser: Hi!\nassistant:',
    ],
    ['one assistant message', [{ role: 'assistant', content: 'Hello.' }], 'assistant: Hello.\nassistant:'],
  ];
  for (const [name, messages, expected] of table) {
    it(`given ${name}, returns ${JSON.stringify(expected)}`, () => {
      expect(plainTranscript(messages, S)).to.equal(expected);
    });
  }

  it('given a tool message, throws InvalidTensorError saying only a template can read it', () => {
    const chat: ChatMessage[] = [
      { role: 'user', content: 'Weather?' },
      { role: 'tool', content: '18', tool_call_id: 'c' },
    ];
    expect(() => plainTranscript(chat, S)).to.throw(
      InvalidTensorError,
      `${S}: messages[1] is a tool message, which only a model with a chat template can read; this model has none`,
    );
  });

  it('given an assistant message with tool_calls, throws InvalidTensorError', () => {
    const chat: ChatMessage[] = [{ role: 'assistant', content: '', tool_calls: [call as never] }];
    expect(() => plainTranscript(chat, S)).to.throw(
      InvalidTensorError,
      'messages[0] is an assistant message with tool_calls',
    );
  });
});

describe('checkTemplateRendersTools (templates that would drop tool calls or tool messages)', () => {
  const chatml =
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' }}{% endfor %}";
  const both =
    "{% for m in messages %}{% if m.role == 'tool' %}<tool_response>{{ m.content }}{% elif m.tool_calls %}{{ m.tool_calls | tojson }}{% endif %}{% endfor %}";
  const asking: ChatMessage[] = [
    { role: 'user', content: 'Weather?' },
    { role: 'assistant', content: '', tool_calls: [call as never] },
  ];
  const answered: ChatMessage[] = [...asking, { role: 'tool', content: '18', tool_call_id: 'call_1' }];

  it('given tool_calls and a template that never mentions tool_calls, throws naming the message', () => {
    expect(() => checkTemplateRendersTools(asking, chatml, S)).to.throw(
      InvalidTensorError,
      `${S}: messages[1].tool_calls: the model's chat template does not render tool calls (it never mentions tool_calls), which only a model with a chat template can read when the template renders them`,
    );
  });

  it('given a tool message and a template that never names the tool role, throws naming the message', () => {
    const template = '{% for m in messages %}{{ m.tool_calls }}{{ m.content }}{% endfor %}';
    expect(() => checkTemplateRendersTools(answered, template, S)).to.throw(
      InvalidTensorError,
      `${S}: messages[2] is a tool message: the model's chat template does not render tool messages (it never names the tool role), which only a model with a chat template can read`,
    );
  });

  it('does not take the tool list (`tools`) for the tool role', () => {
    const template =
      '{% if tools %}{{ tools }}{% endif %}{% for m in messages %}{{ m.tool_calls }}{% endfor %}';
    expect(() => checkTemplateRendersTools(answered, template, S)).to.throw(
      InvalidTensorError,
      'messages[2]',
    );
  });

  it('given a template that renders both, or a chat without tools, passes', () => {
    expect(() => checkTemplateRendersTools(answered, both, S)).to.not.throw();
    expect(() => checkTemplateRendersTools(answered, both.replaceAll("'", '"'), S)).to.not.throw();
    expect(() => checkTemplateRendersTools(asking.slice(0, 1), chatml, S)).to.not.throw();
  });
});

describe('templateMessages', () => {
  it('given developer, tool calls and tool results, returns system and parsed arguments', () => {
    const chat = parseChat(
      JSON.stringify([
        { role: 'developer', content: 'Be brief.' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', content: '18', tool_call_id: 'call_1' },
      ]),
      S,
    );
    expect(templateMessages(chat, S)).to.deep.equal([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris' } } },
        ],
      },
      { role: 'tool', content: '18', tool_call_id: 'call_1' },
    ]);
  });

  for (const args of ['not json', '[1]', '"x"']) {
    it(`given tool-call arguments ${args}, throws InvalidTensorError naming them`, () => {
      const chat: ChatMessage[] = [
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ type: 'function', function: { name: 'f', arguments: args } }],
        },
      ];
      expect(() => templateMessages(chat, S)).to.throw(
        InvalidTensorError,
        `${S}: messages[0].tool_calls[0].function.arguments must be a JSON object`,
      );
    });
  }
});

describe('endOfTurnToken', () => {
  // A toy vocabulary: special tokens by name, every other character one token.
  const SPECIAL: Record<string, number> = { '<end>': 900, '<start>': 901 };
  const encode = (text: string) =>
    (text.match(/<end>|<start>|[\s\S]/g) ?? []).map((piece) => SPECIAL[piece] ?? piece.charCodeAt(0));
  const specials = new Set(Object.values(SPECIAL));
  const render = (close: string) => (messages: TemplateMessage[]) =>
    messages.map((m) => `<start>${m.role}\n${m.content}${close}`).join('');

  const table: [string, (m: TemplateMessage[]) => string, number | undefined][] = [
    ['a template closing turns with a special token', render('<end>\n'), 900],
    ['a template closing turns with plain text', render('\n\n'), undefined],
    ['a template writing nothing after the answer', render(''), undefined],
    [
      'a template that refuses the probe',
      () => {
        throw new Error('Conversation roles must alternate');
      },
      undefined,
    ],
    ['a template that drops the answer', (m) => `<start>${m[0]?.content}<end>`, undefined],
  ];
  for (const [name, template, expected] of table) {
    it(`given ${name}, returns ${expected}`, () => {
      expect(endOfTurnToken(template, encode, specials)).to.equal(expected);
    });
  }

  it('renders the probe answer as the last message', () => {
    let seen: TemplateMessage[] = [];
    const spy = (m: TemplateMessage[]) => {
      seen = m;
      return '';
    };
    endOfTurnToken(spy, encode, specials);
    expect(seen.at(-1)).to.deep.equal({ role: 'assistant', content: PROBE_ANSWER });
  });
});
