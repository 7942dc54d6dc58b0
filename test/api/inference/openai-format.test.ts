import { expect } from 'chai';
import type { GeneratedTokenLogprob, StreamEvent } from '../../../api/src/backends/backend.js';
import {
  chatCompletion,
  chatLogprobs,
  completionLogprobs,
  openAIChunks,
  textCompletion,
} from '../../../api/src/inference/openai-format.js';

const who = { requestId: 'r1', model: 'writer' };
const tokens: GeneratedTokenLogprob[] = [
  {
    token: ' é',
    logprob: -0.5,
    top: [
      { token: ' é', logprob: -0.5 },
      { token: ' a', logprob: -1.5 },
    ],
  },
  {
    token: '!',
    logprob: -0.25,
    top: [
      { token: '!', logprob: -0.25 },
      { token: '.', logprob: -2 },
    ],
  },
];

async function* from(events: StreamEvent[]): AsyncIterable<StreamEvent> {
  yield* events;
}

/** The JSON of each frame, `created` left out (it is the clock's). */
async function frames(events: AsyncIterable<StreamEvent>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const e of events) {
    if (e.type !== 'frame') continue;
    const data = e.frame.slice('data: '.length).trim();
    if (data === '[DONE]') out.push(data);
    else {
      const { created: _clock, id: _id, model: _model, ...rest } = JSON.parse(data);
      out.push(rest);
    }
  }
  return out;
}

describe('api/inference: OpenAI shapes of runtime answers (choices and logprobs)', () => {
  it('chat logprobs: content of {token, logprob, bytes, top_logprobs}, bytes the UTF-8 of the token', () => {
    expect(chatLogprobs(tokens)).to.deep.equal({
      content: [
        {
          token: ' é',
          logprob: -0.5,
          bytes: [32, 195, 169],
          top_logprobs: [
            { token: ' é', logprob: -0.5, bytes: [32, 195, 169] },
            { token: ' a', logprob: -1.5, bytes: [32, 97] },
          ],
        },
        {
          token: '!',
          logprob: -0.25,
          bytes: [33],
          top_logprobs: [
            { token: '!', logprob: -0.25, bytes: [33] },
            { token: '.', logprob: -2, bytes: [46] },
          ],
        },
      ],
      refusal: null,
    });
    expect(chatLogprobs(undefined)).to.equal(null);
  });

  const offsets: [string, number, number[]][] = [
    ['no echo', 0, [0, 2]],
    ['an echoed 5-character prompt', 5, [5, 7]],
  ];
  for (const [given, offset, expected] of offsets) {
    it(`completions logprobs after ${given}: text_offset ${JSON.stringify(expected)}`, () => {
      expect(completionLogprobs(tokens, offset)).to.deep.equal({
        tokens: [' é', '!'],
        token_logprobs: [-0.5, -0.25],
        top_logprobs: [
          { ' é': -0.5, ' a': -1.5 },
          { '!': -0.25, '.': -2 },
        ],
        text_offset: expected,
      });
    });
  }

  it('renders every choice of a result, each with its logprobs; echo before each completion text', () => {
    const result = {
      text: ' é!',
      finishReason: 'length',
      choices: [
        { text: ' é!', finishReason: 'length', logprobs: tokens },
        { text: '', finishReason: 'stop', logprobs: [] },
      ],
      inputTokens: 3,
      outputTokens: 3,
    };
    const chat = chatCompletion(who, result);
    expect(chat.choices.map((c) => [c.index, c.message.content, c.finish_reason])).to.deep.equal([
      [0, ' é!', 'length'],
      [1, '', 'stop'],
    ]);
    expect(chat.choices[1]?.logprobs).to.deep.equal({ content: [], refusal: null });
    const text = textCompletion(who, result, 'Hello');
    expect(text.choices.map((c) => c.text)).to.deep.equal(['Hello é!', 'Hello']);
    expect(text.choices[0]?.logprobs?.text_offset).to.deep.equal([5, 7]);
    expect(
      textCompletion(who, { text: 'x', finishReason: 'stop', inputTokens: 1, outputTokens: 1 }).choices,
    ).to.deep.equal([{ index: 0, text: 'x', finish_reason: 'stop', logprobs: null }]);
  });

  it('streams two chat choices: a role chunk each, their deltas with logprobs, a final chunk each', async () => {
    const events: StreamEvent[] = [
      { type: 'text', text: ' é', logprobs: [tokens[0] as GeneratedTokenLogprob] },
      { type: 'text', text: ' a', choice: 1, logprobs: [] },
      {
        type: 'done',
        finishReason: 'length',
        finishReasons: ['length', 'stop'],
        inputTokens: 3,
        outputTokens: 2,
      },
    ];
    const out = await frames(
      openAIChunks(who, { kind: 'chat', includeUsage: true, choices: 2 }, from(events)),
    );
    const chunk = (choices: unknown[]) => ({ object: 'chat.completion.chunk', choices });
    expect(out).to.deep.equal([
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }]),
      chunk([{ index: 1, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }]),
      chunk([
        { index: 0, delta: { content: ' é' }, finish_reason: null, logprobs: chatLogprobs([tokens[0]!]) },
      ]),
      chunk([
        { index: 1, delta: { content: ' a' }, finish_reason: null, logprobs: { content: [], refusal: null } },
      ]),
      chunk([{ index: 0, delta: {}, finish_reason: 'length', logprobs: null }]),
      chunk([{ index: 1, delta: {}, finish_reason: 'stop', logprobs: null }]),
      {
        object: 'chat.completion.chunk',
        choices: [],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      },
      '[DONE]',
    ]);
  });

  it('streams a completion with echo: the prompt first, then text whose offsets count it', async () => {
    const events: StreamEvent[] = [
      { type: 'text', text: ' é', logprobs: [tokens[0] as GeneratedTokenLogprob] },
      { type: 'text', text: '!', logprobs: [tokens[1] as GeneratedTokenLogprob] },
      { type: 'done', finishReason: 'length', inputTokens: 1, outputTokens: 2 },
    ];
    const out = (await frames(
      openAIChunks(who, { kind: 'completion', includeUsage: false, choices: 1, echo: 'Hi' }, from(events)),
    )) as { choices: { text: string; logprobs: { text_offset: number[] } | null }[] }[];
    expect(out.slice(0, -1).map((f) => f.choices[0]?.text)).to.deep.equal(['Hi', ' é', '!', '']);
    expect(out.slice(1, 3).map((f) => f.choices[0]?.logprobs?.text_offset)).to.deep.equal([[2], [4]]);
  });
});
