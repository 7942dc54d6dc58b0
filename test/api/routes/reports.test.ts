import { expect } from 'chai';
import { PermissionDeniedError } from '../../../api/src/errors.js';
import { OPEN_PRINCIPAL, type Principal } from '../../../api/src/http/scopes.js';
import { reportView } from '../../../api/src/routes/reports.js';

const alice: Principal = { caller: 'alice', scopes: new Set(['usage:own']) };
const ops: Principal = { caller: 'ops', scopes: new Set(['usage:own', 'usage:all']) };

describe('api/routes/reports: whose figures a report shows', () => {
  const cases: [string, Principal, string | undefined, unknown][] = [
    ['a key without usage:all: its own', alice, undefined, { scope: 'own', caller: 'alice' }],
    ['naming itself: its own', alice, 'alice', { scope: 'own', caller: 'alice' }],
    ['usage:all: every caller', ops, undefined, { scope: 'all' }],
    ['usage:all naming a caller: that one', ops, 'bob', { scope: 'all', caller: 'bob' }],
    ['no keys configured (anonymous): every caller, as before', OPEN_PRINCIPAL, undefined, { scope: 'all' }],
  ];
  for (const [what, principal, requested, view] of cases) {
    it(what, () => expect(reportView(principal, requested)).to.deep.equal(view));
  }

  it("refuses another caller's figures without usage:all, naming the scope", () => {
    expect(() => reportView(alice, 'bob'))
      .to.throw(PermissionDeniedError)
      .with.property('details')
      .that.deep.equals({ scope: 'usage:all', caller: 'alice' });
  });
});
