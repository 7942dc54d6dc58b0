/** One contract for every budget store: all-or-nothing reservations, the previous window's weight, settlement. */
import { expect } from 'chai';
import type { BudgetCounter, BudgetStore } from '../../../api/src/limits/budget-store.js';

export interface BudgetStoreFixture {
  /** A store on the given clock (the memory store expires by it; Redis by its own). */
  make(now: () => number): Promise<BudgetStore>;
}

export function budgetStoreContract(name: string, fixture: BudgetStoreFixture): void {
  describe(`${name}: the budget store contract`, () => {
    let clock = 0;
    let store: BudgetStore;
    let n = 0;
    const key = () => `{c-${process.pid}-${Date.now()}-${n++}}`;
    const counter = (
      k: string,
      amount: number,
      limit: number,
      extra: Partial<BudgetCounter> = {},
    ): BudgetCounter => ({
      key: k,
      previousWeight: 0,
      limit,
      amount,
      ttlMs: 60_000,
      ...extra,
    });

    beforeEach(async () => {
      clock = Date.now();
      store = await fixture.make(() => clock);
    });
    afterEach(async () => {
      await store.close();
    });

    it('takes amounts while they fit and refuses, unchanged, past the limit', async () => {
      const k = key();
      const states = [];
      for (const amount of [40, 50, 20, 10]) states.push(await store.reserve([counter(k, amount, 100)]));
      expect(states.map((s) => s?.refused)).to.deep.equal([undefined, undefined, 0, undefined]);
      expect(states.map((s) => s?.states[0]?.current)).to.deep.equal([0, 40, 90, 90]);
      expect((await store.reserve([counter(k, 1, 100)]))?.refused).to.equal(0);
    });

    it('is all or nothing across counters, and says which one refused', async () => {
      const a = key();
      const b = key();
      await store.reserve([counter(b, 95, 100)]);
      const refused = await store.reserve([counter(a, 10, 100), counter(b, 10, 100)]);
      expect(refused?.refused).to.equal(1);
      expect(refused?.states).to.deep.equal([
        { current: 0, previous: 0 },
        { current: 95, previous: 0 },
      ]);
      // Nothing was taken from a.
      expect((await store.reserve([counter(a, 100, 100)]))?.refused).to.equal(undefined);
    });

    it('weighs the previous window by its overlap', async () => {
      const prev = key();
      const cur = key();
      await store.reserve([counter(prev, 80, 100)]);
      const at = (weight: number, amount: number) =>
        store.reserve([counter(cur, amount, 100, { previousKey: prev, previousWeight: weight })]);
      expect((await at(0.5, 61))?.refused).to.equal(0); // 40 + 61
      const taken = await at(0.5, 60);
      expect(taken?.refused).to.equal(undefined);
      expect(taken?.states[0]).to.deep.equal({ current: 0, previous: 80 });
      expect((await at(0, 40))?.refused).to.equal(undefined); // the previous window is gone: 60 + 40
    });

    it('a zero amount always passes and takes nothing', async () => {
      const k = key();
      await store.reserve([counter(k, 100, 100)]);
      expect((await store.reserve([counter(k, 0, 100)]))?.refused).to.equal(undefined);
    });

    it('settles: gives back what was not used, adds what was used beyond', async () => {
      const k = key();
      await store.reserve([counter(k, 90, 100)]);
      await store.adjust(k, -60);
      expect((await store.reserve([counter(k, 70, 100)]))?.states[0]?.current).to.equal(30);
      await store.adjust(k, 5);
      expect((await store.reserve([counter(k, 1, 100)]))?.states[0]?.current).to.equal(105);
    });

    it('does not bring back a counter that does not exist', async () => {
      const k = key();
      await store.adjust(k, 50);
      expect((await store.reserve([counter(k, 0, 100)]))?.states[0]?.current).to.equal(0);
    });
  });
}
