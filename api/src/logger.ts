/**
 * The router's structured JSON logger (pino). Request loggers are children carrying the request id.
 * @module
 */
import { type Logger, pino } from 'pino';

export function createLogger(level: string, name = 'router'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['req.headers.authorization', 'apiKey', '*.apiKey'], censor: '[redacted]' },
  });
}
