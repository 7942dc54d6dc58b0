/**
 * A ModelVersion's `spec.podTemplate` merged over the operator config's `podDefaults` and around what the
 * operator derives itself. Rules, so a version reads predictably: labels and annotations add up (the version's
 * win over the defaults, the operator's over both, and admission refuses the operator's keys anyway); pull
 * secrets and tolerations add up; the service account and priority class are the version's, else the
 * defaults'; a version's topology spread replaces the default spread; its node affinity is ANDed with the
 * operator's GPU-node rule. Pure.
 * @module
 */
import type {
  V1Affinity,
  V1EnvFromSource,
  V1EnvVar,
  V1LocalObjectReference,
  V1NodeSelectorTerm,
  V1Toleration,
  V1TopologySpreadConstraint,
} from '@kubernetes/client-node';
import type { ModelVersion } from '../../../crds/src/index.js';
import type { Affinity } from '../../../crds/src/pod-template.js';
import { selectorLabels } from './names.js';
import type { OperatorConfig } from './operator-config.js';

export interface PodCustomization {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly serviceAccountName?: string;
  readonly priorityClassName?: string;
  readonly imagePullSecrets?: V1LocalObjectReference[];
  /** Added after the GPU tolerations. */
  readonly tolerations: V1Toleration[];
  readonly topologySpreadConstraints?: V1TopologySpreadConstraint[];
  /** Added after the runtime's own variables. */
  readonly env: V1EnvVar[];
  readonly envFrom?: V1EnvFromSource[];
}

export interface PodTemplateProblem {
  readonly problem: string;
}

const unique = <T>(items: readonly T[], key: (item: T) => string): T[] => {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
};

/** Env names set twice would make server-side apply refuse the whole Deployment; say which instead. */
function envProblem(mv: ModelVersion): string | undefined {
  const names = (mv.spec.podTemplate?.env ?? []).map((e) => e.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) return `spec.podTemplate.env sets ${twice} twice`;
  const plain = new Set((mv.spec.runtime?.env ?? []).map((e) => e.name));
  const both = names.find((n) => plain.has(n));
  if (both) return `${both} is in both spec.runtime.env and spec.podTemplate.env: keep one`;
  return undefined;
}

export function podCustomization(
  mv: ModelVersion,
  config: OperatorConfig,
): PodCustomization | PodTemplateProblem {
  const problem = envProblem(mv);
  if (problem) return { problem };
  const own = mv.spec.podTemplate ?? {};
  const defaults = config.podDefaults;
  const pullSecrets = unique(
    [...(defaults.imagePullSecrets ?? []), ...(own.imagePullSecrets ?? [])],
    (s) => s.name,
  );
  const serviceAccountName = own.serviceAccountName ?? defaults.serviceAccountName;
  const priorityClassName = own.priorityClassName ?? defaults.priorityClassName;
  const spread = own.topologySpreadConstraints ?? defaults.topologySpreadConstraints;
  return {
    labels: { ...defaults.labels, ...own.labels },
    annotations: { ...defaults.annotations, ...own.annotations },
    ...(serviceAccountName ? { serviceAccountName } : {}),
    ...(priorityClassName ? { priorityClassName } : {}),
    ...(pullSecrets.length ? { imagePullSecrets: pullSecrets.map((s) => ({ name: s.name })) } : {}),
    tolerations: [...(defaults.tolerations ?? []), ...(own.tolerations ?? [])].map((t) => ({ ...t })),
    // Without a selector a constraint counts no pods and spreads nothing: count this version's runtime pods.
    ...(spread.length
      ? {
          topologySpreadConstraints: spread.map((c) => ({
            ...c,
            labelSelector: c.labelSelector ?? { matchLabels: selectorLabels(mv) },
          })),
        }
      : {}),
    env: (own.env ?? []).map((e) => ({
      name: e.name,
      valueFrom: { secretKeyRef: { ...e.valueFrom.secretKeyRef } },
    })),
    ...(own.envFrom?.length
      ? { envFrom: own.envFrom.map((e) => ({ ...e, secretRef: { ...e.secretRef } })) }
      : {}),
  };
}

/** Tolerations in order, each once (a version repeating a GPU toleration is harmless, not doubled). */
export function mergeTolerations(
  base: readonly V1Toleration[],
  extra: readonly V1Toleration[],
): V1Toleration[] {
  return unique([...base, ...extra], (t) =>
    JSON.stringify([t.key, t.operator, t.value, t.effect, t.tolerationSeconds]),
  );
}

/**
 * Node selector terms are ORed and a term's requirements ANDed, so "the version's terms and the operator's rule"
 * is every pair of terms joined.
 */
function andTerms(
  ours: readonly V1NodeSelectorTerm[],
  theirs: readonly V1NodeSelectorTerm[],
): V1NodeSelectorTerm[] {
  if (theirs.length === 0) return [...ours];
  if (ours.length === 0) return [...theirs];
  return theirs.flatMap((t) =>
    ours.map((o) => {
      const matchExpressions = [...(t.matchExpressions ?? []), ...(o.matchExpressions ?? [])];
      const matchFields = [...(t.matchFields ?? []), ...(o.matchFields ?? [])];
      return {
        ...(matchExpressions.length ? { matchExpressions } : {}),
        ...(matchFields.length ? { matchFields } : {}),
      };
    }),
  );
}

export function mergeAffinity(
  ours: V1Affinity | undefined,
  theirs: Affinity | undefined,
): V1Affinity | undefined {
  if (!theirs) return ours;
  const required = andTerms(
    ours?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [],
    theirs.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [],
  );
  const preferred = theirs.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  const nodeAffinity = {
    ...(required.length
      ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: required } }
      : {}),
    ...(preferred ? { preferredDuringSchedulingIgnoredDuringExecution: preferred } : {}),
  };
  const merged: V1Affinity = {
    ...(Object.keys(nodeAffinity).length ? { nodeAffinity } : {}),
    ...(theirs.podAffinity ? { podAffinity: theirs.podAffinity } : {}),
    ...(theirs.podAntiAffinity ? { podAntiAffinity: theirs.podAntiAffinity } : {}),
  };
  return Object.keys(merged).length ? merged : undefined;
}
