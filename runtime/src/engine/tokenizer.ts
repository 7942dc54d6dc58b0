/**
 * Tokenizers from the model directory, through transformers.js's AutoTokenizer, strictly offline.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { InvalidTensorError } from '../errors.js';
import {
  type ChatMessage,
  checkTemplateRendersTools,
  endOfTurnToken,
  plainTranscript,
  type TemplateMessage,
  templateMessages,
} from './chat.js';

/** Process-wide transformers.js settings: local files only, and no cache writes anywhere. */
function configureOffline(): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.useBrowserCache = false;
}

/** The tokenizer operations the engines need, over a loaded transformers.js tokenizer. */
export class TextTokenizer {
  private idToToken: Map<number, string> | undefined;

  constructor(private readonly inner: PreTrainedTokenizer) {}

  /** Token ids of a text, with the special tokens the model's template adds (e.g. [CLS] ... [SEP]). */
  encode(text: string): number[] {
    return this.inner.encode(text);
  }

  /**
   * Token ids of a text that fit `maxLength` with the special tokens: a longer text loses its last tokens and
   * keeps the specials (`[CLS] ... [SEP]`), as transformers' and sentence-transformers' truncation do.
   */
  encodeTruncated(text: string, maxLength: number): number[] {
    const full = this.inner.encode(text);
    if (full.length <= maxLength) return full;
    const own = this.inner.encode(text, { add_special_tokens: false });
    const specials = full.length - own.length;
    // Where the text's own tokens sit among the specials the template adds (after [CLS], <s>, ...).
    let start = 0;
    while (start <= specials && !own.every((id, i) => full[start + i] === id)) start++;
    if (start > specials) return full.slice(0, maxLength);
    const kept = own.slice(0, Math.max(0, maxLength - specials));
    return [...full.slice(0, start), ...kept, ...full.slice(start + own.length)];
  }

  /** Whether the model ships a chat template (tokenizer_config.json's `chat_template` or `chat_template.jinja`). */
  get hasChatTemplate(): boolean {
    return Boolean(this.inner.chat_template);
  }

  /**
   * The prompt a chat renders to and its token ids: through the model's chat template with the generation
   * prompt (the ids exactly as the rendered text reads: a template that writes the BOS token gets no second
   * one), or, without a template, as {@link plainTranscript} encoded like any text.
   * @param subject how errors name the chat, e.g. `element 0 of 'messages'`.
   * @throws {InvalidTensorError} when the template refuses the chat (its own message), renders no tool calls
   *   or tool messages the chat has (see {@link checkTemplateRendersTools}), or a chat without a template has
   *   tool messages.
   */
  renderChat(messages: readonly ChatMessage[], subject: string): { text: string; ids: number[] } {
    if (!this.hasChatTemplate) {
      const text = plainTranscript(messages, subject);
      return { text, ids: this.encode(text) };
    }
    let text: string;
    try {
      text = this.applyTemplate(templateMessages(messages, subject), true);
    } catch (error) {
      if (error instanceof InvalidTensorError) throw error;
      throw new InvalidTensorError(
        `${subject}: the model's chat template refused the chat: ${(error as Error).message}`,
      );
    }
    // After the template had its say: a template that refuses the chat names its own reason.
    checkTemplateRendersTools(messages, this.templateSource, subject);
    return { text, ids: this.inner.encode(text, { add_special_tokens: false }) };
  }

  /** The chat template's source: the template, or every named one of a list (tokenizer_config.json allows both). */
  private get templateSource(): string {
    const template: unknown = this.inner.chat_template;
    return typeof template === 'string' ? template : JSON.stringify(template ?? '');
  }

  /**
   * The token the chat template ends an assistant turn with, when it writes a special token there (see
   * {@link endOfTurnToken}); undefined without a template.
   */
  endOfTurnId(): number | undefined {
    if (!this.hasChatTemplate) return undefined;
    return endOfTurnToken(
      (messages) => this.applyTemplate(messages, false),
      (text) => this.inner.encode(text, { add_special_tokens: false }),
      new Set(this.inner.all_special_ids),
    );
  }

  private applyTemplate(messages: TemplateMessage[], addGenerationPrompt: boolean): string {
    return this.inner.apply_chat_template(
      messages as unknown as Parameters<PreTrainedTokenizer['apply_chat_template']>[0],
      {
        add_generation_prompt: addGenerationPrompt,
        tokenize: false,
      },
    ) as string;
  }

  /** Text of generated ids, without special tokens. */
  decode(ids: readonly number[]): string {
    return ids.length === 0 ? '' : this.inner.decode([...ids], { skip_special_tokens: true });
  }

  /** The vocabulary entry of each id, e.g. `Ġrobot` or `[CLS]`. */
  tokens(ids: readonly number[]): string[] {
    if (!this.idToToken) {
      this.idToToken = new Map([...this.inner.get_vocab()].map(([token, id]) => [id, token]));
    }
    return ids.map((id) => this.idToToken?.get(id) ?? '');
  }

  /** Id used to pad batches; undefined when the tokenizer defines none. */
  get padId(): number | undefined {
    return this.inner.pad_token_id ?? undefined;
  }

  /** The end-of-sequence id, when the tokenizer defines one. */
  get eosId(): number | undefined {
    return this.inner.eos_token_id ?? undefined;
  }
}

/** The chat template file newer exports ship beside tokenizer_config.json. */
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Loads `tokenizer.json` + `tokenizer_config.json` from a local model directory (an absolute path). */
export async function loadTokenizer(modelDir: string): Promise<TextTokenizer> {
  configureOffline();
  const inner = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
  // Newer exports keep the template in its own file, which then is the template (as in transformers).
  const template = await readOptional(join(modelDir, CHAT_TEMPLATE_FILE));
  if (template !== undefined) inner.chat_template = template;
  return new TextTokenizer(inner);
}
