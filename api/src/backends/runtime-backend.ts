/**
 * Serves `provider: onnx` models through our runtimes: Open Inference Protocol v2 over gRPC, one
 * long-lived channel per runtime address, round robin across the ready addresses of a version, each
 * address behind its own circuit breaker, deadlines and cancellation passed through.
 * @module
 */
import {
  FETCHING_STATES,
  type GenerateChunk,
  type GeneratedTokenLogprob as GeneratedTokenLogprobWithId,
  loadPhaseOf,
  type ModelIndexEntry,
  type ChatMessage as RuntimeChatMessage,
  RuntimeClient,
} from '../../../runtime/src/client/index.js';
import type { ArtifactRound, ArtifactWatch, ModelRepository, RuntimeArtifactState } from '../deps.js';
import type { CircuitBreakers } from '../routing/circuit-breaker.js';
import { policyOf } from '../routing/failure-policy.js';
import {
  BackendError,
  type CallContext,
  type ClassifyOptions,
  type ClassifyOutput,
  type EmbedOptions,
  type EmbedOutput,
  type FailureKind,
  type GeneratedTokenLogprob,
  type GenerateOutput,
  type GenerateParams,
  type GenerationInput,
  type InferenceBackend,
  type RouteTarget,
  type StreamEvent,
  type TokenizeOutput,
} from './backend.js';
import { runtimeFailure } from './runtime-failures.js';

const countsAgainstEndpoint = (kind: FailureKind) => policyOf(kind).countsAgainstEndpoint;

/**
 * The generation parameters a runtime honours. Operations refuse any others before a runtime is called
 * (inference/operations.ts); this keeps them off the wire all the same.
 */
function runtimeParams(params: GenerateParams): Omit<GenerateParams, 'extra'> {
  const { extra: _refusedEarlier, ...honoured } = params;
  return honoured;
}

/** A runtime's token with its alternatives, without the ids (OpenAI's shapes carry text and bytes). */
function tokenLogprob(t: GeneratedTokenLogprobWithId): GeneratedTokenLogprob {
  return {
    token: t.token,
    logprob: t.logprob,
    top: t.top.map((a) => ({ token: a.token, logprob: a.logprob })),
  };
}

/** A streamed piece of one choice's text, with its tokens' logprobs when asked for. */
function textEvent(chunk: GenerateChunk): StreamEvent {
  return {
    type: 'text',
    text: chunk.text,
    ...(chunk.choice ? { choice: chunk.choice } : {}),
    ...(chunk.logprobs ? { logprobs: chunk.logprobs.map(tokenLogprob) } : {}),
  };
}

/**
 * What a runtime generates from: a completion's prompt as text, a chat as its messages (OpenAI's shapes),
 * which the runtime renders with the model's chat template.
 */
function prompt(input: GenerationInput): { prompt: string } | { messages: RuntimeChatMessage[] } {
  if (input.kind === 'completion') return { prompt: input.prompt };
  return {
    messages: input.messages.map((m) => ({
      role: m.role,
      content: m.content,
      ...(m.toolCalls ? { tool_calls: m.toolCalls } : {}),
      ...(m.toolCallId === undefined ? {} : { tool_call_id: m.toolCallId }),
    })),
  };
}

export class RuntimeBackend implements InferenceBackend, ModelRepository {
  readonly #clients = new Map<string, RuntimeClient>();
  readonly #next = new Map<string, number>();
  /** Loads this router asked a runtime for and has no answer to yet, by address and model. */
  readonly #loads = new Map<string, PendingLoad>();
  readonly #breakers: CircuitBreakers;

  constructor(breakers: CircuitBreakers) {
    this.#breakers = breakers;
  }

  /** The channel to a runtime address, opened on first use and kept. */
  client(address: string): RuntimeClient {
    let client = this.#clients.get(address);
    if (!client) {
      client = new RuntimeClient(address);
      this.#clients.set(address, client);
    }
    return client;
  }

  /** Closes channels (and forgets breakers) of addresses that no longer serve anything. */
  retain(addresses: ReadonlySet<string>): void {
    for (const [address, client] of this.#clients) {
      if (addresses.has(address)) continue;
      client.close();
      this.#clients.delete(address);
    }
    this.#breakers.retain(new Set([...addresses].map((a) => `runtime:${a}`)), 'runtime:');
  }

  close(): void {
    this.retain(new Set());
  }

