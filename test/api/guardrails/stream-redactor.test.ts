import { expect } from 'chai';
import { compilePolicy, type OutputPolicy } from '../../../api/src/guardrails/policy.js';
import { scanOutput } from '../../../api/src/guardrails/scan.js';
import { StreamRedactor } from '../../../api/src/guardrails/stream-redactor.js';
import { guardrails } from '../../../crds/src/guardrails.js';

const policy = (output: unknown): OutputPolicy =>
  compilePolicy(guardrails.parse({ output }))?.output as OutputPolicy;

const redacting = policy({ redact: { detectors: ['creditCard', 'usSsn', 'email', 'secret'] } });
const blocking = policy({ redact: { detectors: ['email'] }, block: { detectors: ['creditCard'] } });

/** The text through a redactor in the given pieces: what it released, in order, and the rules it hit. */
function streamed(p: OutputPolicy, pieces: string[]) {
  const r = new StreamRedactor(p);
  let out = '';
  const hits: string[] = [];
  let blocked: string | undefined;
  for (const piece of [...pieces.map((x) => () => r.push(x)), () => r.flush()]) {
    const step = piece();
    out += step.text;
    hits.push(...step.hits.map((h) => `${h.action}:${h.rule}`));
    if (step.blocked) {
      blocked = step.blocked;
      break;
    }
  }
  return { out, hits, blocked };
}

describe('guardrails/stream-redactor', () => {
  const text = 'Your card is 4111 1111 1111 1111, thanks.';
  const expected = 'Your card is [REDACTED:creditCard], thanks.';

  it('given a whole text, redacts it like the non-streamed scan', () => {
    expect(scanOutput(redacting, text).text).to.equal(expected);
    expect(streamed(redacting, [text]).out).to.equal(expected);
  });

  it('given a card number split in two at every position, still redacts it', () => {
    for (let i = 1; i < text.length; i++) {
      const { out, hits } = streamed(redacting, [text.slice(0, i), text.slice(i)]);
      expect(out, `split at ${i}`).to.equal(expected);
      expect(hits).to.deep.equal(['redact:creditCard']);
    }
  });

  it('given the text one character at a time, still redacts it', () => {
    expect(streamed(redacting, [...text]).out).to.equal(expected);
  });

  it('given a card number split in three at every pair of positions, still redacts it', () => {
    for (let i = 13; i < 32; i++)
      for (let j = i + 1; j < 34; j++)
        expect(streamed(redacting, [text.slice(0, i), text.slice(i, j), text.slice(j)]).out).to.equal(
          expected,
        );
  });

  it('holds back at most the window, and releases clean text beyond it as it comes', () => {
    const r = new StreamRedactor(redacting);
    const long = 'word '.repeat(100);
    const first = r.push(long);
    expect(first.text).to.equal(long.slice(0, long.length - 128));
    expect(r.flush().text).to.equal(long.slice(long.length - 128));
  });

  it('given a Luhn-failing number, releases it unchanged', () => {
    const t = 'ref 4111 1111 1111 1112 end';
    expect(streamed(redacting, [t.slice(0, 10), t.slice(10)]).out).to.equal(t);
  });

  it('given several kinds across chunks, redacts each', () => {
    const t = 'mail bob@example.com ssn 123-45-6789 key sk-abcdefghijklmnopqrstuvwxyz end';
    const pieces = t.match(/.{1,7}/g) as string[];
    expect(streamed(redacting, pieces).out).to.equal(
      'mail [REDACTED:email] ssn [REDACTED:usSsn] key [REDACTED:secret] end',
    );
  });

  it('given a block rule, stops at the match: nothing of it and nothing after it is released', () => {
    const t = `${'clean text. '.repeat(20)}mail a@example.com card 4111111111111111 and more ${'x'.repeat(300)}`;
    for (const size of [1, 5, 16, 64, 1000]) {
      const pieces = t.match(new RegExp(`[^]{1,${size}}`, 'g')) as string[];
      const { out, blocked, hits } = streamed(blocking, pieces);
      expect(blocked).to.equal('creditCard');
      expect(out).to.not.include('4111');
      expect(out).to.not.include('a@example.com');
      expect(out.startsWith('clean text.')).to.equal(true);
      expect(hits).to.include('block:creditCard');
    }
  });

  // Before: the window's edge was counted in UTF-16 units and could split an emoji's surrogate pair, so each
  // released piece (one SSE event) carried half a character, which non-JavaScript clients cannot decode.
  it('never releases half of a surrogate pair (an emoji split at the window edge)', () => {
    const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    for (const prefix of ['', 'x']) {
      const r = new StreamRedactor(redacting);
      let out = '';
      for (const piece of [prefix, ...Array(200).fill('😀 ')]) {
        const text = r.push(piece).text;
        expect(loneSurrogate.test(text), JSON.stringify(text)).to.equal(false);
        out += text;
      }
      out += r.flush().text;
      expect(out).to.equal(prefix + '😀 '.repeat(200));
    }
  });
});
