import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

/**
 * The rooms' dependency rules, read from the import specifiers themselves: the router reaches Kubernetes
 * through kube/, never through the operator, and kube/ stays generic.
 */
const root = path.resolve(import.meta.dirname, '../..');
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

/** Every relative import of `file`, as a repository path (`kube/src/client.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(SPECIFIER)]
    .map((m) => m[1] ?? m[2] ?? '')
    .filter((s) => s.startsWith('.'))
    .map((s) => path.relative(root, path.resolve(root, path.dirname(file), s)).replace(/\.js$/, '.ts'));
}

function violations(dir: string, forbidden: (target: string) => boolean): string[] {
  return sources(dir).flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((t) => `${file} -> ${t}`),
  );
}

describe('kube: room boundaries', () => {
  it('reads the import graph (the check below is not vacuous)', () => {
    expect(importsOf('api/src/cluster-mode.ts')).to.include.members([
      'kube/src/api.ts',
      'kube/src/client.ts',
    ]);
    expect(importsOf('api/src/local-mode.ts')).to.include('operator/src/local/local-operator.ts');
  });

  it('api/src imports nothing from operator/ but its local target (local mode embeds it)', () => {
    expect(
      violations('api/src', (t) => t.startsWith('operator/') && !t.startsWith('operator/src/local/')),
    ).to.deep.equal([]);
  });

  it('kube/src imports nothing from the parts that use it', () => {
    expect(violations('kube/src', (t) => /^(api|operator|runtime)\//.test(t))).to.deep.equal([]);
  });

  it('crds/src, the contract, imports no other room', () => {
    expect(violations('crds/src', (t) => !t.startsWith('crds/'))).to.deep.equal([]);
  });
});
