/**
 * The checks every entry point's command line gets: its usage table against its config schema (pure), and the
 * process itself spawned with --help, --version and a bad argument.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { z } from 'zod';
import { isRequired, renderUsage, shownDefault, type Usage } from '../../../runtime/src/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node --import tsx <main> ...args` with an empty environment but PATH (nothing to start from). */
function run(main: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', main, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function describeCommandLine<Shape extends z.ZodRawShape>(
  name: string,
  main: string,
  usage: () => Usage<Shape>,
): void {
  describe(`${name}: usage text from its config schema`, () => {
    const u = usage();
    const text = renderUsage(u);

    it('has one line per variable, in the schema order, each with its description', () => {
      const names = [...text.matchAll(/^ {2}([A-Z][A-Z0-9_]+) {2,}/gm)].map((m) => m[1]);
      expect(names).to.deep.equal(Object.keys(u.shape));
      for (const [key, help] of Object.entries(u.variables)) expect(text).to.include(help.text, key);
    });

    it('shows each default as it is written in the environment: parsed back, it is the schema default', () => {
      let withDefault = 0;
      for (const [key, schema] of Object.entries(u.shape)) {
        const zod = schema as unknown as z.ZodType;
        const help = u.variables[key as keyof Shape];
        const shown = shownDefault(zod, help);
        if (shown === undefined) continue;
        withDefault++;
        expect(text, key).to.match(new RegExp(`^ {2}${key} .*\\(default: ${escapeRegExp(shown)}\\)$`, 'm'));
        expect(zod.parse(shown), key).to.deep.equal(zod.parse(undefined));
      }
      expect(withDefault).to.be.above(3);
    });

    it('marks the required variables', () => {
      for (const [key, schema] of Object.entries(u.shape)) {
        const line = new RegExp(`^ {2}${key} .*\\(required\\)$`, 'm');
        if (isRequired(schema as unknown as z.ZodType)) expect(text).to.match(line);
        else expect(text).not.to.match(line);
      }
    });
  });

  describe(`${name}: the process's command line`, () => {
    it('prints the usage for --help and -h and exits 0 without starting', async () => {
      const [help, short] = await Promise.all([run(main, ['--help']), run(main, ['-h'])]);
      expect(help).to.deep.equal({ code: 0, stdout: renderUsage(usage()), stderr: '' });
      expect(short.code).to.equal(0);
      expect(short.stdout).to.equal(help.stdout);
    });

    it('prints the package version for --version, and refuses an unknown argument with exit 2', async () => {
      const [version, bad] = await Promise.all([run(main, ['--version']), run(main, ['--port', '9000'])]);
      expect(version).to.deep.equal({ code: 0, stdout: `${name} ${VERSION}\n`, stderr: '' });
      expect(bad.code).to.equal(2);
      expect(bad.stdout).to.equal('');
      expect(bad.stderr).to.equal(
        `${name}: unknown argument '--port'; settings are environment variables, see --help\n`,
      );
    });
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
