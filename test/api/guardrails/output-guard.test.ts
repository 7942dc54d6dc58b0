import { expect } from 'chai';
import { GuardrailBlockedError } from '../../../api/src/errors.js';
import { type Intervention, OutputGuardrails } from '../../../api/src/guardrails/output-guard.js';
import { openAIOperation } from '../../../api/src/inference/openai-operation.js';
import { generation } from '../../../api/src/inference/operations.js';
import { blocking, chunk, collect, contentOf, of, redacting } from './output-guard-helpers.js';

describe('guardrails/output-guard', () => {
  const seen: Intervention[] = [];
  const guard = new OutputGuardrails((i) => seen.push(i));
  beforeEach(() => {
    seen.length = 0;
  });

  const card = 'Pay with 4111 1111 1111 1111 please.';

  it('redacts chat chunk deltas with a card split across SSE frames at every position, keeping other fields', async () => {
    for (let i = 1; i < card.length; i++) {
      const frames = [
        chunk(card.slice(0, i)),
        chunk(card.slice(i)),
        chunk(undefined, 'stop'),
        'data: [DONE]\n\n',
      ];
      const { events, error } = await collect(
        guard.events(redacting, of(...frames.map((frame) => ({ type: 'frame' as const, frame }))), 'r1'),
      );
      expect(error).to.equal(undefined);
      const text = events.map((e) => (e.type === 'frame' ? e.frame : '')).join('');
      expect(contentOf(text), `split at ${i}`).to.equal('Pay with [REDACTED:creditCard] please.');
      expect(text.endsWith('data: [DONE]\n\n')).to.equal(true);
      for (const line of text.split('\n').filter((l) => l.startsWith('data: {')))
        expect(JSON.parse(line.slice(6))).to.include({ id: 'c1', system_fingerprint: 'fp', model: 'up' });
    }
    expect(seen[0]).to.deep.equal({
      requestId: 'r1',
      model: 'm',
      rule: 'creditCard',
      direction: 'output',
      action: 'redact',
    });
  });

  it('passes frames without answer text through byte for byte', async () => {
    const frame = 'event: ping\ndata: {"a": 1}\n\n: comment\n\n';
    const { events } = await collect(guard.events(redacting, of({ type: 'frame', frame }), 'r'));
    expect(events).to.deep.equal([{ type: 'frame', frame }]);
  });

  it('redacts text events per choice and flushes the held text before done', async () => {
    const { events } = await collect(
      guard.events(
        redacting,
        of(
          { type: 'text', text: 'mail bob@exa' },
          { type: 'text', text: 'other', choice: 1 },
          { type: 'text', text: 'mple.com now' },
          { type: 'done', finishReason: 'stop', inputTokens: 1, outputTokens: 2 },
        ),
        'r',
      ),
    );
    const text0 = events
      .filter((e) => e.type === 'text' && !e.choice)
      .map((e) => (e as { text: string }).text);
    expect(text0.join('')).to.equal('mail [REDACTED:email] now');
    expect(events.at(-1)?.type).to.equal('done');
  });

  it('ends a stream with a block rule at the rule: text before it, then GuardrailBlockedError (422)', async () => {
    const { events, error } = await collect(
      guard.events(
        blocking,
        of(
          { type: 'text', text: `${'fine. '.repeat(30)}card 4111 1111 ` },
          { type: 'text', text: '1111 1111 and the rest' },
          { type: 'done', finishReason: 'stop', inputTokens: 1, outputTokens: 2 },
        ),
        'r',
      ),
    );
    expect(error).to.be.instanceOf(GuardrailBlockedError);
    expect((error as GuardrailBlockedError).status).to.equal(422);
    expect((error as GuardrailBlockedError).details).to.deep.equal({
      direction: 'output',
      rule: 'creditCard',
      model: 'm',
    });
    const text = events.map((e) => (e.type === 'text' ? e.text : '')).join('');
    expect(text).to.equal(`${'fine. '.repeat(30)}card `);
    expect(events.some((e) => e.type === 'done')).to.equal(false);
  });

  it('rewrites only the answer texts of an OpenAI body; unchanged bodies stay byte for byte', () => {
    const op = openAIOperation('chat', { model: 'm', messages: [] });
    const raw = `{"id":"x", "choices":[{"index":0,"message":{"role":"assistant","content":"${card}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}`;
    const answer = { body: raw, contentType: 'application/json', inputTokens: 1, outputTokens: 1 };
    const out = guard.value(op, redacting, answer, 'r');
    expect(JSON.parse(out.body)).to.deep.equal({
      ...JSON.parse(raw),
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Pay with [REDACTED:creditCard] please.' },
          finish_reason: 'stop',
        },
      ],
    });
    const clean = { ...answer, body: '{"choices":[{"message":{"content":"hello"}}], "x": 1.0}' };
    expect(guard.value(op, redacting, clean, 'r')).to.equal(clean);
    const responses = openAIOperation('responses', { model: 'm', input: 'x' });
    const resp = {
      ...answer,
      body: JSON.stringify({ output: [{ type: 'message', content: [{ type: 'output_text', text: card }] }] }),
    };
    expect(guard.value(responses, redacting, resp, 'r').body).to.include('[REDACTED:creditCard]');
  });

  it('refuses a generation answer with a block match, and redacts every choice', () => {
    const op = generation({ kind: 'chat', messages: [] }, {});
    const r = {
      text: card,
      finishReason: 'stop',
      inputTokens: 1,
      outputTokens: 1,
      choices: [
        { text: card, finishReason: 'stop' },
        { text: 'a@b.example', finishReason: 'stop' },
      ],
    };
    expect(() => guard.value(op, blocking, r, 'r')).to.throw(GuardrailBlockedError);
    const out = guard.value(op, redacting, r, 'r');
    expect(out.text).to.equal('Pay with [REDACTED:creditCard] please.');
    expect(out.choices?.map((c) => c.text)).to.deep.equal([out.text, '[REDACTED:email]']);
  });
});
