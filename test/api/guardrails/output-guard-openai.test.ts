import { expect } from 'chai';
import type { StreamEvent } from '../../../api/src/backends/backend.js';
import { OutputGuardrails } from '../../../api/src/guardrails/output-guard.js';
import { openAIOperation } from '../../../api/src/inference/openai-operation.js';
import { collect, model, of } from './output-guard-helpers.js';

describe('guardrails/output-guard: completions and Responses API streams', () => {
  const guard = new OutputGuardrails(() => undefined);
  const redacting = model({ redact: { detectors: ['creditCard'] } });
  const card = 'a 4111 1111 1111 1111 b';

  it('redacts completions chunks (choices[i].text) per choice, split at every position', async () => {
    const frame = (index: number, text: string, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'x', object: 'text_completion', choices: [{ index, text, finish_reason: finish, logprobs: null }] })}\n\n`;
    for (let i = 1; i < card.length; i++) {
      // Both choices in one network read, then each finishing in its own.
      const frames = [
        frame(0, card.slice(0, i)) + frame(1, card.slice(0, i)),
        frame(0, card.slice(i), 'stop'),
        frame(1, card.slice(i), 'length'),
        'data: [DONE]\n\n',
      ];
      const { events } = await collect(
        guard.events(redacting, of(...frames.map((f) => ({ type: 'frame' as const, frame: f }))), 'r'),
      );
      const texts = ['', ''];
      for (const e of events)
        if (e.type === 'frame')
          for (const line of e.frame.split('\n').filter((l) => l.startsWith('data: {')))
            for (const c of JSON.parse(line.slice(6)).choices) texts[c.index] += c.text;
      expect(texts, `split at ${i}`).to.deep.equal([
        'a [REDACTED:creditCard] b',
        'a [REDACTED:creditCard] b',
      ]);
    }
  });

  it('redacts Responses API output_text deltas, releasing the held tail before output_text.done, and the whole texts after', async () => {
    const ev = (type: string, fields: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, output_index: 0, content_index: 0, ...fields })}\n\n`;
    const frames = [
      ev('response.output_text.delta', { delta: card.slice(0, 8), sequence_number: 1 }),
      ev('response.output_text.delta', { delta: card.slice(8), sequence_number: 2 }),
      ev('response.output_text.done', { text: card, sequence_number: 3 }),
      ev('response.completed', {
        response: { output: [{ type: 'message', content: [{ type: 'output_text', text: card }] }] },
        sequence_number: 4,
      }),
    ];
    const { events } = await collect(
      guard.events(redacting, of(...frames.map((f) => ({ type: 'frame' as const, frame: f }))), 'r'),
    );
    const parsed = events
      .flatMap((e) => (e.type === 'frame' ? e.frame.split('\n') : []))
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)));
    const deltas = parsed
      .filter((p) => p.type === 'response.output_text.delta')
      .map((p) => p.delta)
      .join('');
    expect(deltas).to.equal('a [REDACTED:creditCard] b');
    expect(parsed.find((p) => p.type === 'response.output_text.done').text).to.equal(
      'a [REDACTED:creditCard] b',
    );
    expect(parsed.at(-1).response.output[0].content[0].text).to.equal('a [REDACTED:creditCard] b');
    expect(JSON.stringify(parsed)).to.not.include('1111');
  });
});