  /** The next address of the version whose circuit admits a request, round robin. */
  #pick(target: RouteTarget): string {
    const version = target.version;
    const addresses = version?.addresses ?? [];
    if (!version || addresses.length === 0) {
      throw new BackendError(
        'unavailable',
        `${target.model.name} ${version?.version ?? ''} has no ready runtime`,
      );
    }
    const start = this.#next.get(version.name) ?? 0;
    for (let i = 0; i < addresses.length; i++) {
      const address = addresses[(start + i) % addresses.length] as string;
      if (this.#breakers.allow(`runtime:${address}`)) {
        this.#next.set(version.name, (start + i + 1) % addresses.length);
        return address;
      }
    }
    throw new BackendError(
      'unavailable',
      `every runtime of ${target.model.name} ${version.version} is failing (circuit open)`,
      {
        circuitOpen: true,
      },
    );
  }

  async #call<T>(target: RouteTarget, fn: (client: RuntimeClient) => Promise<T>): Promise<T> {
    const address = this.#pick(target);
    const key = `runtime:${address}`;
    try {
      const value = await fn(this.client(address));
      this.#breakers.success(key);
      return value;
    } catch (err) {
      const failure = runtimeFailure(err, address, runtimeName(target));
      if (countsAgainstEndpoint(failure.kind)) this.#breakers.failure(key);
      else this.#breakers.success(key);
      throw failure;
    }
  }

  #ids(target: RouteTarget): { model: string; version: string } {
    return { model: target.model.name, version: target.version?.version ?? '' };
  }

  #options(ctx: CallContext) {
    return { deadline: new Date(ctx.deadline), signal: ctx.signal, requestId: ctx.requestId };
  }

  generate(
    target: RouteTarget,
    input: GenerationInput,
    params: GenerateParams,
    ctx: CallContext,
  ): Promise<GenerateOutput> {
    const honoured = runtimeParams(params);
    return this.#call(target, async (client) => {
      const out = await client.generate(
        { ...this.#ids(target), ...prompt(input), ...honoured },
        this.#options(ctx),
      );
      return {
        text: out.text,
        finishReason: out.finishReason,
        choices: out.choices.map((c) => ({
          text: c.text,
          finishReason: c.finishReason,
          ...(c.logprobs ? { logprobs: c.logprobs.map(tokenLogprob) } : {}),
        })),
        inputTokens: out.promptTokens,
        outputTokens: out.completionTokens,
        ...(out.sampled ? { sampled: true } : {}),
      };
    });
  }

  /**
   * Token by token over ModelStreamInfer. The address is chosen (and its circuit consulted) once; a failure
   * before the first chunk can still move the request to another target, one after it ends the stream.
   */
  async *stream(
    target: RouteTarget,
    input: GenerationInput,
    params: GenerateParams,
    ctx: CallContext,
  ): AsyncIterable<StreamEvent> {
    const honoured = runtimeParams(params);
    const address = this.#pick(target);
    const key = `runtime:${address}`;
    const chunks = this.client(address).generateStream(
      { ...this.#ids(target), ...prompt(input), ...honoured },
      this.#options(ctx),
    );
    let last: Partial<GenerateChunk> = {};
    let settled = false;
    try {
      for await (const chunk of chunks) {
        if (chunk.finishReason) last = chunk;
        else if (chunk.text || chunk.logprobs?.length) yield textEvent(chunk);
      }
      settled = true;
      this.#breakers.success(key);
    } catch (err) {
      settled = true;
      const failure = runtimeFailure(err, address, runtimeName(target));
      if (countsAgainstEndpoint(failure.kind)) this.#breakers.failure(key);
      else this.#breakers.success(key);
      throw failure;
    } finally {
      // Abandoned by its consumer (the client left): the runtime answered, so its probe, if any, is over.
      if (!settled) this.#breakers.success(key);
    }
    yield {
      type: 'done',
      finishReason: last.finishReason ?? 'stop',
      ...(last.finishReasons && last.finishReasons.length > 1 ? { finishReasons: last.finishReasons } : {}),
      inputTokens: last.promptTokens ?? 0,
      outputTokens: last.completionTokens ?? 0,
      ...(last.sampled ? { sampled: true } : {}),
    };
  }

  classify(
    target: RouteTarget,
    texts: readonly string[],
    options: ClassifyOptions,
    ctx: CallContext,
  ): Promise<ClassifyOutput> {
    return this.#call(target, async (client) => {
      const request = { ...this.#ids(target), texts, ...options };
      const out = await client.classify(request, this.#options(ctx));
      return { results: out.results, inputTokens: out.promptTokens };
    });
  }

  embed(
    target: RouteTarget,
    texts: readonly string[],
    options: EmbedOptions,
    ctx: CallContext,
  ): Promise<EmbedOutput> {
    return this.#call(target, async (client) => {
      const request = { ...this.#ids(target), texts, ...options };
      const out = await client.embed(request, this.#options(ctx));
      return { embeddings: out.embeddings, inputTokens: out.promptTokens };
    });
  }

  tokenize(target: RouteTarget, text: string, ctx: CallContext): Promise<TokenizeOutput> {
    return this.#call(target, (client) =>
      client.tokenize({ ...this.#ids(target), text }, this.#options(ctx)),
    );
  }

  /**
   * Re-fetches, verifies and reloads the version's artifact on every runtime address (when `watch.trigger`), then
   * follows it for up to `watch.waitMs`. A runtime runs one load at a time and queues another behind it, so a
   * runtime that is loading already (its RepositoryIndex says so, or this router asked it and has no answer yet)
   * is joined, never asked again: one fetch of the artifact at a time per runtime. Progress and outcome are read
   * from RepositoryIndex, so any router replica can follow a load another started.
   */
  async artifact(target: RouteTarget, watch: ArtifactWatch): Promise<ArtifactRound> {
    const addresses = target.version?.addresses ?? [];
    if (addresses.length === 0)
      throw new BackendError('unavailable', `${target.model.name} has no ready runtime`);
    const model = target.model.name;
    if (watch.trigger) for (const address of addresses) this.#startLoad(address, model, watch.requestId);
    const until = Date.now() + watch.waitMs;
    for (;;) {
      const runtimes = await Promise.all(addresses.map((address) => this.#artifactState(address, model)));
      const started = addresses
        .map((address) => this.#loads.get(loadKey(address, model))?.startedAt)
        .filter((t): t is number => t !== undefined);
      const round = { runtimes, ...(started.length > 0 ? { startedAt: Math.min(...started) } : {}) };
      const busy = runtimes.some((r) => r.state === 'DOWNLOADING' || r.state === 'LOADING');
      const left = until - Date.now();
      if (!busy || left <= 0 || watch.signal.aborted) return round;
      // Wake when a load this router asked for answers, or after a short poll of the index.
      const pending = addresses.flatMap((address) => this.#loads.get(loadKey(address, model))?.done ?? []);
      await Promise.race([...pending, delay(Math.min(ARTIFACT_POLL_MS, left), watch.signal)]);
    }
  }

  /** Asks `address` to reload `model` unless it is loading already; the answer is awaited in the background. */
  #startLoad(address: string, model: string, requestId: string): void {
    const key = loadKey(address, model);
    if (this.#loads.has(key)) return;
    const client = this.client(address);
    const done: Promise<void> = (async () => {
      const entry = (await client.repositoryIndex({ deadline: inMs(INDEX_TIMEOUT_MS), requestId })).find(
        (m) => m.name === model,
      );
      // Someone else's load (another router, the operator) is running: the index reports it; do not queue another.
      if (entry && loadPhaseOf(entry).phase === 'loading') return;
      await client.loadModel(model, { deadline: inMs(LOAD_RPC_TIMEOUT_MS), requestId });
    })()
      // Failures are read back from RepositoryIndex (the reload's reason) or show as an unreachable runtime.
      .catch(() => undefined)
      .finally(() => {
        if (this.#loads.get(key)?.done === done) this.#loads.delete(key);
      });
    this.#loads.set(key, { startedAt: Date.now(), done });
  }

  async #artifactState(address: string, model: string): Promise<RuntimeArtifactState> {
    const asked = this.#loads.has(loadKey(address, model));
    let entry: ModelIndexEntry | undefined;
    try {
      entry = (await this.client(address).repositoryIndex({ deadline: inMs(INDEX_TIMEOUT_MS) })).find(
        (m) => m.name === model,
      );
    } catch (err) {
      const failure = runtimeFailure(err, address, `runtime of model ${model}`);
      return { address, state: 'UNREACHABLE', reason: failure.message, serving: false };
    }
    if (!entry) {
      return { address, state: 'FAILED', reason: `the runtime does not serve ${model}`, serving: false };
    }
    const phase = loadPhaseOf(entry);
    // Asked and not answered yet: the runtime may not have started the load, so an index that reads READY (or
    // the failure of an earlier load) is not the answer yet.
    if (phase.phase === 'loading' || asked) {
      const download = phase.phase === 'loading' ? phase.download : undefined;
      const fetching = download !== undefined && FETCHING_STATES.has(download.state);
      return {
        address,
        state: fetching ? 'DOWNLOADING' : 'LOADING',
        ...(phase.phase === 'loading' && entry.reason ? { reason: entry.reason } : {}),
        serving: phase.phase === 'loading' ? phase.serving : entry.state === 'READY',
        ...(download ? { download } : {}),
      };
    }
    if (phase.phase === 'ready') return { address, state: 'READY', serving: true };
    return {
      address,
      state: 'FAILED',
      reason: phase.message,
      ...(phase.code ? { code: phase.code } : {}),
      serving: phase.serving,
    };
  }
}

interface PendingLoad {
  readonly startedAt: number;
  readonly done: Promise<void>;
}

/** A runtime as callers see it: its model and version, never its (internal) address. */
const runtimeName = (target: RouteTarget) =>
  `runtime of model ${target.model.name}${target.version ? ` ${target.version.version}` : ''}`;

const loadKey = (address: string, model: string) => `${address}\n${model}`;
const inMs = (ms: number) => new Date(Date.now() + ms);

/** How often a waiting request reads the runtimes' progress. */
const ARTIFACT_POLL_MS = 250;
const INDEX_TIMEOUT_MS = 5_000;
/**
 * How long this router follows its own RepositoryModelLoad call; a load that runs longer goes on in the runtime
 * (the call's end does not cancel it) and is followed through RepositoryIndex from then on.
 */
const LOAD_RPC_TIMEOUT_MS = 10 * 60_000;

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
