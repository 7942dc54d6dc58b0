/**
 * Stop sequences: where the generated text must be cut.
 * @module
 */

/**
 * The earliest position in `text` where any stop string starts, and which one; undefined when none occurs.
 * Empty stop strings are ignored (they would match everywhere).
 */
export function findStop(
  text: string,
  stops: readonly string[],
): { index: number; stop: string } | undefined {
  let found: { index: number; stop: string } | undefined;
  for (const stop of stops) {
    if (stop === '') continue;
    const index = text.indexOf(stop);
    if (index >= 0 && (found === undefined || index < found.index)) found = { index, stop };
  }
  return found;
}
