/**
 * What a request cost, from the serving model's pricing. Pure.
 * @module
 */
import type { Pricing } from '../../../crds/src/index.js';

export function requestCost(
  pricing: Pricing | undefined,
  inputTokens: number,
  outputTokens: number,
): { amount: number; currency: string } | undefined {
  if (!pricing) return undefined;
  const amount =
    (inputTokens / 1000) * pricing.inputPer1kTokens + (outputTokens / 1000) * pricing.outputPer1kTokens;
  // Twelve decimals keeps sub-micro prices exact enough without float noise like 0.30000000000000004.
  return { amount: Number(amount.toFixed(12)), currency: pricing.currency };
}
