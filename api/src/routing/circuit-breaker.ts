/**
 * One circuit breaker per backend endpoint: after repeated failures it opens, so requests skip a dead
 * backend at no latency; after a cooldown one request probes it (half-open) and its outcome closes or
 * re-opens the circuit. The clock is injected, so the state machine is tested without waiting.
 * @module
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long an open circuit refuses before letting one probe through. */
  readonly cooldownMs: number;
  readonly now?: () => number;
}

interface Circuit {
  state: CircuitState;
  failures: number;
  openedAt: number;
  probing: boolean;
}

export class CircuitBreakers {
  readonly #o: Required<CircuitOptions>;
  readonly #circuits = new Map<string, Circuit>();
  /** Called when a circuit changes state (metrics, logs). */
  onChange?: (key: string, state: CircuitState) => void;

  constructor(options: CircuitOptions) {
    this.#o = { now: Date.now, ...options };
  }

  #get(key: string): Circuit {
    let circuit = this.#circuits.get(key);
    if (!circuit) {
      circuit = { state: 'closed', failures: 0, openedAt: 0, probing: false };
      this.#circuits.set(key, circuit);
    }
    return circuit;
  }

  #set(key: string, circuit: Circuit, state: CircuitState): void {
    if (circuit.state === state) return;
    circuit.state = state;
    this.onChange?.(key, state);
  }

  state(key: string): CircuitState {
    return this.#circuits.get(key)?.state ?? 'closed';
  }

  /** Whether a request may go to `key` now; a half-open circuit admits one probe at a time. */
  allow(key: string): boolean {
    const circuit = this.#circuits.get(key);
    if (!circuit || circuit.state === 'closed') return true;
    if (circuit.state === 'open') {
      if (this.#o.now() - circuit.openedAt < this.#o.cooldownMs) return false;
      this.#set(key, circuit, 'half-open');
    }
    if (circuit.probing) return false;
    circuit.probing = true;
    return true;
  }

  success(key: string): void {
    const circuit = this.#circuits.get(key);
    if (!circuit) return;
    circuit.failures = 0;
    circuit.probing = false;
    this.#set(key, circuit, 'closed');
  }

  failure(key: string): void {
    const circuit = this.#get(key);
    circuit.failures += 1;
    const probeFailed = circuit.state === 'half-open';
    circuit.probing = false;
    if (probeFailed || circuit.failures >= this.#o.failureThreshold) {
      circuit.openedAt = this.#o.now();
      this.#set(key, circuit, 'open');
    }
  }

  /** Forgets endpoints that no longer exist (pods gone), so the map does not grow forever. */
  retain(keys: ReadonlySet<string>, prefix: string): void {
    for (const key of this.#circuits.keys())
      if (key.startsWith(prefix) && !keys.has(key)) this.#circuits.delete(key);
  }
}
