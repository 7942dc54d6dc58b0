/**
 * kube-score (built by hack/kube-score/build.sh) on what a production install runs: the chart rendered by the
 * real helm, with its defaults and with the values a production install sets, together with the runtime
 * Deployments (and their Services, budgets and autoscalers) the operator builds from the chart's own operator
 * config. Every CRITICAL must be one that docs/cluster.md accepts, with its reason, in the table under "kube-score
 * findings we accept"; a row that no finding needs any more fails too, so the table and the chart cannot drift.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse, stringify } from 'yaml';
import type { AIModel, ModelVersion } from '../../crds/src/index.js';
import { desiredVersion } from '../../operator/src/kube/desired.js';
import { parseOperatorConfig } from '../../operator/src/kube/operator-config.js';
import { ROOT, requireCluster } from '../support/cluster.js';
import { renderChart } from './helm.js';

const run = promisify(execFile);
const NAMESPACE = 'paissive';
const DOCS = join(ROOT, 'docs/cluster.md');
const HEADING = /^#+\s+kube-score findings we accept\s*$/;
/** kube-score's grade for a CRITICAL (scorecard.GradeCritical). */
const CRITICAL = 1;

/** What `helm install` gets: the defaults, and what a production install typically sets. */
const SCENARIOS: Readonly<Record<string, readonly string[]>> = {
  'default values': [],
  'production values': [
    'image.tag=1.2.3',
    'imagePullSecrets[0].name=regcred',
    'router.replicas=3',
    'router.autoscaling.enabled=true',
    'router.redis.existingSecret=redis',
    'router.apiKeys.existingSecret=api-keys',
    'router.worker.enabled=true',
    'router.worker.autoscaling.enabled=true',
    'metrics.serviceMonitor.enabled=true',
  ],
};

const onnxModel = (name: string): AIModel => ({
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'AIModel',
  metadata: { name, namespace: NAMESPACE },
  spec: { provider: 'onnx', capabilities: ['text-generation'] },
});

const version = (name: string, model: string, spec: Partial<ModelVersion['spec']>): ModelVersion => ({
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name, namespace: NAMESPACE, uid: `uid-${name}`, generation: 1 },
  spec: {
    model,
    version: 'v1',
    default: true,
    deprecated: false,
    replicas: 1,
    artifact: { uri: `s3://models/${name}.tar.gz` },
    ...spec,
  },
});

/** The versions whose runtime objects are scored: a GPU one, a replicated one, an autoscaled one, a vLLM server. */
const VERSIONS: readonly [ModelVersion, AIModel][] = [
  [
    version('llm-gpu-v1', 'llm', {
      resources: { cpu: '4', memory: '16Gi', gpu: { count: 1, type: 'nvidia-l4' } },
    }),
    onnxModel('llm'),
  ],
  [
    version('sentiment-v1', 'sentiment', { replicas: 3, resources: { cpu: '1', memory: '2Gi' } }),
    onnxModel('sentiment'),
  ],
  [
    version('embedder-v1', 'embedder', {
      replicas: 2,
      resources: { cpu: '1', memory: '2Gi' },
      autoscaling: { minReplicas: 2, maxReplicas: 6, targetCPUUtilization: 70 },
    }),
    onnxModel('embedder'),
  ],
  [
    version('llama-v1', 'llama', {
      artifact: undefined,
      resources: { cpu: '8', memory: '32Gi', gpu: { count: 1, type: 'nvidia-a100-80gb' } },
      runtime: { protocol: 'openai', image: 'vllm/vllm-openai:v0.11.0', port: 8000 },
    }),
    {
      ...onnxModel('llama'),
      spec: { provider: 'openai', capabilities: ['chat'], endpoint: { baseURL: 'http://llama-v1:8000/v1' } },
    } as AIModel,
  ],
];

/** The runtime objects the operator creates, from the operator config the chart renders into its ConfigMap. */
function runtimeObjects(chart: any[]): object[] {
  const configMap = chart.find((o) => o.kind === 'ConfigMap' && o.data?.['operator.yaml']);
  const config = parseOperatorConfig(parse(configMap.data['operator.yaml']));
  return VERSIONS.flatMap(([mv, model]) => {
    const desired = desiredVersion(mv, model, config);
    if (desired.kind !== 'serve') throw new Error(`${mv.metadata.name}: ${desired.message}`);
    const { deployment, service, disruptionBudget, autoscaler } = desired;
    return [deployment, service, disruptionBudget, autoscaler].filter((o) => o !== undefined);
  });
}

/** One comment of a CRITICAL check: kube-score says what it found per container (or per object). */
interface Finding {
  readonly check: string;
  readonly kind: string;
  readonly component: string;
  readonly finding: string;
  /** Where, for the failure message: the object and the container. */
  readonly at: string;
}

/** kube-score's JSON (v2) report, reduced to the comments of its CRITICALs. */
function criticals(report: any[]): Finding[] {
  return report.flatMap((object) =>
    (object.checks as any[])
      .filter((c) => c.grade === CRITICAL && !c.skipped)
      .flatMap((c) =>
        (c.comments?.length ? c.comments : [{ summary: '' }]).map((m: any) => ({
          check: c.check.id as string,
          kind: object.type_meta.kind as string,
          component: (object.object_meta.labels?.['app.kubernetes.io/component'] as string) ?? '',
          finding: m.summary as string,
          at: `${object.object_name}${m.path ? ` (${m.path})` : ''}`,
        })),
      ),
  );
}

