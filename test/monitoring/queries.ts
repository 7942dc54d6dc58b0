/**
 * Every PromQL expression the chart ships, read from the shipped files: the panel queries and variable
 * queries of the Grafana dashboards (charts/paissive/files/dashboards) and the alert expressions of
 * charts/paissive/files/alerts/rules.yaml, with Grafana's variables substituted as "All" would.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Prometheus } from './prometheus.js';
import { ROOT, RULES_FILE } from './prometheus.js';
import { metricNames, substituteVariables } from './promql.js';

export const DASHBOARDS_DIR = join(ROOT, 'charts/paissive/files/dashboards');

export interface Expression {
  /** Where it comes from: `router.json: Open circuits` or `alert PaissiveRouterCircuitOpen`. */
  readonly where: string;
  /** Ready to run: variables substituted. */
  readonly expr: string;
}

export function dashboardFiles(): string[] {
  return readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json'));
}

export function readDashboard(file: string): any {
  return JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8'));
}

/** Panel queries, and each `label_values(selector, label)` variable as `group by (label) (selector)`. */
export function dashboardExpressions(file: string): Expression[] {
  const d = readDashboard(file);
  const out: Expression[] = [];
  for (const p of d.panels as { title: string; targets?: { expr: string }[] }[])
    for (const t of p.targets ?? [])
      out.push({ where: `${file}: ${p.title}`, expr: substituteVariables(t.expr) });
  for (const v of d.templating.list as { name: string; type: string; definition?: string }[]) {
    if (v.type !== 'query') continue;
    const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(v.definition ?? '');
    if (!m) throw new Error(`${file}: variable ${v.name} is not label_values(selector, label)`);
    out.push({
      where: `${file}: variable ${v.name}`,
      expr: substituteVariables(`group by (${m[2]}) (${m[1]})`),
    });
  }
  return out;
}

export interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly group: string;
}

export function alertRules(): Rule[] {
  const file = parse(readFileSync(RULES_FILE, 'utf8')) as {
    groups: { name: string; rules: { alert: string; expr: string }[] }[];
  };
  return file.groups.flatMap((g) =>
    g.rules.map((r) => ({ alert: r.alert, expr: r.expr.trim(), group: g.name })),
  );
}

export const alertExpressions = (group?: string): Expression[] =>
  alertRules()
    .filter((r) => !group || r.group === group)
    .map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }));

/** `where: name` for each metric name an expression reads that Prometheus does not hold. */
export function missingNames(expressions: readonly Expression[], names: ReadonlySet<string>): string[] {
  return expressions.flatMap((e) =>
    metricNames(e.expr)
      .filter((n) => !names.has(n))
      .map((n) => `${e.where}: ${n}`),
  );
}

/** `where: error` for each expression Prometheus refuses to evaluate. */
export async function failedQueries(
  prometheus: Prometheus,
  expressions: readonly Expression[],
): Promise<string[]> {
  const failures: string[] = [];
  for (const e of expressions) {
    await prometheus.query(e.expr).catch((err: Error) => failures.push(`${e.where}: ${err.message}`));
  }
  return failures;
}
