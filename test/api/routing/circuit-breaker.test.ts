import { expect } from 'chai';
import { CircuitBreakers, type CircuitState } from '../../../api/src/routing/circuit-breaker.js';

const THRESHOLD = 3;
const COOLDOWN = 1000;

/**
 * One step on the circuit of endpoint `a` (or `b`): record a failure or a success, let time pass, or ask
 * `allow`/`state` and expect an answer.
 */
type Step =
  | ['fail' | 'ok']
  | ['fail' | 'ok' | 'allow' | 'state', 'b']
  | ['wait', number]
  | ['allow', boolean]
  | ['allow', 'b', boolean]
  | ['state', CircuitState]
  | ['state', 'b', CircuitState];

const opened: Step[] = [['fail'], ['fail'], ['fail']];
const cooled: Step[] = [...opened, ['wait', COOLDOWN]];

/** A breaker with a clock of our own; every step's answer checked, and the transitions it reported. */
function run(steps: readonly Step[]): string[] {
  let now = 0;
  const breakers = new CircuitBreakers({
    failureThreshold: THRESHOLD,
    cooldownMs: COOLDOWN,
    now: () => now,
  });
  const changes: string[] = [];
  breakers.onChange = (key, state) => changes.push(`${key}:${state}`);
  steps.forEach((step, i) => {
    const [op, ...rest] = step;
    const key = rest[0] === 'b' ? 'b' : 'a';
    const expected = rest[0] === 'b' ? rest[1] : rest[0];
    const where = `step ${i} (${step.join(' ')})`;
    if (op === 'fail') breakers.failure(key);
    else if (op === 'ok') breakers.success(key);
    else if (op === 'wait') now += step[1] as number;
    else if (op === 'allow') expect(breakers.allow(key), where).to.equal(expected);
    else expect(breakers.state(key), where).to.equal(expected);
  });
  return changes;
}

describe('api/routing/circuit-breaker: one circuit per endpoint, on an injected clock', () => {
  const table: [string, Step[], string[]][] = [
    [
      'given fewer failures than the threshold, stays closed and admits every request',
      [['fail'], ['fail'], ['state', 'closed'], ['allow', true], ['allow', true]],
      [],
    ],
    [
      'given a success between failures, counts only consecutive failures',
      [['fail'], ['fail'], ['ok'], ['fail'], ['fail'], ['state', 'closed'], ['allow', true]],
      [],
    ],
    [
      'given threshold consecutive failures, opens (closed -> open)',
      [...opened, ['state', 'open'], ['allow', false]],
      ['a:open'],
    ],
    [
      'given an open circuit, refuses every request until the cooldown has passed',
      [...opened, ['wait', COOLDOWN - 1], ['allow', false], ['allow', false], ['state', 'open']],
      ['a:open'],
    ],
    [
      'given the cooldown passed, goes half-open and admits one probe, refusing others while it runs',
      [
        ...cooled,
        ['state', 'open'],
        ['allow', true],
        ['state', 'half-open'],
        ['allow', false],
        ['allow', false],
      ],
      ['a:open', 'a:half-open'],
    ],
    [
      'given the probe succeeds, closes and admits everything again',
      [...cooled, ['allow', true], ['ok'], ['state', 'closed'], ['allow', true], ['allow', true]],
      ['a:open', 'a:half-open', 'a:closed'],
    ],
    [
      'given the probe fails, reopens at once (one failure, not the threshold) with a fresh cooldown',
      [
        ...cooled,
        ['allow', true],
        ['fail'],
        ['state', 'open'],
        ['wait', COOLDOWN - 1],
        ['allow', false],
        ['wait', 1],
        ['allow', true],
        ['state', 'half-open'],
      ],
      ['a:open', 'a:half-open', 'a:open', 'a:half-open'],
    ],
    [
      'given a closed circuit after a probe succeeded, needs the full threshold again to open',
      [
        ...cooled,
        ['allow', true],
        ['ok'],
        ['fail'],
        ['fail'],
        ['state', 'closed'],
        ['fail'],
        ['state', 'open'],
      ],
      ['a:open', 'a:half-open', 'a:closed', 'a:open'],
    ],
    [
      'given one endpoint open, leaves the others closed',
      [
        ...opened,
        ['allow', false],
        ['allow', 'b', true],
        ['state', 'b', 'closed'],
        ['fail', 'b'],
        ['allow', 'b', true],
      ],
      ['a:open'],
    ],
    [
      'given an endpoint never seen, answers closed and ignores a success',
      [['state', 'closed'], ['ok'], ['state', 'closed'], ['allow', true]],
      [],
    ],
  ];
  for (const [given, steps, changes] of table) {
    it(given, () => {
      expect(run(steps), 'transitions reported to onChange').to.deep.equal(changes);
    });
  }

  it('retain(): forgets the circuits under a prefix that are not kept, and no others', () => {
    let now = 0;
    const breakers = new CircuitBreakers({ failureThreshold: 1, cooldownMs: COOLDOWN, now: () => now });
    for (const key of ['runtime:10.0.0.1', 'runtime:10.0.0.2', 'openai:https://api.example'])
      breakers.failure(key);
    breakers.retain(new Set(['runtime:10.0.0.2']), 'runtime:');
    const states = ['runtime:10.0.0.1', 'runtime:10.0.0.2', 'openai:https://api.example'].map((k) =>
      breakers.state(k),
    );
    // The gone pod's circuit is forgotten (a pod that comes back at that address starts closed); the kept
    // pod and the endpoint outside the prefix stay open.
    expect(states).to.deep.equal(['closed', 'open', 'open']);
    expect(breakers.allow('runtime:10.0.0.1')).to.equal(true);
    expect(breakers.allow('runtime:10.0.0.2')).to.equal(false);
    now += COOLDOWN;
    expect(breakers.allow('runtime:10.0.0.2')).to.equal(true);
  });

  it('retain(): a forgotten circuit counts failures from zero again', () => {
    const breakers = new CircuitBreakers({ failureThreshold: 2, cooldownMs: COOLDOWN, now: () => 0 });
    breakers.failure('runtime:a');
    breakers.retain(new Set(), 'runtime:');
    breakers.failure('runtime:a');
    expect(breakers.state('runtime:a')).to.equal('closed');
    breakers.failure('runtime:a');
    expect(breakers.state('runtime:a')).to.equal('open');
  });
});
