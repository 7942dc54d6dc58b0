/**
 * Output guardrails where the inference service serves: every answer of a model with an output policy,
 * fresh or from the cache (the cache keeps answers as the model gave them, so a changed policy applies to
 * them too), non-streamed or streamed, is scanned before it leaves. Redactions replace the match with a
 * marker; a block rule refuses the answer with 422, or ends a stream with the stream's error event.
 * @module
 */
import type { StreamEvent } from '../backends/backend.js';
import type { CatalogModel } from '../catalog/catalog.js';
import { GuardrailBlockedError } from '../errors.js';
import type { Operation } from '../inference/operations.js';
import { FrameGuard } from './openai-frames.js';
import { compilePolicy, type OutputPolicy } from './policy.js';
import { type Scanned, scanOutput } from './scan.js';
import { type Released, StreamRedactor } from './stream-redactor.js';

export interface Intervention {
  readonly requestId: string;
  readonly model: string;
  readonly rule: string;
  readonly direction: 'input' | 'output';
  readonly action: 'redact' | 'block';
}

/** Counts and logs an intervention (never the text). */
export type Report = (intervention: Intervention) => void;

export function blocked(model: string, direction: 'input' | 'output', rule: string): GuardrailBlockedError {
  const what = direction === 'input' ? 'The request' : 'The answer';
  return new GuardrailBlockedError(`${what} was blocked by guardrail rule ${rule} of model ${model}`, {
    direction,
    rule,
    model,
  });
}

export class OutputGuardrails {
  readonly #report: Report;

  constructor(report: Report) {
    this.#report = report;
  }

  static policy(model: CatalogModel): OutputPolicy | undefined {
    return compilePolicy(model.spec.guardrails)?.output;
  }

  /** Reports each hit; a block is remembered in `tally` (the text released before it still goes out). */
  #take(model: string, requestId: string, tally: Tally): (r: Scanned | Released) => string {
    return (r) => {
      for (const hit of r.hits)
        this.#report({ requestId, model, rule: hit.rule, direction: 'output', action: hit.action });
      if (r.blocked) tally.blocked ??= r.blocked;
      return r.text;
    };
  }

  /** A non-streamed answer with its texts redacted; throws GuardrailBlockedError when a block rule matches. */
  value<T>(op: Operation<T>, model: CatalogModel, value: T, requestId: string): T {
    const policy = OutputGuardrails.policy(model);
    if (!policy || !op.rewrite) return value;
    const tally: Tally = {};
    const take = this.#take(model.name, requestId, tally);
    return op.rewrite(value, (text) => {
      const out = take(scanOutput(policy, text));
      if (tally.blocked) throw blocked(model.name, 'output', tally.blocked);
      return out;
    });
  }

  /** A stream's events with their texts redacted through a hold-back window per choice. */
  events(
    model: CatalogModel,
    events: AsyncIterable<StreamEvent>,
    requestId: string,
  ): AsyncIterable<StreamEvent> {
    const policy = OutputGuardrails.policy(model);
    if (!policy) return events;
    const tally: Tally = {};
    return guarded(policy, events, {
      take: this.#take(model.name, requestId, tally),
      stopped: () => (tally.blocked ? blocked(model.name, 'output', tally.blocked) : undefined),
    });
  }
}

interface Tally {
  blocked?: string;
}

interface Taking {
  readonly take: (r: Released) => string;
  /** The error that ends the stream, once a block rule fired. */
  readonly stopped: () => GuardrailBlockedError | undefined;
}

/** Per stream: a redactor per choice for text events, one frame guard for server-sent events. */
class StreamGuard {
  readonly #policy: OutputPolicy;
  readonly #taking: Taking;
  readonly #texts = new Map<number, StreamRedactor>();
  #frames: FrameGuard | undefined;

  constructor(policy: OutputPolicy, taking: Taking) {
    this.#policy = policy;
    this.#taking = taking;
  }

  /** The event with its text guarded, or undefined when all of it is held back. */
  event(event: StreamEvent): StreamEvent | undefined {
    if (event.type === 'text') {
      const choice = event.choice ?? 0;
      let r = this.#texts.get(choice);
      if (!r) {
        r = new StreamRedactor(this.#policy);
        this.#texts.set(choice, r);
      }
      const text = this.#taking.take(r.push(event.text));
      return text ? { ...event, text } : undefined;
    }
    if (event.type !== 'frame') return event;
    this.#frames ??= new FrameGuard(
      this.#policy,
      this.#taking.take,
      () => this.#taking.stopped() !== undefined,
    );
    const frame = this.#frames.frame(event.frame);
    return frame ? { type: 'frame', frame } : undefined;
  }

  /** Everything still held, as events. */
  *flush(): Generator<StreamEvent> {
    for (const [choice, r] of this.#texts) {
      const text = this.#taking.take(r.flush());
      if (text) yield { type: 'text', text, ...(choice === 0 ? {} : { choice }) };
    }
    this.#texts.clear();
    const tail = this.#frames?.end();
    if (tail) yield { type: 'frame', frame: tail };
  }
}

async function* guarded(
  policy: OutputPolicy,
  events: AsyncIterable<StreamEvent>,
  taking: Taking,
): AsyncIterable<StreamEvent> {
  const guard = new StreamGuard(policy, taking);
  const check = () => {
    const stop = taking.stopped();
    if (stop) throw stop;
  };
  for await (const event of events) {
    // The held text goes out before the stream says it is done.
    if (event.type === 'done') {
      yield* guard.flush();
      check();
    }
    const out = guard.event(event);
    if (out) yield out;
    check();
  }
  yield* guard.flush();
  check();
}
