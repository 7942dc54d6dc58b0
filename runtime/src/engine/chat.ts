/**
 * Chats as the runtime reads them: the `messages` input's JSON (OpenAI's message shapes), checked; the plain
 * transcript a model without a chat template gets; the messages a chat template gets; and the end-of-turn
 * token a template closes an assistant turn with. Pure: the template itself is run by the tokenizer.
 * @module
 */
import { InvalidTensorError } from '../errors.js';

export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

/** A tool call an assistant message made, as OpenAI shapes it (`arguments` is a JSON text). */
export interface ToolCall {
  readonly id?: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

/** One message of a chat, with OpenAI's field names. */
export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
  /** Assistant messages only: the tool calls it made. */
  readonly tool_calls?: readonly ToolCall[];
  /** Tool messages only: the call this result answers. */
  readonly tool_call_id?: string;
}

/** A message as a chat template reads it (Hugging Face's convention: tool-call arguments as an object). */
export interface TemplateMessage {
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly content: string;
  readonly tool_calls?: readonly {
    readonly id?: string;
    readonly type: 'function';
    readonly function: { readonly name: string; readonly arguments: unknown };
  }[];
  readonly tool_call_id?: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const MESSAGE_FIELDS = new Set(['role', 'content', 'tool_calls', 'tool_call_id']);

function toolCall(value: unknown, at: string, fail: (why: string) => never): ToolCall {
  if (!isObject(value)) fail(`${at} must be an object`);
  const call = value as Json;
  if (call.type !== 'function') fail(`${at}.type must be "function"`);
  if (call.id !== undefined && typeof call.id !== 'string') fail(`${at}.id must be a string`);
  const fn = call.function;
  if (!isObject(fn)) fail(`${at}.function must be an object`);
  const { name, arguments: args } = fn as Json;
  if (typeof name !== 'string' || name.length === 0) fail(`${at}.function.name must be a non-empty string`);
  if (typeof args !== 'string') fail(`${at}.function.arguments must be a string (JSON text)`);
  return {
    ...(call.id === undefined ? {} : { id: call.id as string }),
    type: 'function',
    function: { name: name as string, arguments: args as string },
  };
}

/** The tool fields of message `at`: tool_calls on assistant messages, tool_call_id on tool messages. */
function toolFields(m: Json, at: string, fail: (why: string) => never): Partial<ChatMessage> {
  const calls = m.tool_calls;
  if (calls !== undefined && m.role !== 'assistant') fail(`${at}.tool_calls is only for assistant messages`);
  if (calls !== undefined && (!Array.isArray(calls) || calls.length === 0))
    fail(`${at}.tool_calls must be a non-empty array`);
  const callId = m.tool_call_id;
  if (m.role === 'tool' && (typeof callId !== 'string' || callId.length === 0))
    fail(`${at}.tool_call_id must be a non-empty string in a tool message`);
  if (m.role !== 'tool' && callId !== undefined) fail(`${at}.tool_call_id is only for tool messages`);
  return {
    ...(calls === undefined
      ? {}
      : { tool_calls: (calls as unknown[]).map((c, j) => toolCall(c, `${at}.tool_calls[${j}]`, fail)) }),
    ...(m.role === 'tool' ? { tool_call_id: callId as string } : {}),
  };
}

function chatMessage(value: unknown, i: number, fail: (why: string) => never): ChatMessage {
  const at = `messages[${i}]`;
  if (!isObject(value)) fail(`${at} must be a message object`);
  const m = value as Json;
  const role = m.role;
  if (typeof role !== 'string' || !(CHAT_ROLES as readonly string[]).includes(role))
    fail(`${at}.role must be one of ${CHAT_ROLES.join(', ')}`);
  const field = Object.keys(m).find((k) => !MESSAGE_FIELDS.has(k));
  if (field !== undefined) fail(`${at}.${field} is not a field the runtime reads`);
  const tools = toolFields(m, at, fail);
  const content = m.content;
  // An assistant message that only calls tools may have no content, as in OpenAI's API.
  const empty = (content === null || content === undefined) && tools.tool_calls !== undefined;
  if (typeof content !== 'string' && !empty) fail(`${at}.content must be a string`);
  return { role: role as ChatRole, content: typeof content === 'string' ? content : '', ...tools };
}

/**
 * The chat in one element of the `messages` input: a JSON array of messages.
 * @param subject how errors name the element, e.g. `element 0 of 'messages'`.
 * @throws {InvalidTensorError} naming the element and the message at fault.
 */
export function parseChat(json: string, subject: string): ChatMessage[] {
  const fail = (why: string): never => {
    throw new InvalidTensorError(`${subject}: ${why}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    fail(`not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(value) || value.length === 0) fail('expected a non-empty JSON array of messages');
  return (value as unknown[]).map((m, i) => chatMessage(m, i, fail));
}

/**
 * What a model without a chat template reads: a single user message is the bare prompt; any other chat is a
 * transcript, `role: content` a line, ending with `assistant:`.
 * @throws {InvalidTensorError} for tool messages and tool calls, which only a template can render.
 */
export function plainTranscript(messages: readonly ChatMessage[], subject: string): string {
  const tooly = messages.findIndex((m) => m.role === 'tool' || m.tool_calls !== undefined);
  if (tooly >= 0) {
    const what = messages[tooly]?.role === 'tool' ? 'a tool message' : 'an assistant message with tool_calls';
    throw new InvalidTensorError(
      `${subject}: messages[${tooly}] is ${what}, which only a model with a chat template can read; this model has none`,
    );
  }
  if (messages.length === 1 && messages[0]?.role === 'user') return messages[0].content;
  return `${messages.map((m) => `${m.role}: ${m.content}`).join('\n')}\nassistant:`;
}

/** Where a template reads tool calls (`message.tool_calls`, `message['tool_calls']`). */
const READS_TOOL_CALLS = /\btool_calls\b/;
/** Where a template names the tool role (`message.role == "tool"`); `tools` (the tool list) does not count. */
const READS_TOOL_ROLE = /(['"])tool\1/;

/**
 * Refuses what a chat template would drop without a word: tool calls when its source never mentions
 * `tool_calls` (a template that prints only `content` renders them as an empty turn), tool messages when it
 * never names the `tool` role (it would render them as whatever it does with an unknown role, or not at all).
 * Qwen3's template reads both; Llama 3.0's and Gemma 3's neither.
 * @param template the chat template's source.
 * @throws {InvalidTensorError} naming the first message the template cannot render.
 */
export function checkTemplateRendersTools(
  messages: readonly ChatMessage[],
  template: string,
  subject: string,
): void {
  const calls = READS_TOOL_CALLS.test(template);
  const tools = READS_TOOL_ROLE.test(template);
  const i = messages.findIndex(
    (m) => (m.tool_calls !== undefined && !calls) || (m.role === 'tool' && !tools),
  );
  if (i < 0) return;
  const what =
    messages[i]?.role === 'tool'
      ? `messages[${i}] is a tool message: the model's chat template does not render tool messages (it never names the tool role)`
      : `messages[${i}].tool_calls: the model's chat template does not render tool calls (it never mentions tool_calls)`;
  throw new InvalidTensorError(
    `${subject}: ${what}, which only a model with a chat template can read when the template renders them`,
  );
}

/**
 * The messages as a chat template reads them: `developer` becomes `system` (templates know no developer
 * role; OpenAI treats it as the system message), tool-call arguments are parsed into objects.
 * @throws {InvalidTensorError} when tool-call arguments are not a JSON object.
 */
export function templateMessages(messages: readonly ChatMessage[], subject: string): TemplateMessage[] {
  return messages.map((m, i) => {
    const role = m.role === 'developer' ? 'system' : m.role;
    const calls = m.tool_calls?.map((call, j) => {
      let args: unknown;
      try {
        args = JSON.parse(call.function.arguments);
      } catch {
        args = undefined;
      }
      if (typeof args !== 'object' || args === null || Array.isArray(args)) {
        throw new InvalidTensorError(
          `${subject}: messages[${i}].tool_calls[${j}].function.arguments must be a JSON object`,
        );
      }
      return { ...call, function: { name: call.function.name, arguments: args } };
    });
    return {
      role,
      content: m.content,
      ...(calls ? { tool_calls: calls } : {}),
      ...(m.tool_call_id === undefined ? {} : { tool_call_id: m.tool_call_id }),
    };
  });
}

/** The assistant text of the probe chat that finds a template's end-of-turn token. */
export const PROBE_ANSWER = 'Probe answer 7c1e';

/**
 * The token a chat template closes an assistant turn with (`<|im_end|>`, `<|eot_id|>`, `<end_of_turn>`):
 * a user question and an assistant answer are rendered, and the first token of what follows the answer is
 * it when it is a special token. Undefined when the template refuses the probe or writes no special token
 * there.
 * @param render the template over messages, without a generation prompt.
 * @param encode token ids of a text, adding no special tokens of its own.
 */
export function endOfTurnToken(
  render: (messages: TemplateMessage[]) => string,
  encode: (text: string) => number[],
  specialIds: ReadonlySet<number>,
): number | undefined {
  let rendered: string;
  try {
    rendered = render([
      { role: 'user', content: 'Probe question' },
      { role: 'assistant', content: PROBE_ANSWER },
    ]);
  } catch {
    return undefined;
  }
  const at = rendered.lastIndexOf(PROBE_ANSWER);
  if (at < 0) return undefined;
  const after = rendered.slice(at + PROBE_ANSWER.length);
  const first = after.length > 0 ? encode(after)[0] : undefined;
  return first !== undefined && specialIds.has(first) ? first : undefined;
}
