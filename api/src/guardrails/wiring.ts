/**
 * The router's guardrails as the inference service takes them: the input gate and the output guard, both
 * reporting each intervention to the metrics and the log (with the request id, model, rule, direction and
 * action; never the text).
 * @module
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/registry.js';
import { InputGuardrails, type RunClassification } from './input-gate.js';
import { OutputGuardrails, type Report } from './output-guard.js';

export interface RouterGuardrails {
  readonly input: InputGuardrails;
  readonly output: OutputGuardrails;
}

export function routerGuardrails(
  metrics: Metrics,
  logger: Logger,
  run: () => RunClassification,
): RouterGuardrails {
  const log = logger.child({ component: 'guardrails' });
  const report: Report = (i) => {
    metrics.guardrailInterventions.inc({
      model: i.model,
      rule: i.rule,
      direction: i.direction,
      action: i.action,
    });
    log.info(i, 'guardrail intervention');
  };
  return { input: new InputGuardrails({ report, logger: log, run }), output: new OutputGuardrails(report) };
}
