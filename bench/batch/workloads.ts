/**
 * The items of the batch bench: short review sentences classified by the sentiment runtime, and story
 * prompts continued by the story-writer runtime (greedy, 16 new tokens). Each item differs from its
 * neighbours (a number in it), and the response cache is off, so every item runs on a runtime.
 * @module
 */

export interface Workload {
  readonly name: string;
  readonly items: readonly Record<string, unknown>[];
  /** The synchronous route the same item is sent to, and its body there. */
  readonly syncPath: string;
  syncBody(item: Record<string, unknown>): Record<string, unknown>;
}

// Short reviews, half kind and half unkind: "the <noun> was <adjective>".
const NOUNS = ['soup', 'robot', 'garden', 'old car', 'show', 'room', 'friend', 'rainy day'];
const ADJECTIVES = ['lovely', 'awful', 'bright and happy', 'cold and dull', 'wonderful', 'terrible'];
const review = (i: number) =>
  `the ${NOUNS[i % NOUNS.length]} was ${ADJECTIVES[Math.floor(i / NOUNS.length) % ADJECTIVES.length]}`;
const PROMPTS = [
  'The farmer had three white goats.',
  'Tom had a small red boat.',
  'The old owl lived in a tall tree.',
  'Mia found a shiny key.',
];

/** The batch item without its `type`: the synchronous routes take the same fields. */
const withoutType = ({ type: _type, ...rest }: Record<string, unknown>) => rest;

export function workloads(counts: { classify: number; generate: number }): Workload[] {
  const classify: Workload = {
    name: 'classification (sentiment)',
    items: Array.from({ length: counts.classify }, (_, i) => ({
      type: 'analyze',
      model_id: 'sentiment',
      task: 'classify',
      input: `${review(i)} (${i})`,
    })),
    syncPath: '/api/inference/analyze',
    syncBody: withoutType,
  };
  const generate: Workload = {
    name: 'generation (story-writer, 16 tokens)',
    items: Array.from({ length: counts.generate }, (_, i) => ({
      type: 'text',
      model_id: 'story-writer',
      input: `${PROMPTS[i % PROMPTS.length]} Day ${i}.`,
      parameters: { max_tokens: 16, temperature: 0 },
    })),
    syncPath: '/api/inference/text',
    syncBody: withoutType,
  };
  return [classify, generate].filter((w) => w.items.length > 0);
}
