import { expect } from 'chai';
import { VersionNotFoundError } from '../../../api/src/errors.js';
import { selectVersion } from '../../../api/src/routing/select-version.js';
import { catalogModel, catalogVersion } from '../support/catalog.js';

describe('api/routing: selectVersion', () => {
  const model = catalogModel('m', [
    catalogVersion('v3', { deprecated: true }),
    catalogVersion('v2', { default: true }),
    catalogVersion('v1'),
  ]);

  it('given no version, returns the default', () => {
    expect(selectVersion(model)).to.deep.include({ kind: 'version' });
    expect((selectVersion(model) as { version: { version: string } }).version.version).to.equal('v2');
  });

  it('given a deprecated version by name, returns it', () => {
    expect((selectVersion(model, 'v3') as { version: { version: string } }).version.version).to.equal('v3');
  });

  it('given an unknown version, throws VersionNotFoundError listing the versions', () => {
    expect(() => selectVersion(model, 'v9')).to.throw(VersionNotFoundError, 'versions: v3, v2, v1');
  });

  it('given only deprecated versions and no name, returns none with a reason', () => {
    const r = selectVersion(catalogModel('m', [catalogVersion('v1', { deprecated: true })]));
    expect(r).to.deep.equal({
      kind: 'none',
      reason: 'every version of m is deprecated; name one explicitly',
    });
  });

  it('given an openai model without versions, is served by its endpoint', () => {
    expect(selectVersion(catalogModel('o', [], { provider: 'openai' }))).to.deep.equal({ kind: 'endpoint' });
  });
});
