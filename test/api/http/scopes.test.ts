import { expect } from 'chai';
import { PermissionDeniedError } from '../../../api/src/errors.js';
import { auditRecord } from '../../../api/src/http/audit.js';
import { parseRouterApiKeys } from '../../../api/src/http/callers.js';
import {
  DEFAULT_SCOPES,
  hasScope,
  mayUseModel,
  OPEN_PRINCIPAL,
  type Principal,
  requireModel,
  requireScope,
  SCOPES,
} from '../../../api/src/http/scopes.js';

const KEY = 'sk-alice-0123456789abcdef';

describe('api/http/scopes: scopes and model allow-lists', () => {
  const [alice] = [
    ...parseRouterApiKeys(`alice:${KEY}:inference,models:read,models=gpt-*|story-writer`, 'test').values(),
  ] as Principal[];

  it('gives an entry without scopes the default set and an open router every scope', () => {
    const [plain] = [...parseRouterApiKeys(`bob:${KEY}`, 'test').values()] as Principal[];
    expect([...(plain?.scopes ?? [])]).to.have.members([...DEFAULT_SCOPES]);
    expect(DEFAULT_SCOPES).to.not.include.members(['models:admin', 'usage:all', 'jobs:all']);
    for (const scope of SCOPES) expect(hasScope(OPEN_PRINCIPAL, scope), scope).to.equal(true);
    expect(mayUseModel(OPEN_PRINCIPAL, 'anything')).to.equal(true);
  });

  it('refuses a missing scope with a 403 naming it', () => {
    expect(() => requireScope(alice as Principal, 'inference')).to.not.throw();
    try {
      requireScope(alice as Principal, 'models:admin');
      expect.fail('accepted a missing scope');
    } catch (err) {
      expect(err).to.be.instanceOf(PermissionDeniedError);
      expect((err as PermissionDeniedError).status).to.equal(403);
      expect((err as PermissionDeniedError).message).to.include('models:admin');
      expect((err as PermissionDeniedError).details).to.deep.include({ scope: 'models:admin' });
    }
  });

  const cases: [string, boolean][] = [
    ['gpt-4o', true],
    ['gpt-', true],
    ['story-writer', true],
    ['story-writer-2', false],
    ['xgpt-4o', false],
    ['sentiment', false],
  ];
  for (const [model, allowed] of cases) {
    it(`given the allow-list gpt-*|story-writer, ${model} is ${allowed ? 'allowed' : 'refused'}`, () => {
      expect(mayUseModel(alice as Principal, model)).to.equal(allowed);
    });
  }

  it('names the model, the OpenAI param and the batch item of a refused model', () => {
    const refusal = (where: { param?: string; item?: number }) => {
      try {
        requireModel(alice as Principal, 'sentiment', where);
      } catch (err) {
        return err as PermissionDeniedError;
      }
      throw new Error('accepted a model outside the list');
    };
    const plain = refusal({});
    expect(plain.message).to.equal('This API key (alice) may not use the model sentiment');
    expect(plain.details).to.deep.equal({ model_id: 'sentiment', caller: 'alice' });
    expect(refusal({ param: 'model' }).toOpenAIBody().error).to.include({
      type: 'permission_error',
      param: 'model',
      code: 'permission_denied',
    });
    const item = refusal({ item: 3 });
    expect(item.message).to.include('batch item 3');
    expect(item.details).to.deep.include({ item: 3 });
  });
});

describe('api/http/audit: one shape for audit lines', () => {
  it('carries audit, caller, action, target and outcome, which extras cannot overwrite', () => {
    expect(
      auditRecord({
        caller: 'ops',
        action: 'model.download',
        target: 'story-writer/v2',
        outcome: 'READY',
        details: { status: 200, audit: false, caller: 'mallory' } as never,
      }),
    ).to.deep.equal({
      status: 200,
      audit: true,
      caller: 'ops',
      action: 'model.download',
      target: 'story-writer/v2',
      outcome: 'READY',
    });
    expect(
      auditRecord({ caller: 'router', action: 'keys.reload', outcome: 'rejected' }),
    ).to.not.have.property('target');
  });
});
