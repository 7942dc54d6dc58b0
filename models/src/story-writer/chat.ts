/**
 * The story writers' chat format: ChatML, as Qwen and many instruct models use it. The Jinja template
 * ships in tokenizer_config.json for `apply_chat_template`; `renderChat` is the same rendering in
 * TypeScript, used to turn the chats in models/data/chats.txt into training text.
 * @module
 */

export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

/** ChatML: each message `<|im_start|>role\ncontent<|im_end|>\n`, then `<|im_start|>assistant\n` to prompt a reply. */
export const CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** What CHAT_TEMPLATE renders for `messages`. */
export function renderChat(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
  const turns = messages.map((m) => `${IM_START}${m.role}\n${m.content}${IM_END}\n`).join('');
  return addGenerationPrompt ? `${turns}${IM_START}assistant\n` : turns;
}

const ROLE_LINE = /^(system|user|assistant):\s*(.*)$/;

/** Chats: one `role: content` line per message, a blank line between chats, `#` comment lines ignored. */
export function parseChats(text: string): ChatMessage[][] {
  const chats: ChatMessage[][] = [];
  let current: ChatMessage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    if (line === '') {
      if (current.length) chats.push(current);
      current = [];
      continue;
    }
    const m = ROLE_LINE.exec(line);
    if (!m || m[2] === '') throw new Error(`expected "system|user|assistant: text": ${line}`);
    current.push({ role: m[1] as ChatRole, content: m[2]! });
  }
  if (current.length) chats.push(current);
  for (const chat of chats) {
    if (chat.at(-1)!.role !== 'assistant')
      throw new Error(`a chat must end with the assistant's turn: ${chat.at(-1)!.content}`);
  }
  return chats;
}
