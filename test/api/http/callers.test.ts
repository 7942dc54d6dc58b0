import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../../api/src/config.js';
import { UnauthorizedError } from '../../../api/src/errors.js';
import { loadCallerKeys } from '../../../api/src/http/caller-keys-file.js';
import { identifyCaller, parseRouterApiKeys } from '../../../api/src/http/callers.js';

const KEY_A = 'sk-search-0123456789abcdef';
const KEY_A2 = 'sk-search-rotated-9876543210';
const KEY_B = 'sk-support-0123456789abcdef';

describe('api/http/callers: router API keys', () => {
  const keys = parseRouterApiKeys(
    `# team keys\nsearch-team:${KEY_A}\nsearch-team:${KEY_A2}\n\nsupport-bot: ${KEY_B}\n`,
    'test',
  );

  it('names the caller of a Bearer token or an x-api-key header; a caller may hold several keys', () => {
    expect(identifyCaller(keys, { authorization: `Bearer ${KEY_A}` }).caller).to.equal('search-team');
    expect(identifyCaller(keys, { authorization: `bearer ${KEY_A2}` }).caller).to.equal('search-team');
    expect(identifyCaller(keys, { 'x-api-key': KEY_B }).caller).to.equal('support-bot');
  });

  it('refuses a missing or unknown key with a 401 that never repeats the key', () => {
    expect(() => identifyCaller(keys, {})).to.throw(UnauthorizedError, /requires an API key/);
    expect(() => identifyCaller(keys, { authorization: `Basic ${KEY_A}` })).to.throw(UnauthorizedError);
    try {
      identifyCaller(keys, { authorization: 'Bearer sk-not-a-key-at-all-123' });
      expect.fail('accepted an unknown key');
    } catch (err) {
      expect(err).to.be.instanceOf(UnauthorizedError);
      expect((err as UnauthorizedError).status).to.equal(401);
      expect((err as Error).message).to.not.include('sk-not-a-key');
    }
  });

  it('is open, and everyone anonymous, when no key is declared', () => {
    expect(identifyCaller(new Map(), {}).caller).to.equal('anonymous');
    expect(identifyCaller(new Map(), { authorization: 'Bearer whatever' }).caller).to.equal('anonymous');
  });

  it('keeps digests only, and rejects bad declarations naming the entry, not the key', () => {
    expect([...keys.keys()].every((k) => /^[0-9a-f]{64}$/.test(k))).to.equal(true);
    expect(JSON.stringify([...keys])).to.not.include(KEY_A);
    const bad: [string, RegExp][] = [
      [`Search Team:${KEY_A}`, /entry 1: expected caller:key/],
      [KEY_A, /entry 1: expected caller:key/],
      ['team:short', /entry 1 \(team\): a key needs at least 16/],
      [`a:${KEY_A},b:${KEY_A}`, /entry 2 \(b\): this key is already declared/],
      [`anonymous:${KEY_A}`, /reserved/],
      // A typo is named; what may be the rest of a key holding ':' is not (the message reaches logs and audit).
      [`team:${KEY_A}:inferense`, /unknown scope 'inferense'/],
      [`team:sk-search-part-one:${KEY_A.slice(10)}`, /entry 1 \(team\): an unknown scope \(not shown/],
      // Scopes and models= follow the key after a colon; after a comma they would be read as part of the key.
      [`team:${KEY_A},models=gpt-*`, /entry 1 \(team\): a key cannot contain ','.*caller:key:models=/],
      [`team:${KEY_A},inference`, /entry 1 \(team\): a key cannot contain ','.*caller:key:scope/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseRouterApiKeys(text, 'ROUTER_API_KEYS'), text).to.throw(message);
      try {
        parseRouterApiKeys(text, 'ROUTER_API_KEYS');
      } catch (err) {
        expect((err as Error).message).to.not.include(KEY_A.slice(10));
      }
    }
  });

  it('loadCallerKeys: the variable and the file together; an unreadable file or empty list stops start-up', () => {
    const config = loadConfig({ ROUTER_API_KEYS: `a:${KEY_A}` });
    expect(loadCallerKeys(config).size).to.equal(1);
    expect(() => loadCallerKeys(loadConfig({ ROUTER_API_KEYS_FILE: '/nonexistent/keys' }))).to.throw(
      ConfigError,
      /ROUTER_API_KEYS_FILE \/nonexistent\/keys cannot be read \(ENOENT\)/,
    );
    expect(() => loadCallerKeys(loadConfig({ ROUTER_API_KEYS: ' , # nothing' }))).to.throw(
      ConfigError,
      /declares no key/,
    );
  });
});
