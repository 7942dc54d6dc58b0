/**
 * What a run of the router bench records about itself: the machine, the Node version and which router
 * it measured (commit, uncommitted files, a hash of the sources), so two result files can be compared.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

const git = (root: string, ...args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

/**
 * The router is measured as it is in the working tree, often with uncommitted work on top of HEAD: a
 * hash of its sources (tracked and untracked) tells two runs of the same code apart from two commits.
 */
function sourceHash(root: string): string {
  const files = git(
    root,
    'ls-files',
    '-co',
    '--exclude-standard',
    '--',
    'api/src',
    'crds/src',
    'operator/src/local',
  );
  const hash = createHash('sha256');
  for (const file of files.split('\n').filter(Boolean).sort()) {
    hash.update(file);
    if (existsSync(join(root, file))) hash.update(readFileSync(join(root, file)));
  }
  return hash.digest('hex').slice(0, 12);
}

export function runMeta(routerRoot: string, compiled: boolean) {
  return {
    routerRuns: compiled ? 'compiled (node dist/api/src/main.js)' : 'from source (node --import tsx)',
    date: new Date().toISOString(),
    commit: git(routerRoot, 'rev-parse', '--short', 'HEAD') || '(not a git checkout)',
    uncommittedFiles: git(routerRoot, 'status', '--porcelain').split('\n').filter(Boolean).length,
    routerSourceHash: sourceHash(routerRoot),
    routerRoot,
    node: process.version,
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadavgAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}
