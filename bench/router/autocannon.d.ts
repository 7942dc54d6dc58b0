/**
 * The slice of autocannon 9's programmatic API the router bench uses. The package ships no types and
 * @types/autocannon is not installed (package.json is not this folder's to change).
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface AutocannonRequest {
    method?: string;
    path?: string;
    body?: string;
    headers?: Record<string, string>;
    /** Called with the response headers as an object (lower-case names) once the body is complete. */
    onResponse?: (status: number, body: string, context: object, headers: Record<string, string>) => void;
  }

  /** One connection; emits 'response' (status, bytes, ms as a float from hrtime, rate) per response. */
  export type AutocannonClient = EventEmitter;

  export interface AutocannonOptions {
    url: string;
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    connections?: number;
    duration?: number;
    pipelining?: number;
    timeout?: number;
    requests?: AutocannonRequest[];
    setupClient?: (client: AutocannonClient) => void;
  }

  export interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    requests: { average: number; total: number };
    latency: { p50: number; p99: number; average: number; max: number };
  }

  /** An EventEmitter with then/catch bound to the run's result (no callback passed). */
  export interface AutocannonInstance extends PromiseLike<AutocannonResult> {
    stop(): void;
  }

  export default function autocannon(options: AutocannonOptions): AutocannonInstance;
}