/** A row of the table: a check, a kind, components and findings (comma and semicolon separated lists). */
interface Accepted {
  readonly check: string;
  readonly kind: string;
  readonly components: readonly string[];
  readonly findings: readonly string[];
  readonly why: string;
}

/** The rows of the first table under the heading; cells lose their backticks. */
function acceptedFindings(markdown: string): Accepted[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => HEADING.test(l));
  if (start < 0) throw new Error('docs/cluster.md has no "kube-score findings we accept" heading');
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('|')) {
      if (rows.length) break;
      continue;
    }
    rows.push(
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim().replaceAll('`', '')),
    );
  }
  // The header, then the |---| line.
  return rows.slice(2).map(([check = '', kind = '', component = '', finding = '', why = '']) => ({
    check,
    kind,
    components: component.split(',').map((c) => c.trim()),
    findings: finding.split(';').map((f) => f.trim()),
    why,
  }));
}

const matches = (a: Accepted, f: Finding) =>
  a.check === f.check &&
  a.kind === f.kind &&
  a.components.includes(f.component) &&
  a.findings.includes(f.finding);

describe('charts/paissive: kube-score on the chart and the runtime Deployments', function () {
  this.timeout(60_000);
  let kubeScore: string;
  let accepted: Accepted[];
  let dir: string;
  const findings: Record<string, Finding[]> = {};
  const scored: Record<string, string[]> = {};

  before(async function () {
    requireCluster(this); // helm is built with the cluster
    this.timeout(600_000); // a first build of kube-score takes minutes; cached, well under a second
    kubeScore = (await run('bash', [join(ROOT, 'hack/kube-score/build.sh')])).stdout.trim();
    accepted = acceptedFindings(await readFile(DOCS, 'utf8'));
    dir = await mkdtemp(join(tmpdir(), 'kube-score-'));
    for (const [scenario, set] of Object.entries(SCENARIOS)) {
      const chart = await renderChart('paissive', NAMESPACE, set);
      const objects = [...chart, ...runtimeObjects(chart)];
      const file = join(dir, `${scenario.replaceAll(' ', '-')}.yaml`);
      await writeFile(file, objects.map((o) => stringify(o)).join('---\n'));
      // Exit code 1 means "found CRITICALs"; the report is on stdout either way.
      const args = ['score', '--kubernetes-version', 'v1.36', '--output-format', 'json', file];
      const stdout = await run(kubeScore, args, { maxBuffer: 64 * 1024 * 1024 }).then(
        (r) => r.stdout,
        (err: Error & { code?: number; stdout?: string }) => {
          if (err.code !== 1 || !err.stdout) throw err;
          return err.stdout;
        },
      );
      const report = JSON.parse(stdout) as any[];
      findings[scenario] = criticals(report);
      scored[scenario] = report.map((o) => o.object_name as string);
    }
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scores the operator, the router, the batch workers, the helm test pod and the runtime Deployments', () => {
    expect(scored['default values']).to.include.members([
      `Deployment/apps/v1/${NAMESPACE}/paissive-operator`,
      `Deployment/apps/v1/${NAMESPACE}/paissive-router`,
      `Pod/v1/${NAMESPACE}/paissive-router-test`,
      `Deployment/apps/v1/${NAMESPACE}/llm-gpu-v1`,
      `Deployment/apps/v1/${NAMESPACE}/llama-v1`,
      `PodDisruptionBudget/policy/v1/${NAMESPACE}/sentiment-v1`,
      `HorizontalPodAutoscaler/autoscaling/v2/${NAMESPACE}/embedder-v1`,
    ]);
    expect(scored['production values']).to.include(`Deployment/apps/v1/${NAMESPACE}/paissive-router-worker`);
  });

  for (const scenario of Object.keys(SCENARIOS)) {
    it(`with ${scenario}, every CRITICAL is one docs/cluster.md accepts`, () => {
      const unexplained = (findings[scenario] ?? []).filter((f) => !accepted.some((a) => matches(a, f)));
      expect(
        unexplained.map((f) => `${f.check} on ${f.at}, component ${f.component || '-'}: ${f.finding}`),
        'fix these in the chart or the operator, or accept them with a reason in docs/cluster.md',
      ).to.deep.equal([]);
    });
  }

  it('every accepted finding still occurs, with a reason (the table does not outlive what it explains)', () => {
    const all = Object.values(findings).flat();
    expect(accepted, 'the table is empty or unreadable').to.not.deep.equal([]);
    for (const a of accepted) {
      expect(a.why.length, `the reason for ${a.check} on ${a.kind}`).to.be.above(40);
      for (const component of a.components) {
        for (const finding of a.findings) {
          const one = { ...a, components: [component], findings: [finding] };
          expect(
            all.some((f) => matches(one, f)),
            `"${finding}" (${a.check}) on a ${a.kind} of component ${component} is accepted in docs/cluster.md but kube-score no longer reports it: remove it`,
          ).to.equal(true);
        }
      }
    }
  });
});
