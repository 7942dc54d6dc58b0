/**
 * What an OpenAI-compatible upstream is asked and answers when an application uses function calling:
 * a chat request carrying every kind of field a gateway must not lose, and the tool-call answer, whole and
 * streamed the way OpenAI streams it.
 */
import type OpenAI from 'openai';

export const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];

/** A chat request carrying every kind of field a gateway must not lose. */
export const richChat = {
  model: 'remote',
  messages: [
    { role: 'system', content: 'Answer with the tool.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is the weather where this photo was taken?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
      ],
    },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c": 4}' },
  ],
  tools,
  tool_choice: { type: 'function', function: { name: 'get_weather' } },
  parallel_tool_calls: false,
  response_format: {
    type: 'json_schema',
    json_schema: { name: 'weather', schema: { type: 'object', properties: { temp: { type: 'number' } } } },
  },
  logprobs: true,
  top_logprobs: 2,
  n: 2,
  logit_bias: { '50256': -100 },
  frequency_penalty: 0.5,
  presence_penalty: -0.25,
  metadata: { team: 'search' },
  user: 'user-42',
  x_vendor_extension: { beam: [1, 2, { deep: true }] },
} as const;

export const toolAnswer = {
  id: 'chatcmpl-upstream',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'upstream-remote',
  system_fingerprint: 'fp_1',
  choices: [0, 1].map((index) => ({
    index,
    finish_reason: 'tool_calls',
    message: {
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [
        {
          id: `call_${index}`,
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
        },
      ],
    },
    logprobs: { content: [{ token: 'x', logprob: -0.1, bytes: [120], top_logprobs: [] }] },
  })),
  usage: { prompt_tokens: 31, completion_tokens: 12, total_tokens: 43 },
};

/** The same answer as OpenAI streams it: tool-call deltas in pieces, logprobs, then the usage chunk. */
export function toolChunks(withUsage: boolean): string[] {
  const base = {
    id: 'chatcmpl-upstream',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'upstream-remote',
  };
  const chunk = (delta: unknown, finish: string | null = null, extra = {}) =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null, ...extra }], usage: null })}`;
  return [
    chunk({ role: 'assistant', content: null }),
    chunk({
      tool_calls: [
        { index: 0, id: 'call_s', type: 'function', function: { name: 'get_weather', arguments: '' } },
      ],
    }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, null, {
      logprobs: { content: [{ token: '{"', logprob: -0.01, bytes: [123, 34], top_logprobs: [] }] },
    }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
    chunk({}, 'tool_calls'),
    ...(withUsage
      ? [
          `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 31, completion_tokens: 9, total_tokens: 40 } })}`,
        ]
      : []),
    'data: [DONE]',
  ];
}
