/**
 * The alert rules the chart ships, checked by Prometheus's own tool: `promtool check rules` finds no problem
 * and `promtool test rules` runs the unit tests of every alert (charts/paissive/files/alerts/rules-test.yaml).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse } from 'yaml';
import { RULES_FILE } from './prometheus.js';
import { alertRules } from './queries.js';

const run = promisify(execFile);
const TESTS_FILE = join(dirname(RULES_FILE), 'rules-test.yaml');

async function promtool(args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: dirname(RULES_FILE) });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: string | number; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool is not installed: run `make monitoring-tools`');
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('charts/paissive/files/alerts: promtool', function () {
  this.timeout(60_000);

  it('promtool check rules: clean', async () => {
    const { ok, output } = await promtool(['check', 'rules', RULES_FILE]);
    expect(ok, output).to.equal(true);
    expect(output).to.include(`SUCCESS: ${alertRules().length} rules found`);
    expect(output).not.to.match(/WARNING/i);
  });

  it('promtool test rules: every alert fires on bad series and stays quiet on good ones', async () => {
    const { ok, output } = await promtool(['test', 'rules', TESTS_FILE]);
    expect(ok, output).to.equal(true);
    // Each alert has a test group of its own, with an expected alert and an expected silence.
    const tests = (parse(readFileSync(TESTS_FILE, 'utf8')) as { tests: any[] }).tests;
    for (const rule of alertRules()) {
      const cases = tests.flatMap((t) => t.alert_rule_test).filter((c) => c.alertname === rule.alert);
      expect(
        cases.some((c) => c.exp_alerts.length > 0),
        `${rule.alert} fires`,
      ).to.equal(true);
      expect(
        cases.some((c) => c.exp_alerts.length === 0) ||
          tests.some((t) => t.name === rule.alert && t.input_series.length > 1),
        `${rule.alert} stays quiet on a good series`,
      ).to.equal(true);
    }
  });

  it('every alert has a severity, a summary, a description and a runbook section in docs/monitoring.md', () => {
    const file = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: any[] }[] };
    const docs = readFileSync(join(dirname(RULES_FILE), '../../../../docs/monitoring.md'), 'utf8');
    for (const rule of file.groups.flatMap((g) => g.rules)) {
      expect(rule.labels.severity, rule.alert).to.be.oneOf(['critical', 'warning', 'info']);
      expect(rule.annotations.summary, rule.alert).to.be.a('string');
      expect(rule.annotations.description, rule.alert).to.match(/Runbook: docs\/monitoring\.md, (\w+)\.$/);
      const section = /Runbook: docs\/monitoring\.md, (\w+)\.$/.exec(rule.annotations.description)?.[1];
      expect(docs, `docs/monitoring.md section ${section}`).to.match(new RegExp(`^#### ${section}$`, 'm'));
    }
  });
});
