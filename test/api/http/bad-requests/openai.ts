/** The OpenAI-compatible API: what a runtime model cannot honour, invalid values, missing fields (OpenAI's shape). */
import { type Case, json } from './case.js';

const chat = (extra: Record<string, unknown>) =>
  json({ model: 'story-writer', messages: [{ role: 'user', content: 'Tom had' }], ...extra });

export const OPENAI_CASES: Case[] = [
  {
    what: 'tools for a runtime model',
    method: 'POST',
    path: '/v1/chat/completions',
    body: chat({ tools: [{ type: 'function', function: { name: 'now' } }] }),
    status: 400,
    code: 'unsupported_parameter',
    message: '"param":"tools"',
  },
  {
    what: 'an image part for a runtime model',
    method: 'POST',
    path: '/v1/chat/completions',
    body: json({
      model: 'story-writer',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }],
    }),
    status: 400,
    code: 'unsupported_parameter',
    message: '"param":"messages[0].content[0]"',
  },
  {
    what: 'max_completion_tokens as a string',
    method: 'POST',
    path: '/v1/chat/completions',
    body: chat({ max_completion_tokens: '5' }),
    status: 400,
    code: 'rejected_by_model',
    message: '"param":"max_completion_tokens"',
  },
  {
    what: 'max_tokens 1.5 on completions',
    method: 'POST',
    path: '/v1/completions',
    body: json({ model: 'story-writer', prompt: 'Tom had', max_tokens: 1.5 }),
    status: 400,
    code: 'rejected_by_model',
    message: '"param":"max_tokens"',
  },
  {
    what: 'a chat without messages',
    method: 'POST',
    path: '/v1/chat/completions',
    body: json({ model: 'story-writer' }),
    status: 400,
    code: 'invalid_request',
    message: '"param":"messages"',
  },
  {
    what: 'the Responses API for a runtime model',
    method: 'POST',
    path: '/v1/responses',
    body: json({ model: 'story-writer', input: 'hi' }),
    status: 400,
    code: 'unsupported_parameter',
  },
  {
    what: 'embeddings dimensions for a runtime model',
    method: 'POST',
    path: '/v1/embeddings',
    body: json({ model: 'sentence-embedder', input: 'hi', dimensions: 8 }),
    status: 400,
    code: 'unsupported_parameter',
    message: '"param":"dimensions"',
  },
  {
    what: 'an unknown model on /v1',
    method: 'GET',
    path: '/v1/models/nope',
    status: 404,
    code: 'model_not_found',
    message: '"type":"not_found_error"',
  },
];
