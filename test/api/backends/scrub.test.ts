import { expect } from 'chai';
import {
  MAX_MESSAGE_CHARS,
  MAX_SCRUBBED_CHARS,
  type ScrubContext,
  scrubbable,
  scrubText,
  scrubUpstreamError,
} from '../../../api/src/backends/scrub.js';

const KEY = 'prov-KEY-7f3a9c'; // no known shape: only the exact rule can find it
const BASE = 'http://10.1.2.3:8000/v1';
const ctx: ScrubContext = {
  secrets: [KEY],
  places: [{ address: BASE, name: 'upstream of model gpt-4o' }],
};

describe('api/backends/scrub: scrubText (what an upstream said, safe to show)', () => {
  const cases: [string, string, string, ScrubContext?][] = [
    ['the exact key, anywhere', `bad key ${KEY} (was ${KEY})`, 'bad key [redacted] (was [redacted])', ctx],
    ['the exact key, URL-encoded', 'q=prov%2Fkey%2B1', 'q=[redacted]', { secrets: ['prov/key+1'] }],
    // base64('prov-KEY-7f3a9c') = cHJvdi1LRVktN2YzYTlj: short enough to pass the long-run rule
    ['the exact key, base64', 'echo cHJvdi1LRVktN2YzYTlj end', 'echo [redacted] end', ctx],
    ['the exact key, base64 unpadded', 'k=cHJvdi1rZXk', 'k=[redacted]', { secrets: ['prov-key'] }],
    ['a key too short to replace word for word', 'an abc', 'an abc', { secrets: ['abc'] }],
    [
      'the base URL with a path',
      `POST ${BASE}/chat/completions failed`,
      'POST upstream of model gpt-4o failed',
      ctx,
    ],
    ['the origin alone', 'http://10.1.2.3:8000 refused', 'upstream of model gpt-4o refused', ctx],
    [
      'the host alone',
      'connect ECONNREFUSED 10.1.2.3:8000',
      'connect ECONNREFUSED upstream of model gpt-4o',
      ctx,
    ],
    ['Authorization: Bearer', 'got Authorization: Bearer abc.def-123', 'got Authorization: [redacted]'],
    [
      'an echoed header object',
      '{"authorization":"Bearer zzz9","accept":"*/*"}',
      '{"authorization":"[redacted]","accept":"*/*"}',
    ],
    ['a bare Bearer token', 'token was Bearer Zm9vYmFy', 'token was Bearer [redacted]'],
    ['api-key header', 'api-key: 0123abcd', 'api-key: [redacted]'],
    ['x-api-key in JSON', '"x-api-key": "k-99"', '"x-api-key": "[redacted]"'],
    ['password=', 'password=hunter2 rejected', 'password=[redacted] rejected'],
    ['key= query parameter', 'GET /m?alt=json&key=AIzaSomething', 'GET /m?alt=json&key=[redacted]'],
    [
      'user:password@ in a URL',
      'see https://bob:s3cret@models.example.com/x',
      'see https://[redacted]@models.example.com/x',
    ],
    [
      'an OpenAI key shape',
      'Incorrect API key provided: sk-proj-abcdefgh1234',
      'Incorrect API key provided: [redacted]',
    ],
    [
      'a masked OpenAI key',
      'Incorrect API key provided: sk-abc*********wxyz.',
      'Incorrect API key provided: [redacted].',
    ],
    ['an AWS access key id', 'AKIAABCDEFGHIJKLMNOP is not valid', '[redacted] is not valid'],
    ['a GitHub token', 'ghp_abcdefghijklmnopqrstuvwxyz0123', '[redacted]'],
    ['a Slack token', 'xoxb-1234567890-abcdef', '[redacted]'],
    ['a JWT', 'eyJhbGciOiJI.eyJzdWIiOiIx.c2lnbmF0dXJl', '[redacted]'],
    ['a long hex secret', `secret ${'a1'.repeat(20)}`, 'secret [redacted]'],
    ['a long base64 secret', `x ${'Xy3'.repeat(15)}==`, 'x [redacted]'],
    ['an IPv4 address with a port', 'upstream 192.168.0.7:9000 down', 'upstream [internal address] down'],
    ['an IPv6 address', 'dial [fd00::1]:9000 failed', 'dial [internal address] failed'],
    ['localhost', 'localhost:8080 refused', '[internal address] refused'],
    ['a cluster DNS name', 'vllm.models.svc.cluster.local:8000 refused', '[internal address] refused'],
    ['control characters and runs of space', 'a\n\n\tb\u0000c', 'a b c'],
    [
      'an ordinary message, untouched',
      "This model's maximum context length is 4096 tokens; see https://platform.openai.com/docs",
      "This model's maximum context length is 4096 tokens; see https://platform.openai.com/docs",
    ],
  ];
  for (const [what, given, expected, context] of cases) {
    it(`${what}: ${JSON.stringify(given)} -> ${JSON.stringify(expected)}`, () => {
      expect(scrubText(given, context)).to.equal(expected);
    });
  }

  it(`caps a message at ${MAX_MESSAGE_CHARS} characters`, () => {
    const out = scrubText('word '.repeat(500));
    expect(out).to.have.length(MAX_MESSAGE_CHARS);
    expect(out.endsWith('…')).to.equal(true);
  });

  it('reads only the start of a long message, cut where a word ends (a split secret is dropped whole)', () => {
    const long = `${'x '.repeat(MAX_SCRUBBED_CHARS / 2 - 3)}${KEY} tail`;
    const cut = scrubbable(long);
    expect(cut.length).to.be.at.most(MAX_SCRUBBED_CHARS);
    expect(cut).to.not.include(KEY.slice(0, 4));
    expect(scrubbable('short text')).to.equal('short text');
  });

  // Before the cut, 64 KiB of `a-a-…` (the most an error body is read) took 9 s; 1 MiB, about 40 minutes.
  for (const [what, text] of [
    ['hyphenated', 'a-'.repeat(1 << 19)],
    ['dotted', 'a.'.repeat(1 << 19)],
  ] as const)
    it(`scrubs 1 MiB of adversarial ${what} text (quadratic rules read a bounded prefix)`, () => {
      expect(scrubText(text, ctx).length).to.be.at.most(MAX_MESSAGE_CHARS);
    });

  it('is idempotent: scrubbed text scrubs to itself', () => {
    const once = scrubText(`Authorization: Bearer ${KEY} from ${BASE} at 10.0.0.5:9000`, ctx);
    expect(scrubText(once, ctx)).to.equal(once);
    expect(once).to.not.include(KEY).and.not.include('10.');
  });
});

