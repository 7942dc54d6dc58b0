import { expect } from 'chai';
import type { CatalogModel } from '../../../api/src/catalog/catalog.js';
import { openAIOperation } from '../../../api/src/inference/openai-operation.js';
import {
  classification,
  embedding,
  generation,
  tokenization,
} from '../../../api/src/inference/operations.js';
import { DEFAULT_OUTPUT_TOKENS, estimateUsage } from '../../../api/src/inference/usage-estimate.js';

const model = (maxTokens?: number) =>
  ({
    spec: { provider: 'openai', capabilities: ['chat'], ...(maxTokens ? { parameters: { maxTokens } } : {}) },
  }) as unknown as CatalogModel;
const plain = model();
const capped = model(100);
const usage = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens });

describe('api/inference/usage-estimate', () => {
  const table: [string, Parameters<typeof estimateUsage>[0], CatalogModel, ReturnType<typeof usage>][] = [
    // 11 + 9 characters: 20 / 4.
    [
      'REST chat: every message, params.maxTokens',
      generation(
        {
          kind: 'chat',
          messages: [
            { role: 'system', content: 'be brief ok' },
            { role: 'user', content: 'hello you' },
          ],
        },
        { maxTokens: 50 },
      ),
      plain,
      usage(5, 50),
    ],
    [
      'REST completion, n choices',
      generation({ kind: 'completion', prompt: 'abcde' }, { maxTokens: 10, n: 3 }),
      plain,
      usage(2, 30),
    ],
    [
      'no max_tokens: the model declares one',
      generation({ kind: 'completion', prompt: '' }, {}),
      capped,
      usage(0, 100),
    ],
    [
      'no max_tokens, none declared: the default',
      generation({ kind: 'completion', prompt: 'a' }, {}),
      plain,
      usage(1, DEFAULT_OUTPUT_TOKENS),
    ],
    [
      'assistant tool calls are read',
      generation(
        {
          kind: 'chat',
          messages: [
            {
              role: 'assistant',
              content: '',
              toolCalls: [{ id: 'c', type: 'function', function: { name: 'abcd', arguments: '{"x":1}' } }],
            },
          ],
        },
        { maxTokens: 1 },
      ),
      plain,
      usage(3, 1),
    ],
    ['classify: the texts', classification(['abcd', 'abcdefgh', 'a'], {}), plain, usage(4, 0)],
    ['embed: the texts', embedding(['abcdefgh'], {}), plain, usage(2, 0)],
    ['tokens: not metered, nothing reserved', tokenization(['abcdefgh']), plain, usage(0, 0)],
    [
      '/v1 chat: string and text-part content, max_completion_tokens',
      openAIOperation('chat', {
        model: 'm',
        messages: [
          { role: 'user', content: 'abcd' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'efgh' },
              { type: 'image_url', image_url: { url: 'data:…' } },
            ],
          },
        ],
        max_completion_tokens: 7,
      }),
      plain,
      usage(2, 7),
    ],
    [
      '/v1 chat: tools are read as written',
      openAIOperation('chat', { model: 'm', messages: [], tools: [{ type: 'function' }], max_tokens: 1 }),
      plain,
      usage(Math.ceil(JSON.stringify([{ type: 'function' }]).length / 4), 1),
    ],
    [
      "/v1 chat without a maximum: the model's",
      openAIOperation('chat', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      capped,
      usage(1, 100),
    ],
    [
      '/v1 completions: a list of prompts, each with n choices',
      openAIOperation('completions', { model: 'm', prompt: ['abcd', 'ab'], max_tokens: 5, n: 2 }),
      plain,
      usage(2, 20),
    ],
    [
      '/v1 completions: token ids counted exactly',
      openAIOperation('completions', { model: 'm', prompt: [1, 2, 3], max_tokens: 5 }),
      plain,
      usage(3, 5),
    ],
    [
      '/v1 embeddings: strings and token lists, nothing generated',
      openAIOperation('embeddings', { model: 'm', input: ['abcdefgh', [1, 2, 3]] }),
      plain,
      usage(5, 0),
    ],
    [
      '/v1 responses: instructions, input items, max_output_tokens',
      openAIOperation('responses', {
        model: 'm',
        instructions: 'abcd',
        input: [{ role: 'user', content: 'efgh' }],
        max_output_tokens: 9,
      }),
      plain,
      usage(2, 9),
    ],
    [
      '/v1 responses: a string input',
      openAIOperation('responses', { model: 'm', input: 'abcdefghi' }),
      plain,
      usage(3, DEFAULT_OUTPUT_TOKENS),
    ],
  ];
  for (const [what, op, m, expected] of table) {
    it(`${what}: ${expected.inputTokens} + ${expected.outputTokens}`, () => {
      expect(estimateUsage(op, m)).to.deep.equal(expected);
    });
  }
});
