/**
 * Hugging Face export layouts served through one router in local mode: the ONNX file chosen by
 * configuration.dtype (or the directory's first by default), weights in external data files, and the
 * artifact errors a user sees for a missing directory or a dtype the export lacks.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import {
  CLASSES_BY_DTYPE,
  writeExternalDataExport,
  writeManyDtypesExport,
  writeQuantizedOnlyExport,
} from '../../models/src/fixtures/files.js';
import { startRouter, type TestRouter } from '../api/router/harness.js';
import { eventually } from '../support/eventually.js';

const model = (name: string, capability: string) => `apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: ${name}}
spec: {provider: onnx, capabilities: [${capability}]}`;

const version = (name: string, v: string, dir: string, configuration: Record<string, unknown> = {}) =>
  `apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: ${name}-${v}}
spec:
  model: ${name}
  version: ${v}
  default: ${v === 'v1'}
  replicas: 1
  artifact: {uri: "${pathToFileURL(dir).href}"}
  configuration: ${JSON.stringify(configuration)}`;

interface VersionState {
  version: string;
  ready: boolean;
  reason?: string;
  message?: string;
}

describe('e2e: Hugging Face export files and dtypes through the router', function () {
  this.timeout(180_000);
  let root: string;
  let router: TestRouter;
  const dirs = { quantized: '', dtypes: '', external: '', chunked: '', missing: '' };

  const versionOf = async (name: string, v: string): Promise<VersionState | undefined> =>
    (await router.get(`/api/models/${name}/versions`)).body.versions?.find(
      (s: VersionState) => s.version === v,
    );
  const settled = (name: string, v: string) =>
    eventually(
      async () => {
        const s = await versionOf(name, v);
        return s && (s.ready || s.reason === 'ArtifactInvalid' || s.reason === 'ArtifactUnavailable')
          ? s
          : undefined;
      },
      `${name} ${v} ready or refused`,
      120_000,
    );
  const classify = (name: string, v: string) =>
    router.post('/api/inference/analyze', {
      model_id: name,
      version: v,
      task: 'classify',
      input: 'a great film',
    });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hf-files-'));
    for (const key of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[key] = join(root, key);
    await writeQuantizedOnlyExport(dirs.quantized);
    await writeManyDtypesExport(dirs.dtypes);
    await writeExternalDataExport(dirs.external, 1);
    await writeExternalDataExport(dirs.chunked, 3);
    // Generation on a shared 2-core machine can take longer than the harness's 0.5 s attempt timeout.
    router = await startRouter(
      [
        model('quantized', 'text-classification'),
        version('quantized', 'v1', dirs.quantized),
        model('dtypes', 'text-classification'),
        version('dtypes', 'v1', dirs.dtypes),
        version('dtypes', 'v2', dirs.dtypes, { dtype: 'q8' }),
        version('dtypes', 'v3', dirs.dtypes, { dtype: 'q4' }),
        model('qwen', 'text-generation'),
        version('qwen', 'v1', dirs.external),
        version('qwen', 'v2', dirs.chunked),
      ],
      { ATTEMPT_TIMEOUT_MS: '30000' },
    );
    // Versions that never get ready are added once the router is: their restarts would keep /readyz at 503.
    await writeFile(
      join(router.dir, 'failing.yaml'),
      [
        version('quantized', 'v2', dirs.quantized, { dtype: 'q4f16' }),
        model('missing', 'text-classification'),
        version('missing', 'v1', dirs.missing),
      ].join('\n---\n'),
    );
  });
  after(async () => {
    await router?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('serves an export that holds only onnx/model_quantized.onnx', async () => {
    expect(await settled('quantized', 'v1')).to.include({ ready: true });
    const res = await classify('quantized', 'v1');
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(Object.keys(res.body.results[0].scores).sort()).to.deep.equal(['NEGATIVE', 'POSITIVE']);
  });

  it('opens the file configuration.dtype names, and fp32 (model.onnx) first without one', async () => {
    for (const [v, dtype] of [
      ['v1', 'fp32'],
      ['v2', 'q8'],
      ['v3', 'q4'],
    ] as const) {
      expect(await settled('dtypes', v)).to.include({ ready: true });
      const res = await classify('dtypes', v);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(Object.keys(res.body.results[0].scores), `${v} (${dtype})`).to.have.length(
        CLASSES_BY_DTYPE[dtype],
      );
    }
  });

  it('generates with a GQA decoder whose weights are in model.onnx_data, or in three chunks, alike', async () => {
    const outputs: string[] = [];
    for (const v of ['v1', 'v2']) {
      expect(await settled('qwen', v)).to.include({ ready: true });
      const res = await router.post('/api/inference/text', {
        model_id: 'qwen',
        version: v,
        input: 'The robot liked',
        parameters: { max_tokens: 6, temperature: 0 },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.usage.output_tokens).to.be.greaterThan(0);
      outputs.push(res.body.output);
    }
    // Same weights, stored two ways: the same greedy text.
    expect(outputs[1]).to.equal(outputs[0]);
  });

  it('reports a dtype the export lacks as ArtifactInvalid, naming the file expected and the files present', async () => {
    const state = await settled('quantized', 'v2');
    expect(state).to.include({ ready: false, reason: 'ArtifactInvalid' });
    expect(state.message).to.include('dtype q4f16 needs onnx/model_q4f16.onnx');
    expect(state.message).to.include('the ONNX files present are onnx/model_quantized.onnx');
  });

  it('reports an artifact directory that does not exist as ArtifactUnavailable', async () => {
    const state = await settled('missing', 'v1');
    expect(state).to.include({ ready: false, reason: 'ArtifactUnavailable' });
    expect(state.message).to.include(`artifact directory ${dirs.missing} does not exist`);
  });
});
