/**
 * A model with a traffic split for the dashboard's tests and screenshot: the sentiment example as `canary`
 * with two versions of the same artifact and spec.traffic 80/20. Local mode reloads its folder, so writing
 * the file into a running router's MODELS_DIR adds the model.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function writeCanary(modelsDir: string): Promise<void> {
  const [model, version] = (await readFile(join(modelsDir, 'sentiment.yaml'), 'utf8')).split(/^---$/m) as [
    string,
    string,
  ];
  const canaryVersion = (v: string) =>
    version
      .replace('name: sentiment-v1', `name: canary-${v}`)
      .replace('model: sentiment', 'model: canary')
      .replace('version: v1', `version: ${v}`)
      .replace('default: true', `default: ${v === 'v1'}`);
  const canary = model
    .replace('name: sentiment', 'name: canary')
    .replace(/^spec:$/m, 'spec:\n  traffic: [{version: v1, weight: 80}, {version: v2, weight: 20}]');
  await writeFile(
    join(modelsDir, 'canary.yaml'),
    [canary, canaryVersion('v1'), canaryVersion('v2')].join('---'),
  );
}
