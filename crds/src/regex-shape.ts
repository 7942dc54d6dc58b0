/**
 * The shape of a regular expression's source, read without running it: whether a repeated group holds a
 * quantifier, the construct whose backtracking can take exponential time. The API server cannot run this,
 * so the router checks every pattern when it loads a model.
 * @module
 */

type Token = { kind: 'open' } | { kind: 'close' } | { kind: 'quantifier'; repeats: boolean };

/** A quantifier at `at`: its length, and whether it repeats (more than once), or undefined. */
function quantifierAt(source: string, at: number): { length: number; repeats: boolean } | undefined {
  const ch = source[at];
  if (ch === '*' || ch === '+') return { length: 1, repeats: true };
  if (ch === '?') return { length: 1, repeats: false };
  const braces = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at, at + 24));
  if (!braces) return undefined;
  const max = braces[2] === undefined ? Number(braces[1]) : braces[3] === '' ? Infinity : Number(braces[3]);
  return { length: braces[0].length, repeats: max > 1 };
}

/** Where a group's own prefix ends: (?:, (?=, (?!, (?<=, (?<!, (?<name>; its ? quantifies nothing. */
function groupPrefixEnd(source: string, open: number): number {
  if (source[open + 1] !== '?') return open;
  if (source[open + 2] !== '<') return open + 2;
  if (source[open + 3] === '=' || source[open + 3] === '!') return open + 3;
  const close = source.indexOf('>', open);
  return close < 0 ? source.length : close;
}

/** Groups and quantifiers, in order; escapes and character classes are read past. */
export function regexTokens(source: string): Token[] {
  const tokens: Token[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') i++;
    else if (inClass) inClass = ch !== ']';
    else if (ch === '[') inClass = true;
    else if (ch === '(') {
      tokens.push({ kind: 'open' });
      i = groupPrefixEnd(source, i);
    } else if (ch === ')') tokens.push({ kind: 'close' });
    else {
      const q = quantifierAt(source, i);
      if (!q) continue;
      tokens.push({ kind: 'quantifier', repeats: q.repeats });
      i += q.length - 1;
    }
  }
  return tokens;
}

/**
 * Whether a repeated group holds a quantifier at any depth: `(a+)+`, `(a+|b)*`, `((a+))+`, `(\w+\s?){2,}`.
 * (Checking only a group's last token let `(a+|b)+$` and `(\w+\s?)+$` through: over a second on 27
 * characters.) Safe shapes such as `([a-z]+\.)*` are refused too: telling them apart needs more than syntax.
 */
export function nestsQuantifiers(source: string): boolean {
  const tokens = regexTokens(source);
  const holds: boolean[] = []; // per open group: whether it holds a quantifier
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    if (token.kind === 'open') {
      holds.push(false);
      continue;
    }
    let quantified = token.kind === 'quantifier';
    if (token.kind === 'close') {
      const inner = holds.pop() ?? false;
      const next = tokens[t + 1];
      if (inner && next?.kind === 'quantifier' && next.repeats) return true;
      quantified = inner;
    }
    if (quantified && holds.length > 0) holds[holds.length - 1] = true;
  }
  return false;
}
