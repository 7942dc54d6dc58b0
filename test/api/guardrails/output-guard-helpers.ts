/** What the output-guard tests share: a model with output guardrails, stream builders and readers. */
import type { StreamEvent } from '../../../api/src/backends/backend.js';
import type { CatalogModel } from '../../../api/src/catalog/catalog.js';
import { guardrails } from '../../../crds/src/guardrails.js';
export const model = (output: unknown): CatalogModel =>
  ({
    name: 'm',
    spec: { provider: 'openai', capabilities: ['chat'], guardrails: guardrails.parse({ output }) },
    versions: [],
  }) as unknown as CatalogModel;

export const redacting = model({ redact: { detectors: ['creditCard', 'email'] } });
export const blocking = model({ block: { detectors: ['creditCard'] } });

export async function collect(
  events: AsyncIterable<StreamEvent>,
): Promise<{ events: StreamEvent[]; error?: unknown }> {
  const out: StreamEvent[] = [];
  try {
    for await (const e of events) out.push(e);
  } catch (error) {
    return { events: out, error };
  }
  return { events: out };
}

export async function* of(...events: StreamEvent[]): AsyncIterable<StreamEvent> {
  for (const e of events) yield e;
}

export const chunk = (content: string | undefined, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'up', system_fingerprint: 'fp', choices: [{ index: 0, delta: content === undefined ? {} : { content }, logprobs: null, finish_reason: finish }] })}\n\n`;

/** The content the client reads from chat chunks. */
export const contentOf = (frames: string) =>
  frames
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? '')
    .join('');
