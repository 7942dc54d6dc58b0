/**
 * Structured JSON logs (pino) carrying the served model and version on every line.
 * @module
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import type { RuntimeConfig } from './config.js';

/** The runtime's root logger; tests pass `destination` (or level `silent`) to keep output out of the run. */
export function createLogger(
  config: Pick<RuntimeConfig, 'logLevel' | 'modelName' | 'modelVersion'>,
  destination?: DestinationStream,
): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'runtime', pid: process.pid, model: config.modelName, version: config.modelVersion },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Same line shape as the router's logs, so one query reads both.
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
