/**
 * The `messages` of an OpenAI chat request as runtimes read them (roles, text content, tool calls and tool
 * results), and the two ways a request parameter fails for runtime models: `unsupported` (this target cannot,
 * another may) and `invalid` (`rejected`: no target could). Pure.
 * @module
 */
import { BackendError, type ChatMessage, type ChatToolCall } from '../backends/backend.js';

export type Body = Readonly<Record<string, unknown>>;

export const unsupported = (param: string, why: string) =>
  new BackendError('unsupported', `${why} (parameter ${param})`, { param });
export const invalid = (param: string, why: string) =>
  new BackendError('rejected', `Invalid ${param}: ${why}`, { param });

export const absent = (v: unknown) => v === undefined || v === null;

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

export function chatMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0)
    throw invalid('messages', 'expected a non-empty array of messages');
  return value.map(chatMessage);
}

/**
 * A message as runtimes read it. Tool results (role tool) and assistant tool calls are passed on: the runtime
 * renders them with the model's chat template, and refuses them (400) for a model without one.
 */
function chatMessage(m: unknown, i: number): ChatMessage {
  const at = `messages[${i}]`;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalid(at, 'expected a message object');
  const message = m as Body;
  const role = message.role;
  if (role === 'function')
    throw unsupported(`${at}.role`, 'Runtime models take tool results as role tool, not function');
  if (typeof role !== 'string' || !ROLES.has(role))
    throw invalid(`${at}.role`, 'expected system, developer, user, assistant or tool');
  const own = (k: string) =>
    k === 'role' ||
    k === 'content' ||
    (k === 'tool_calls' && role === 'assistant') ||
    (k === 'tool_call_id' && role === 'tool');
  const extra = Object.keys(message).find((k) => !own(k) && !absent(message[k]));
  if (extra === 'function_call')
    throw unsupported(`${at}.${extra}`, 'Runtime models take assistant tool calls as tool_calls');
  if (extra !== undefined)
    throw unsupported(`${at}.${extra}`, `Runtime models do not support the message field ${extra}`);
  const toolCalls = absent(message.tool_calls)
    ? undefined
    : chatToolCalls(message.tool_calls, `${at}.tool_calls`);
  if (role === 'tool' && (typeof message.tool_call_id !== 'string' || message.tool_call_id === ''))
    throw invalid(`${at}.tool_call_id`, 'expected the id of the tool call this message answers');
  // An assistant message that only calls tools may have no content.
  const content = toolCalls && absent(message.content) ? '' : messageText(message.content, at);
  return {
    role: role as ChatMessage['role'],
    content,
    ...(toolCalls ? { toolCalls } : {}),
    ...(role === 'tool' ? { toolCallId: message.tool_call_id as string } : {}),
  };
}

function chatToolCalls(value: unknown, at: string): ChatToolCall[] {
  if (!Array.isArray(value) || value.length === 0)
    throw invalid(at, 'expected a non-empty array of tool calls');
  return value.map((call, j) => {
    const c = (call ?? {}) as Body;
    const fn = (c.function ?? {}) as Body;
    if (
      typeof c.id !== 'string' ||
      c.type !== 'function' ||
      typeof fn.name !== 'string' ||
      typeof fn.arguments !== 'string'
    )
      throw invalid(
        `${at}[${j}]`,
        'expected {"id": string, "type": "function", "function": {"name": string, "arguments": string}}',
      );
    return { id: c.id, type: 'function', function: { name: fn.name, arguments: fn.arguments } };
  });
}

function messageText(content: unknown, at: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    throw invalid(`${at}.content`, 'expected a string or an array of content parts');
  return content
    .map((part, j) => {
      const type = (part as Body | null)?.type;
      if (type !== 'text') {
        if (typeof type === 'string')
          throw unsupported(`${at}.content[${j}]`, `Runtime models read text only, not ${type} parts`);
        throw invalid(`${at}.content[${j}]`, 'expected a content part with a type');
      }
      const text = (part as Body).text;
      if (typeof text !== 'string') throw invalid(`${at}.content[${j}].text`, 'expected a string');
      return text;
    })
    .join('');
}
