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

  it('says which operations count against the model-operations limit, and what /readyz shows to whom', () => {
    expect(doc.paths['/api/models/download']?.post.description).to.include('ROUTER_MODEL_OPS_LIMIT');
    expect(doc.paths['/api/models']?.get.description).to.not.include('ROUTER_MODEL_OPS_LIMIT');
    expect(doc.paths['/readyz']?.get.description).to.include('models:admin');
  });
});
