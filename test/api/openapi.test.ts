import { expect } from 'chai';
import { pino } from 'pino';
import { apiRoutes } from '../../api/src/app.js';
import { loadConfig } from '../../api/src/config.js';
import type { AppDeps } from '../../api/src/deps.js';
import { openApiDocument } from '../../api/src/openapi.js';

describe('api/openapi: every operation says the scope it requires', () => {
  const routes = apiRoutes({
    config: loadConfig({}),
    logger: pino({ level: 'silent' }),
  } as unknown as AppDeps);
  const doc = openApiDocument(routes, '0.0.0') as { paths: Record<string, Record<string, any>> };

  it('names the scope in x-required-scope and the description, and documents 403', () => {
    for (const route of routes) {
      const op = doc.paths[route.path.replace(/:([a-z_]+)/g, '{$1}')]?.[route.method];
      const where = `${route.method} ${route.path}`;
      expect(op, where).to.be.an('object');
      expect(op['x-required-scope'], where).to.equal(route.scope);
      expect(op.description, where).to.include(`\`${route.scope}\``);
      expect(op.responses['403'].description, where).to.include('permission_denied');
    }
  });

  it('documents the security codes: 422 and guardrail_blocked on inference, budgets and job store caps', () => {
    for (const route of routes) {
      const op = doc.paths[route.path.replace(/:([a-z_]+)/g, '{$1}')]?.[route.method];
      const where = `${route.method} ${route.path}`;
      for (const code of ['token_limit_exceeded', 'spend_limit_exceeded', 'job_store_full'])
        expect(op.responses['429'].description, where).to.include(code);
      expect(op.responses['413'].description, where).to.include('job_too_large');
      if (route.scope === 'inference') {
        expect(op.responses['422'].description, where).to.include('guardrail_blocked');
        expect(op.responses['400'].description, where).to.include('guardrail_blocked');
        expect(op.responses['503'].description, where).to.include('guardrail_unavailable');
      } else expect(op.responses['422'], where).to.equal(undefined);
    }
    expect(doc.paths['/v1/chat/completions']?.post.responses['422']).to.be.an('object');
  });

  it('says which operations count against the model-operations limit, and what /readyz shows to whom', () => {
    expect(doc.paths['/api/models/download']?.post.description).to.include('ROUTER_MODEL_OPS_LIMIT');
    expect(doc.paths['/api/models']?.get.description).to.not.include('ROUTER_MODEL_OPS_LIMIT');
    expect(doc.paths['/readyz']?.get.description).to.include('models:admin');
  });
});
