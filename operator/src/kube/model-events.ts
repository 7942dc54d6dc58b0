/**
 * Two reads the reconcile of either kind makes that need no controller state: the Event a Ready change is
 * worth (pure), and whether an openai model's Secret holds its key.
 * @module
 */
import type { AIModel, Condition } from '../../../crds/src/index.js';
import type { KubeApi, KubeObject } from '../../../kube/src/api.js';
import { isNotFound } from '../../../kube/src/client.js';
import { Resources } from '../../../kube/src/resources.js';
import { conditionOf, Reason } from '../conditions.js';

const PROBLEM_FREE = new Set<string>([
  Reason.RuntimeReady,
  Reason.RuntimeStarting,
  Reason.ExternalEndpoint,
  Reason.VersionsReady,
]);

export interface ReadyEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** An event when the Ready condition changes: Normal when it becomes ready, Warning with the cause otherwise. */
export function readyEvent(
  before?: readonly Condition[],
  after?: readonly Condition[],
): ReadyEvent | undefined {
  const was = conditionOf(before, 'Ready');
  const now = conditionOf(after, 'Ready');
  if (!now || (was?.status === now.status && was.reason === now.reason)) return undefined;
  // Starting is the expected way to Ready, not news.
  if (now.status !== 'True' && now.reason === Reason.RuntimeStarting) return undefined;
  const warning = now.status !== 'True' && !PROBLEM_FREE.has(now.reason);
  return {
    type: warning ? 'Warning' : 'Normal',
    reason: now.status === 'True' ? 'Ready' : now.reason,
    message: now.message,
  };
}

/** Records the Ready change between two condition lists, if it is worth an event. */
export function announceReady(
  announce: (object: KubeObject, type: ReadyEvent['type'], reason: string, message: string) => void,
  object: KubeObject,
  before?: readonly Condition[],
  after?: readonly Condition[],
): void {
  const event = readyEvent(before, after);
  if (event) announce(object, event.type, event.reason, event.message);
}

/** For an openai model that names a Secret: whether it holds the key (read only, never logged). */
export async function credentialsAvailable(
  api: KubeApi,
  model: AIModel & KubeObject,
): Promise<boolean | undefined> {
  const ref = model.spec.endpoint?.apiKeySecretRef;
  if (model.spec.provider !== 'openai' || !ref) return model.spec.provider === 'openai' ? true : undefined;
  try {
    const secret = await api.get<KubeObject & { data?: Record<string, string> }>(
      Resources.Secret,
      model.metadata.namespace as string,
      ref.name,
    );
    return Boolean(secret.data?.[ref.key]);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
