import { expect } from 'chai';
import {
  buildFallbackChain,
  isAvailable,
  movesToNextTarget,
} from '../../../api/src/routing/fallback-chain.js';
import { catalogModel, catalogVersion, lookupIn } from '../support/catalog.js';

const describeChain = (chain: ReturnType<typeof buildFallbackChain>) =>
  chain.steps.map(
    (s) =>
      `${s.target.model.name}${s.target.version ? `@${s.target.version.version}` : ''}${s.fallback ? '*' : ''}`,
  );

describe('api/routing: buildFallbackChain', () => {
  const a = catalogModel('a', [catalogVersion('v1', { model: 'a' })], { fallbacks: ['b', 'c'] });
  const b = catalogModel('b', [catalogVersion('v2', { model: 'b' })], { fallbacks: ['d', 'a'] });
  const c = catalogModel('c', [catalogVersion('v1', { model: 'c' })], { capabilities: ['embedding'] });
  const d = catalogModel('d', [], { provider: 'openai', endpoint: { baseURL: 'http://x' } });
  const lookup = lookupIn([a, b, c, d]);

  it('given fallbacks, walks them depth first, each model once, skipping wrong capabilities and unknown names', () => {
    const chain = buildFallbackChain({
      model: a,
      accepts: (m) => m.spec.capabilities.includes('text-generation'),
      need: 'text-generation',
      useFallbacks: true,
      lookup,
    });
    expect(describeChain(chain)).to.deep.equal(['a@v1', 'b@v2*', 'd*']);
    expect(chain.skipped).to.deep.equal([{ model: 'c', reason: 'lacks capability text-generation' }]);
  });

  it('given use_fallbacks false, has only the requested model', () => {
    expect(
      describeChain(
        buildFallbackChain({
          model: a,
          accepts: (m) => m.spec.capabilities.includes('text-generation'),
          need: 'text-generation',
          useFallbacks: false,
          lookup,
        }),
      ),
    ).to.deep.equal(['a@v1']);
  });

  it('given a named version, uses it for the requested model only', () => {
    const m = catalogModel(
      'm',
      [catalogVersion('v2', { default: true }), catalogVersion('v1', { deprecated: true })],
      { fallbacks: ['b'] },
    );
    const chain = buildFallbackChain({
      model: m,
      requestedVersion: 'v1',
      accepts: (m) => m.spec.capabilities.includes('text-generation'),
      need: 'text-generation',
      useFallbacks: true,
      lookup: lookupIn([m, b]),
    });
    expect(describeChain(chain)).to.deep.equal(['m@v1', 'b@v2*']);
    expect(chain.skipped.map((s) => s.model)).to.deep.equal(['d', 'a']);
  });

  it('reports unknown fallback names as skipped', () => {
    const m = catalogModel('m', [catalogVersion('v1')], { fallbacks: ['ghost'] });
    expect(
      buildFallbackChain({
        model: m,
        accepts: (m) => m.spec.capabilities.includes('text-generation'),
        need: 'text-generation',
        useFallbacks: true,
        lookup: lookupIn([m]),
      }).skipped,
    ).to.deep.equal([{ model: 'ghost', reason: 'no such model' }]);
  });

  const kinds: [Parameters<typeof movesToNextTarget>[0], boolean][] = [
    ['unavailable', true],
    ['timeout', true],
    ['overloaded', true],
    ['upstream_error', true],
    ['misconfigured', true],
    ['rejected', false],
    ['cancelled', false],
  ];
  for (const [kind, moves] of kinds) {
    it(`given a ${kind} failure, ${moves ? 'moves' : 'does not move'} to the next target`, () => {
      expect(movesToNextTarget(kind)).to.equal(moves);
    });
  }

  it('an onnx target is available only with a ready version and endpoint; an openai one when its model is Ready', () => {
    expect(isAvailable({ model: a, version: catalogVersion('v1') })).to.equal(true);
    expect(isAvailable({ model: a, version: catalogVersion('v1', { ready: false }) })).to.equal(false);
    expect(isAvailable({ model: d })).to.equal(true);
    expect(isAvailable({ model: catalogModel('e', [], { provider: 'openai' }, false) })).to.equal(false);
  });
});
