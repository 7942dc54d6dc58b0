/**
 * The metric names a PromQL expression reads, found without a full parser: strings, label matchers, ranges
 * and grouping clauses are blanked first, so what is left of the expression is metric names, function and
 * aggregation names (each followed by `(`), keywords and numbers. Good enough for the expressions of our
 * dashboards and alerts, which the monitoring test also runs through a real Prometheus.
 * @module
 */

/** Binary operators, modifiers and literals that look like identifiers. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'start',
  'end',
]);

/** `{__name__="x"}` and `{__name__=~"a|b"}` name their metrics in a matcher instead of before it. */
const NAME_MATCHER = /__name__\s*=~?\s*"([^"]*)"/g;

export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(NAME_MATCHER)) {
    for (const alt of (m[1] as string).split('|')) if (/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(alt)) names.add(alt);
  }
  const bare = expr
    .replace(/#[^\n]*/g, ' ') // comments
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals (label values, regexes)
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ') // grouping label lists
    .replace(/\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?/g, ' '); // dashboard variables outside strings ($__range)
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const at = (m.index as number) + word.length;
    const before = bare[(m.index as number) - 1] ?? '';
    if (/[0-9.]/.test(before)) continue; // the exponent or unit of a number: 1e3, 5m
    if (/^\s*\(/.test(bare.slice(at))) continue; // a function or an aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names].sort();
}

/**
 * Grafana's variables replaced by values Prometheus accepts: every `$var` of a label matcher matches all
 * (`.*`, as the dashboards' "All" does), intervals become durations.
 */
export function substituteVariables(expr: string, values: Record<string, string> = {}): string {
  const builtins: Record<string, string> = {
    __rate_interval: '1m',
    __interval: '30s',
    __range: '5m',
    __range_s: '300',
    ...values,
  };
  return expr.replace(
    /\$\{?([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?\}?/g,
    (_all, name: string) => builtins[name] ?? '.*',
  );
}
