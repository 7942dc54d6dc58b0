/**
 * What a relayed stream leaves behind: its recording for the cache (and its replay on a hit), and the
 * failure that ends it once it has committed.
 * @module
 */
import { BackendError, type StreamEvent } from '../backends/backend.js';
import { UpstreamError } from '../errors.js';
import type { Attempt, ChainResult } from '../routing/execute-chain.js';
import type { GenerationResult } from './operations.js';

/**
 * What a relayed stream said, kept for the cache: its text, or the events it passed through while they
 * stay small (a long stream is not cached), and its totals.
 */
export class StreamRecording {
  done?: Extract<StreamEvent, { type: 'done' }>;
  #text = '';
  #frames: string[] | undefined = [];
  #chars = 0;
  #frameCount = 0;

  /**
   * Without the backend's totals (a stream cut short): about four characters a token of relayed text, and for
   * passed-through events, one token per event (an OpenAI-compatible stream sends a delta per token or so).
   */
  outputTokensEstimate(): number {
    return Math.ceil(this.#text.length / 4) + this.#frameCount;
  }

  add(event: StreamEvent): void {
    if (event.type === 'text') this.#text += event.text;
    else if (event.type === 'done') this.done = event;
    else {
      this.#chars += event.frame.length;
      this.#frameCount++;
      if (this.#chars > MAX_CACHED_STREAM_CHARS) this.#frames = undefined;
      this.#frames?.push(event.frame);
    }
  }

  /** The stream as the cache keeps it, when it ended and was not too long. */
  stored(): StoredStream | undefined {
    if (!this.done || !this.#frames) return undefined;
    return {
      text: this.#text,
      ...(this.#frames.length > 0 ? { frames: this.#frames } : {}),
      finishReason: this.done.finishReason,
      inputTokens: this.done.inputTokens,
      outputTokens: this.done.outputTokens,
    };
  }
}

/** A stream's failure after its first event, with the attempt it ends (for metrics and usage). */
export function midStreamFailure(err: unknown, result: ChainResult<unknown>): UpstreamError {
  const target = result.step.target;
  const failed: Attempt = {
    model: target.model.name,
    ...(target.version ? { version: target.version.version } : {}),
    outcome: 'failed',
    kind: err instanceof BackendError ? err.kind : 'upstream_error',
    reason: (err as Error)?.message ?? String(err),
  };
  return new UpstreamError('The stream broke after it started', { attempts: [...result.attempts, failed] });
}

/** Largest stream (in characters of its events) kept in the cache. */
const MAX_CACHED_STREAM_CHARS = 1024 * 1024;

/** A stream as cached: its text, or the events it passed through as they were. */
export type StoredStream = GenerationResult & { readonly frames?: readonly string[] };

export async function* replay(result: StoredStream): AsyncIterable<StreamEvent> {
  if (result.frames) for (const frame of result.frames) yield { type: 'frame', frame };
  else if (result.text) yield { type: 'text', text: result.text };
  yield {
    type: 'done',
    finishReason: result.finishReason,
    inputTokens: result.inputTokens,
    outputTokens: result.outputTokens,
  };
}
