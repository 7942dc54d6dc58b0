/**
 * The image test's machinery: the scripts that build the image (hack/image), and podman running it the same
 * way on a developer's machine and in a sandboxed container (docs/image.md "Proof on this machine").
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = resolve(import.meta.dirname, '../..');
const exec = promisify(execFile);

/** Runs a command; the error names its stderr, which is where builders and podman say what went wrong. */
export async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  try {
    const { stdout } = await exec(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.slice(0, 3).join(' ')} failed: ${(stderr || message).slice(-4000)}`);
  }
}

export async function onPath(command: string): Promise<boolean> {
  try {
    await exec('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * How podman runs containers here. runc where installed: crun 1.8 (Debian 12) refuses hosts whose cgroup v2
 * hierarchy sits beside v1 controllers ("cgroups in hybrid mode not supported"). Limits no higher than this
 * process's own: podman's default open-files and process limits exceed what an unprivileged container may set.
 * The host network: containers reach each other and the test on loopback, as containers of one pod do.
 */
export interface Podman {
  /** Flags before the subcommand (`podman --runtime runc run ...`). */
  readonly global: string[];
  /** Flags of `podman run`. */
  readonly run: string[];
}

export async function podman(): Promise<Podman> {
  const files = await run('sh', ['-c', 'ulimit -Hn']);
  return {
    global: (await onPath('runc')) ? ['--runtime', 'runc'] : [],
    run: ['--network', 'host', '--ulimit', `nofile=${files}:${files}`, '--ulimit', 'nproc=4096:4096'],
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

/** The uid and gid a process runs as, from the host's /proc (what the kernel enforces, not what it says). */
export function processIds(pid: number): { uid: number; gid: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return { uid: field('Uid'), gid: field('Gid') };
}

/** The child processes of `pid` (local mode's runtimes under the router). */
export function childPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text ? text.split(/\s+/).map(Number) : [];
}
