/**
 * What a model recipe produces: the files of one Hugging Face style model directory, in memory, plus
 * the numbers the build prints. Writing them to disk is the build CLI's job.
 * @module
 */

export interface ArtifactSummary {
  readonly paramCount: number;
  readonly finalLoss: number;
  /** One line on what was trained, for the build log. */
  readonly detail: string;
}

export interface Artifact {
  readonly name: string;
  /** Relative path (forward slashes) -> bytes. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly summary: ArtifactSummary;
}

/** Pretty JSON with a trailing newline, encoded; key order is insertion order, so stable. */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

export function textBytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Collects files for an artifact; JSON objects are serialised on the way in. */
export class ArtifactFiles {
  readonly #files = new Map<string, Uint8Array>();

  json(path: string, value: unknown): this {
    this.#files.set(path, jsonBytes(value));
    return this;
  }

  bytes(path: string, data: Uint8Array): this {
    this.#files.set(path, data);
    return this;
  }

  text(path: string, text: string): this {
    this.#files.set(path, textBytes(text));
    return this;
  }

  /** Several JSON files at once (tokenizer file sets). */
  jsonAll(files: Record<string, unknown>): this {
    for (const [path, value] of Object.entries(files)) this.json(path, value);
    return this;
  }

  done(name: string, summary: ArtifactSummary): Artifact {
    return { name, files: new Map([...this.#files].sort(([a], [b]) => (a < b ? -1 : 1))), summary };
  }
}

/** Loss printed with enough digits to compare builds; tiny losses keep their magnitude. */
export function fmtLoss(loss: number): string {
  return loss !== 0 && Math.abs(loss) < 1e-3 ? loss.toExponential(2) : loss.toFixed(4);
}
