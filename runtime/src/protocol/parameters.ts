/**
 * `InferParameter` codec: builds the oneof from JS values and reads it back with the type a field expects.
 *
 * Readers are strict about kinds, with one widening: an integer parameter is accepted where a double is
 * expected (`temperature: 1` sent as int64 is unambiguous). int64 values are read as bigint, because the wire
 * carries them as decimal strings that may not fit a double.
 * @module
 */
import { InvalidParameterError } from '../errors.js';
import type { InferParameter, InferParameters, ParameterChoice } from './types.js';

/** A decoded parameter: which oneof member was set, and its value. */
export type ParameterValue =
  | { kind: 'bool'; value: boolean }
  | { kind: 'int64'; value: bigint }
  | { kind: 'uint64'; value: bigint }
  | { kind: 'double'; value: number }
  | { kind: 'string'; value: string };

const CHOICES: readonly ParameterChoice[] = [
  'bool_param',
  'int64_param',
  'string_param',
  'double_param',
  'uint64_param',
];

/** Builders for each oneof member. */
export const param = {
  bool: (value: boolean): InferParameter => ({ bool_param: value }),
  int64: (value: number | bigint): InferParameter => ({ int64_param: BigInt(value).toString() }),
  double: (value: number): InferParameter => ({ double_param: value }),
  string: (value: string): InferParameter => ({ string_param: value }),
};

/** Decodes one parameter; undefined when no member is set (an empty oneof). */
export function readParameter(parameter: InferParameter): ParameterValue | undefined {
  const choice = parameter.parameter_choice ?? CHOICES.find((c) => parameter[c] !== undefined);
  switch (choice) {
    case 'bool_param':
      return { kind: 'bool', value: Boolean(parameter.bool_param) };
    case 'int64_param':
      return { kind: 'int64', value: BigInt(parameter.int64_param ?? 0) };
    case 'uint64_param':
      return { kind: 'uint64', value: BigInt(parameter.uint64_param ?? 0) };
    case 'double_param':
      return { kind: 'double', value: Number(parameter.double_param ?? 0) };
    case 'string_param':
      return { kind: 'string', value: parameter.string_param ?? '' };
    default:
      return undefined;
  }
}

function describe(value: ParameterValue): string {
  return `${value.kind}_param ${value.kind === 'string' ? JSON.stringify(value.value) : String(value.value)}`;
}

function present(params: InferParameters | undefined, name: string): ParameterValue | undefined {
  const parameter = params?.[name];
  return parameter ? readParameter(parameter) : undefined;
}

/**
 * An integer parameter (int64_param or uint64_param) as bigint.
 * @throws {InvalidParameterError} for any other kind.
 */
export function readIntParameter(params: InferParameters | undefined, name: string): bigint | undefined {
  const value = present(params, name);
  if (value === undefined) return undefined;
  if (value.kind === 'int64' || value.kind === 'uint64') return value.value;
  throw new InvalidParameterError(name, `must be an integer (int64_param), got ${describe(value)}`);
}

/**
 * A number parameter (double_param, or an integer kind) as a finite double.
 * @throws {InvalidParameterError} for any other kind, or NaN/Infinity.
 */
export function readNumberParameter(params: InferParameters | undefined, name: string): number | undefined {
  const value = present(params, name);
  if (value === undefined) return undefined;
  if (value.kind === 'bool' || value.kind === 'string') {
    throw new InvalidParameterError(name, `must be a number (double_param), got ${describe(value)}`);
  }
  const number = Number(value.value);
  if (!Number.isFinite(number))
    throw new InvalidParameterError(name, `must be a finite number, got ${number}`);
  return number;
}

/** A bool_param. @throws {InvalidParameterError} for any other kind. */
export function readBoolParameter(params: InferParameters | undefined, name: string): boolean | undefined {
  const value = present(params, name);
  if (value === undefined) return undefined;
  if (value.kind === 'bool') return value.value;
  throw new InvalidParameterError(name, `must be a boolean (bool_param), got ${describe(value)}`);
}

/** A string_param. @throws {InvalidParameterError} for any other kind. */
export function readStringParameter(params: InferParameters | undefined, name: string): string | undefined {
  const value = present(params, name);
  if (value === undefined) return undefined;
  if (value.kind === 'string') return value.value;
  throw new InvalidParameterError(name, `must be a string (string_param), got ${describe(value)}`);
}
