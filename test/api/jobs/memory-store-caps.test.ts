import { expect } from 'chai';
import { JobStoreFullError, JobTooLargeError } from '../../../api/src/jobs/errors.js';
import {
  type HeldJob,
  type Holding,
  type JobStoreCaps,
  JobStoreLedger,
  JobStoreRoom,
  NO_ROOM_RESULT,
  RESULT_RESERVE_BYTES,
  requestCharge,
  resultCharge,
} from '../../../api/src/jobs/memory-store-caps.js';

const CAPS: JobStoreCaps = {
  maxItems: 10,
  maxItemsPerCaller: 4,
  maxBytes: 100_000,
  maxBytesPerCaller: 50_000,
};

describe('api/jobs/memory-store-caps: the ledger', () => {
  it('charges a request its JSON bytes plus a reserve per item for the no-room record', () => {
    const items = [{ input: 'a' }, { input: 'b' }];
    expect(requestCharge(items)).to.deep.equal({
      items: 2,
      bytes: Buffer.byteLength(JSON.stringify(items)) + 2 * RESULT_RESERVE_BYTES,
    });
    expect(RESULT_RESERVE_BYTES).to.equal(Buffer.byteLength(JSON.stringify(NO_ROOM_RESULT)));
  });

  it('charges a result only beyond the reserve: cancellations and the no-room record cost nothing more', () => {
    expect(resultCharge({ status: 'cancelled' })).to.equal(0);
    expect(resultCharge(NO_ROOM_RESULT)).to.equal(0);
    const big = { status: 'succeeded' as const, response: { output: 'x'.repeat(1000) } };
    expect(resultCharge(big)).to.equal(Buffer.byteLength(JSON.stringify(big)) - RESULT_RESERVE_BYTES);
  });

  const table: [string, Holding, string | undefined][] = [
    ['within every cap', { items: 4, bytes: 50_000 }, undefined],
    ["more items than a caller's share", { items: 5, bytes: 10 }, 'job_too_large'],
    ["more bytes than a caller's share", { items: 1, bytes: 50_001 }, 'job_too_large'],
  ];
  for (const [what, need, code] of table) {
    it(`checkSize: ${what}`, () => {
      const ledger = new JobStoreLedger(CAPS);
      if (code)
        expect(() => ledger.checkSize(need))
          .to.throw(JobTooLargeError)
          .with.property('code', code);
      else expect(() => ledger.checkSize(need)).to.not.throw();
    });
  }

  it('keeps callers apart and adds up to the total; removing releases both', () => {
    const ledger = new JobStoreLedger(CAPS);
    ledger.add('alice', { items: 3, bytes: 300 });
    ledger.add('bob', { items: 1, bytes: 100 });
    expect(ledger.fitsCaller('alice', { items: 2, bytes: 1 })).to.equal(false);
    expect(ledger.fitsCaller('bob', { items: 2, bytes: 1 })).to.equal(true);
    expect(ledger.held()).to.deep.equal({ items: 4, bytes: 400 });
    ledger.remove('alice', { items: 3, bytes: 300 });
    expect(ledger.held('alice')).to.deep.equal({ items: 0, bytes: 0 });
    expect(ledger.held()).to.deep.equal({ items: 1, bytes: 100 });
  });
});

describe('api/jobs/memory-store-caps: the room', () => {
  interface TestJob extends HeldJob {
    completedAt?: number;
  }
  let now = 0;
  let dropped: string[] = [];
  let n = 0;
  const room = (caps: Partial<JobStoreCaps> = {}) =>
    new JobStoreRoom<TestJob>({
      caps: { ...CAPS, ...caps },
      ttlMs: 60_000,
      drop: (job) => dropped.push(job.id),
      now: () => now,
    });
  const submit = (r: JobStoreRoom<TestJob>, caller: string, count = 1): TestJob => {
    const items = Array.from({ length: count }, () => ({ input: 'x' }));
    const job: TestJob = { id: `j${n++}`, caller, charge: r.admit(caller, items) };
    r.hold(job);
    return job;
  };
  const finish = (r: JobStoreRoom<TestJob>, job: TestJob) => {
    job.completedAt = now;
    r.finished(job);
  };
  beforeEach(() => {
    now = 1_000_000;
    dropped = [];
  });

  it('drops expired jobs (and releases what they held) before admitting', () => {
    const r = room();
    const old = submit(r, 'alice', 4);
    finish(r, old);
    expect(() => submit(r, 'alice')).to.throw(JobStoreFullError);
    now += 60_000;
    expect(r.expired(old)).to.equal(true);
    submit(r, 'alice');
    expect(dropped).to.deep.equal([old.id]);
    expect(r.held('alice').items).to.equal(1);
  });

  it("says Retry-After from the caller's own oldest finished job when its share is full", () => {
    const r = room();
    finish(r, submit(r, 'bob'));
    now += 10_000;
    const mine = submit(r, 'alice', 2);
    finish(r, mine);
    submit(r, 'alice', 2);
    now += 5_000;
    let err: JobStoreFullError | undefined;
    try {
      submit(r, 'alice');
    } catch (e) {
      err = e as JobStoreFullError;
    }
    // alice's job finished 5 s ago and lives 60 s: 55 s (bob's older job is no help to alice's share).
    expect(err?.retryAfterSeconds).to.equal(55);
    expect(dropped).to.deep.equal([]);
  });

  it('evicts the oldest finished jobs first when the total is full, then refuses with 429', () => {
    const r = room({ maxItems: 3 });
    const first = submit(r, 'bob');
    finish(r, first);
    const second = submit(r, 'carol');
    finish(r, second);
    submit(r, 'dave');
    submit(r, 'erin');
    expect(dropped).to.deep.equal([first.id]);
    submit(r, 'frank');
    expect(dropped).to.deep.equal([first.id, second.id]);
    expect(() => submit(r, 'gina'))
      .to.throw(JobStoreFullError)
      .with.nested.property('details.cap', 'total');
    expect(r.held().items).to.equal(3);
  });

  it('keeps a result that fits, and the no-room record for one that does not', () => {
    const r = room({ maxBytesPerCaller: 2_000 });
    const job = submit(r, 'alice');
    const small = { status: 'succeeded' as const, response: { output: 'x'.repeat(500) } };
    const large = { status: 'succeeded' as const, response: { output: 'x'.repeat(5_000) } };
    expect(r.keep(job, small)).to.equal(small);
    expect(r.keep(job, large)).to.equal(NO_ROOM_RESULT);
    expect(r.held('alice').bytes).to.equal(job.charge.bytes).and.to.be.at.most(2_000);
  });
});
