/** One bad request and the answer it must get: the one error shape with this 4xx status and code. */
export interface Case {
  what: string;
  method: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** Text the error (message or details) must contain. */
  message?: string;
}

export const json = (value: unknown): string => JSON.stringify(value);
export const big = 'x'.repeat(200_000);
