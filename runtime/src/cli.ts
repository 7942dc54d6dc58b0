/**
 * Command-line handling shared by the three entry points (router, operator, runtime): `--help` prints what the
 * process is and every environment variable it reads, `--version` the package version, anything else is refused.
 *
 * The variables are configured through the environment only; the usage text is built from the zod schema that
 * parses them, so a default shown here is the default applied, and a variable added to a schema without a line
 * here fails to compile (the tables are typed by the schema's keys).
 * @module
 */
import type { z } from 'zod';
import { serverVersion } from './server/package-info.js';

/** One variable's line in the usage text. */
export interface VariableHelp {
  readonly text: string;
  /**
   * How the default is written in the environment, where the schema turns it into something else (seconds
   * into milliseconds): the usage test parses it back and checks it gives the schema's default.
   */
  readonly show?: (parsedDefault: unknown) => string;
}

/** What an entry point's usage says, its variables keyed (and so checked at compile time) by the schema's. */
export interface Usage<Shape extends z.ZodRawShape> {
  /** The command line, e.g. `node dist/api/src/main.js`. */
  readonly command: string;
  /** What the process is, a few lines. */
  readonly about: string;
  readonly shape: Shape;
  readonly variables: { readonly [K in keyof Shape]: VariableHelp };
  /** Closing lines (exit codes, where the docs are). */
  readonly notes?: string;
}

/** What the arguments ask for. */
export type CliAction =
  | { kind: 'run' }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'bad'; arg: string };

/** Reads the arguments after the script; every setting is an environment variable, so any other is refused. */
export function readArgs(args: readonly string[]): CliAction {
  let action: CliAction = { kind: 'run' };
  for (const arg of args) {
    if (arg === '--help' || arg === '-h') action = { kind: 'help' };
    else if (arg === '--version') {
      if (action.kind === 'run') action = { kind: 'version' };
    } else return { kind: 'bad', arg };
  }
  return action;
}

/**
 * The default the schema applies to an unset variable, in the form it is written in the environment;
 * undefined when there is none (optional or required).
 */
export function shownDefault(schema: z.ZodType, help: VariableHelp): string | undefined {
  const parsed = schema.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return undefined;
  return help.show ? help.show(parsed.data) : String(parsed.data);
}

/** Whether the schema refuses an unset variable. */
export function isRequired(schema: z.ZodType): boolean {
  return !schema.safeParse(undefined).success;
}

/** The usage text: what the process is, then one line per variable with its default. */
export function renderUsage<Shape extends z.ZodRawShape>(usage: Usage<Shape>): string {
  const lines = [`Usage: ${usage.command} [--help] [--version]`, '', usage.about.trim(), ''];
  lines.push('Configured by these environment variables only:');
  const names = Object.keys(usage.shape);
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const help = usage.variables[name as keyof Shape];
    const schema = usage.shape[name] as unknown as z.ZodType;
    const fallback = shownDefault(schema, help);
    const suffix = isRequired(schema)
      ? ' (required)'
      : fallback === undefined
        ? ''
        : ` (default: ${fallback})`;
    lines.push(`  ${name.padEnd(width)}  ${help.text}${suffix}`);
  }
  if (usage.notes) lines.push('', usage.notes.trim());
  return `${lines.join('\n')}\n`;
}

/**
 * Acts on `--help`, `--version` or a bad argument and exits (0, 0, 2); returns only when the process should
 * start. `name` begins the version line and the error message.
 */
export function handleArgs<Shape extends z.ZodRawShape>(
  name: string,
  usage: () => Usage<Shape>,
  args: readonly string[] = process.argv.slice(2),
): void {
  const action = readArgs(args);
  if (action.kind === 'run') return;
  if (action.kind === 'help') process.stdout.write(renderUsage(usage()));
  else if (action.kind === 'version') process.stdout.write(`${name} ${serverVersion()}\n`);
  else {
    process.stderr.write(
      `${name}: unknown argument '${action.arg}'; settings are environment variables, see --help\n`,
    );
    process.exit(2);
  }
  process.exit(0);
}
