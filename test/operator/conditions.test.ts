import { expect } from 'chai';
import { Reason, setCondition } from '../../operator/src/conditions.js';

describe('operator: setCondition', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-01T00:05:00Z');
  const ready = { type: 'Ready', status: 'True', reason: Reason.RuntimeReady, message: 'ok' } as const;

  it('given no conditions, adds the condition stamped now', () => {
    expect(setCondition(undefined, ready, t0, 3)).to.deep.equal([
      { ...ready, lastTransitionTime: t0.toISOString(), observedGeneration: 3 },
    ]);
  });

  it('given the same status again, keeps lastTransitionTime (idempotent status writes)', () => {
    const first = setCondition(undefined, ready, t0);
    const second = setCondition(first, { ...ready, message: 'still ok' }, t1);
    expect(second[0]?.lastTransitionTime).to.equal(t0.toISOString());
    expect(second[0]?.message).to.equal('still ok');
  });

  it('given a status flip, moves lastTransitionTime', () => {
    const first = setCondition(undefined, ready, t0);
    const second = setCondition(first, { ...ready, status: 'False', reason: Reason.CrashLoopBackOff }, t1);
    expect(second[0]).to.include({
      status: 'False',
      reason: 'CrashLoopBackOff',
      lastTransitionTime: t1.toISOString(),
    });
  });

  it('leaves other condition types alone', () => {
    const list = setCondition(
      setCondition(undefined, ready, t0),
      { type: 'Degraded', status: 'False', reason: Reason.RuntimeReady, message: '' },
      t1,
    );
    expect(list.map((c) => c.type)).to.deep.equal(['Ready', 'Degraded']);
  });
});
