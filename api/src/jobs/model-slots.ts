/**
 * Bounds the items of this process in flight per requested model, so a big batch on one model leaves
 * its runtimes room for live traffic and leaves worker slots for other models' items.
 * @module
 */
export class ModelSlots {
  readonly #busy = new Map<string, number>();

  constructor(readonly limit: number) {}

  tryAcquire(model: string): boolean {
    const busy = this.#busy.get(model) ?? 0;
    if (busy >= this.limit) return false;
    this.#busy.set(model, busy + 1);
    return true;
  }

  release(model: string): void {
    const busy = (this.#busy.get(model) ?? 1) - 1;
    if (busy <= 0) this.#busy.delete(model);
    else this.#busy.set(model, busy);
  }

  /** Items in flight across models. */
  get inFlight(): number {
    let n = 0;
    for (const busy of this.#busy.values()) n += busy;
    return n;
  }
}