describe('guardrails/output-guard: tool calls and unusual SSE framing', () => {
  const guard = new OutputGuardrails(() => undefined);
  const redacting = model({ redact: { detectors: ['creditCard'] } });
  const args = '{"card":"4111 1111 1111 1111","note":"x"}';
  const redactedArgs = '{"card":"[REDACTED:creditCard]","note":"x"}';
  const frames = (...fs: string[]) => of(...fs.map((frame) => ({ type: 'frame' as const, frame })));
  /** A whole OpenAI answer body through the output guard. */
  const guardedBody = (op: ReturnType<typeof openAIOperation>, body: object) =>
    (
      guard.value(
        op,
        redacting,
        { body: JSON.stringify(body), inputTokens: 1, outputTokens: 1 } as never,
        'r',
      ) as {
        body: string;
      }
    ).body;
  const dataOf = (events: StreamEvent[]) =>
    events
      .flatMap((e) => (e.type === 'frame' ? e.frame.split(/\r?\n/) : []))
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)));

  // Before: only message text was read, so a card in a tool call's arguments went out as the model gave it.
  it("redacts a tool call's arguments in a chat answer and a Responses function_call item", () => {
    const op = openAIOperation('chat', { model: 'm', messages: [] });
    const chat = {
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 't', type: 'function', function: { name: 'pay', arguments: args } }],
          },
        },
      ],
    };
    const responses = { output: [{ type: 'function_call', call_id: 't', name: 'pay', arguments: args }] };
    for (const body of [chat, responses]) {
      expect(guardedBody(op, body))
        .to.include(JSON.stringify(redactedArgs).slice(1, -1))
        .and.not.include('1111');
    }
  });

  it('redacts streamed tool-call argument deltas, per call, split at every position', async () => {
    const tc = (calls: { index: number; arguments: string }[], finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { tool_calls: calls.map((c) => ({ index: c.index, function: { arguments: c.arguments } })) }, finish_reason: finish }] })}\n\n`;
    for (let i = 1; i < args.length; i++) {
      const { events } = await collect(
        guard.events(
          redacting,
          frames(
            tc([
              { index: 0, arguments: args.slice(0, i) },
              { index: 1, arguments: args.slice(0, i) },
            ]),
            tc([{ index: 0, arguments: args.slice(i) }]),
            tc([{ index: 1, arguments: args.slice(i) }]),
            tc([], 'tool_calls'),
            'data: [DONE]\n\n',
          ),
          'r',
        ),
      );
      const built = ['', ''];
      for (const d of dataOf(events))
        for (const call of d.choices[0].delta.tool_calls ?? []) built[call.index] += call.function.arguments;
      expect(built, `split at ${i}`).to.deep.equal([redactedArgs, redactedArgs]);
    }
  });

  it('redacts Responses function_call_arguments deltas and the whole arguments at .done', async () => {
    const ev = (type: string, fields: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, output_index: 1, ...fields })}\n\n`;
    const { events } = await collect(
      guard.events(
        redacting,
        frames(
          ev('response.function_call_arguments.delta', { delta: args.slice(0, 15) }),
          ev('response.function_call_arguments.delta', { delta: args.slice(15) }),
          ev('response.function_call_arguments.done', { arguments: args }),
          ev('response.output_item.done', { item: { type: 'function_call', arguments: args } }),
        ),
        'r',
      ),
    );
    const parsed = dataOf(events);
    const deltas = parsed.filter((p) => p.type === 'response.function_call_arguments.delta');
    expect(deltas.map((p) => p.delta).join('')).to.equal(redactedArgs);
    expect(JSON.stringify(parsed)).to.not.include('1111');
  });

  // Before: an event whose JSON spread over two data: lines (valid SSE, joined with a newline) went out unread.
  it('reads an event whose data spreads over several data: lines, with CRLF framing', async () => {
    const json = JSON.stringify({
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { content: 'card 4111 1111 1111 1111' }, finish_reason: 'stop' }],
    });
    const at = json.indexOf('"delta"');
    const { events } = await collect(
      guard.events(
        redacting,
        frames(`data: ${json.slice(0, at)}\r\ndata: ${json.slice(at)}\r\n\r\n`, 'data: [DONE]\r\n\r\n'),
        'r',
      ),
    );
    const text = events.map((e) => (e.type === 'frame' ? e.frame : '')).join('');
    expect(text).to.not.include('1111');
    expect(dataOf(events)[0].choices[0].delta.content).to.equal('card [REDACTED:creditCard]');
  });

  // Before: only delta.content and message.content were read; servers that show reasoning put it beside them.
  it('redacts reasoning and refusal texts, streamed (split at every position) and whole', async () => {
    const text = 'think 4111 1111 1111 1111 done';
    const rc = (fields: Record<string, string>, finish: string | null = null) =>
      `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: fields, finish_reason: finish }] })}\n\n`;
    for (let i = 1; i < text.length; i++) {
      const { events } = await collect(
        guard.events(
          redacting,
          frames(
            rc({ reasoning_content: text.slice(0, i) }),
            rc({ reasoning_content: text.slice(i), content: 'ok' }),
            rc({}, 'stop'),
            'data: [DONE]\n\n',
          ),
          'r',
        ),
      );
      const reasoning = dataOf(events)
        .map((d) => d.choices[0].delta.reasoning_content ?? '')
        .join('');
      expect(reasoning, `split at ${i}`).to.equal('think [REDACTED:creditCard] done');
    }
    const op = openAIOperation('chat', { model: 'm', messages: [] });
    const body = {
      choices: [{ index: 0, message: { role: 'assistant', content: 'a', reasoning: text, refusal: text } }],
    };
    expect(guardedBody(op, body)).to.not.include('1111');
  });

  // Before: only output_text and (now) function-call deltas were read in a Responses stream.
  it('redacts Responses refusal and reasoning summary deltas, whole and streamed', async () => {
    const text = 'I saw 4111 1111 1111 1111 there';
    const ev = (type: string, fields: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, output_index: 0, ...fields })}\n\n`;
    const { events } = await collect(
      guard.events(
        redacting,
        frames(
          ev('response.reasoning_summary_text.delta', { summary_index: 0, delta: text.slice(0, 12) }),
          ev('response.reasoning_summary_text.delta', { summary_index: 0, delta: text.slice(12) }),
          ev('response.reasoning_summary_text.done', { summary_index: 0, text }),
          ev('response.refusal.delta', { content_index: 0, delta: text.slice(0, 9) }),
          ev('response.refusal.delta', { content_index: 0, delta: text.slice(9) }),
          ev('response.refusal.done', { content_index: 0, refusal: text }),
        ),
        'r',
      ),
    );
    const parsed = dataOf(events);
    for (const type of ['response.reasoning_summary_text.delta', 'response.refusal.delta'])
      expect(
        parsed
          .filter((p) => p.type === type)
          .map((p) => p.delta)
          .join(''),
      ).to.equal('I saw [REDACTED:creditCard] there');
    expect(JSON.stringify(parsed)).to.not.include('1111');
    const op = openAIOperation('responses', { model: 'm', input: 'x' });
    const body = {
      output: [
        { type: 'reasoning', summary: [{ type: 'summary_text', text }] },
        { type: 'message', content: [{ type: 'refusal', refusal: text }] },
      ],
    };
    expect(guardedBody(op, body)).to.not.include('1111');
  });

  it('fixes a non-streamed answer that is not JSON as one text (an odd upstream is no way around)', () => {
    const op = openAIOperation('chat', { model: 'm', messages: [] });
    const r = { body: 'card 4111 1111 1111 1111', inputTokens: 1, outputTokens: 1 };
    expect((guard.value(op, redacting, r as never, 'r') as { body: string }).body).to.equal(
      'card [REDACTED:creditCard]',
    );
  });
});
