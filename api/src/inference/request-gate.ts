/**
 * The checks every inference request passes once its model is known and before the cache or a backend is
 * asked, whichever path it came by (REST, /v1, batch items, streams): the caller's token and spend budgets
 * (limits/) and the model's input guardrails (guardrails/). A gate refuses by throwing an ApiError; a pass it
 * lets through is settled exactly once when the request ends, with what it really used.
 * @module
 */
import type { RouteTarget } from '../backends/backend.js';
import type { CatalogModel } from '../catalog/catalog.js';
import type { Operation } from './operations.js';

export interface GateRequest {
  readonly requestId: string;
  readonly caller: string;
  /** The model asked for. */
  readonly model: CatalogModel;
  readonly op: Operation<unknown>;
}

/** What a request used, as metered: none when it failed before any backend answered. */
export interface GateUsage {
  /** The target that served it (a fallback's pricing may differ from the model asked for). */
  readonly target: RouteTarget;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Answered from the response cache: no model did any work. */
  readonly cacheHit: boolean;
}

export interface GatePass {
  settle(used: GateUsage | undefined): void;
}

export interface RequestGate {
  enter(request: GateRequest): Promise<GatePass>;
}

const NOTHING: GatePass = { settle: () => undefined };

/** Runs gates in order; a refusal by a later gate settles the passes already given (with nothing used). */
export async function enterGates(gates: readonly RequestGate[], request: GateRequest): Promise<GatePass> {
  if (gates.length === 0) return NOTHING;
  const passes: GatePass[] = [];
  try {
    for (const gate of gates) passes.push(await gate.enter(request));
  } catch (err) {
    for (const pass of passes) pass.settle(undefined);
    throw err;
  }
  let settled = false;
  return {
    settle(used) {
      if (settled) return;
      settled = true;
      for (const pass of passes) pass.settle(used);
    },
  };
}