describe('api/backends/scrub: scrubUpstreamError (what is kept of an upstream error object)', () => {
  it('keeps a scrubbed message and type, code and param as short identifiers; drops the rest', () => {
    const kept = scrubUpstreamError(
      {
        message: `Invalid key ${KEY} for ${BASE}`,
        type: 'invalid_request_error',
        code: 'invalid_api_key',
        param: 'messages[1].content',
        headers: { authorization: `Bearer ${KEY}` },
        request: { url: BASE },
      },
      ctx,
    );
    expect(kept).to.deep.equal({
      message: 'Invalid key [redacted] for upstream of model gpt-4o',
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      param: 'messages[1].content',
    });
  });

  const identifiers: [string, unknown, string | undefined][] = [
    ['a numeric code', 429, '429'],
    ['text with spaces', 'not an identifier', undefined],
    ['an object', { nested: true }, undefined],
    ['an identifier-shaped key', 'sk-abcdefghijklmnop', undefined],
    ['an identifier-shaped IP', '10.0.0.5:9000', undefined],
    ['a long identifier', 'x'.repeat(65), undefined],
  ];
  for (const [what, code, expected] of identifiers) {
    it(`code as ${what} -> ${expected ?? 'dropped'}`, () => {
      expect(scrubUpstreamError({ code }, ctx).code).to.equal(expected);
    });
  }

  it('anything but an object -> nothing kept', () => {
    for (const value of [undefined, null, 'text', 3]) expect(scrubUpstreamError(value)).to.deep.equal({});
  });
});
