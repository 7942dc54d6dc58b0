import { expect } from 'chai';
import { dataOf, finishOf, textOf, usageOf, usageOfText } from '../../../api/src/backends/openai-answers.js';
import { eventsOf, lastBoundary } from '../../../api/src/backends/upstream-client.js';

describe('api/backends: what the router reads of an OpenAI answer it passes through', () => {
  const bodies: [string, unknown, { input: number; output: number }][] = [
    [
      'a chat completion',
      {
        choices: [{ message: { content: 'hi' } }],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      },
      { input: 5, output: 2 },
    ],
    [
      'an embedding list',
      { data: [{ embedding: [0.1, 0.2] }], usage: { prompt_tokens: 3, total_tokens: 3 } },
      { input: 3, output: 0 },
    ],
    [
      'a Responses API object',
      { output: [], usage: { input_tokens: 4, output_tokens: 9, total_tokens: 13 } },
      { input: 4, output: 9 },
    ],
    [
      'usage with nested details',
      { usage: { prompt_tokens: 1, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 0 } } },
      { input: 1, output: 1 },
    ],
    [
      'the word usage inside a string before the object',
      {
        choices: [{ message: { content: 'see "usage": {' } }],
        usage: { prompt_tokens: 2, completion_tokens: 3 },
      },
      { input: 2, output: 3 },
    ],
    ['no usage', { choices: [] }, { input: 0, output: 0 }],
    ['usage null', { usage: null }, { input: 0, output: 0 }],
  ];
  for (const [what, body, expected] of bodies) {
    it(`given ${what}, reads usage ${expected.input}/${expected.output}`, () => {
      expect(usageOf(Buffer.from(JSON.stringify(body)))).to.deep.equal(expected);
    });
  }

  it('reads usage from a body that is not JSON as none', () => {
    expect(usageOf(Buffer.from('<html>"usage": {oops</html>'))).to.deep.equal({ input: 0, output: 0 });
  });

  it('joins the data lines of an event and keeps its event line out', () => {
    expect(dataOf('data: {"a":1}')).to.equal('{"a":1}');
    expect(dataOf('event: response.completed\ndata: {"a":\ndata: 1}')).to.equal('{"a":\n1}');
    expect(dataOf(': a comment')).to.equal(undefined);
  });

  it('tells a usage-only chunk from a chunk that also carries choices, and skips usage: null', () => {
    expect(usageOfText('{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}')).to.deep.equal({
      input: 3,
      output: 4,
      usageOnly: true,
    });
    expect(
      usageOfText('{"choices":[{"delta":{}}],"usage":{"prompt_tokens":3,"completion_tokens":4}}'),
    ).to.deep.equal({ input: 3, output: 4, usageOnly: false });
    expect(usageOfText('{"choices":[{"delta":{"content":"x"}}],"usage":null}')).to.equal(undefined);
    expect(
      usageOfText('{"type":"response.completed","response":{"usage":{"input_tokens":2,"output_tokens":5}}}'),
    ).to.deep.equal({ input: 2, output: 5, usageOnly: false });
  });

  it('reads the finish reason and the text of a chunk', () => {
    expect(finishOf('data: {"choices":[{"finish_reason":"tool_calls"}]}')).to.equal('tool_calls');
    expect(finishOf('data: {"choices":[{"finish_reason":null}]}')).to.equal(undefined);
    expect(textOf('data: {"choices":[{"delta":{"content":"hi"}}]}')).to.equal('hi');
    expect(textOf('data: {"choices":[{"text":"yo"}]}')).to.equal('yo');
    expect(textOf('data: [DONE]')).to.equal(undefined);
  });

  const reads: [string, string, number][] = [
    ['no whole event yet', 'data: {"a":', 0],
    ['one event and the start of the next', 'data: 1\n\ndata: 2', 9],
    ['two whole events', 'data: 1\n\ndata: 2\n\n', 18],
    ['CRLF separators', 'data: 1\r\n\r\ndata: 2', 11],
    ['CR separators', 'data: 1\r\rdata', 9],
  ];
  for (const [what, text, end] of reads) {
    it(`given a read with ${what}, relays up to ${end}`, () => expect(lastBoundary(text)).to.equal(end));
  }

  it('splits a block of whole events into its events, whatever the line endings', () => {
    expect(eventsOf('data: 1\n\nevent: x\ndata: 2\r\n\r\ndata: 3\r\r')).to.deep.equal([
      'data: 1',
      'event: x\ndata: 2',
      'data: 3',
    ]);
    expect(finishOf('data: {"finish_reason":null}\n\ndata: {"finish_reason":"length"}\n\n')).to.equal(
      'length',
    );
  });
});
