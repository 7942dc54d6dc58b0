/**
 * AIModel: a logical model (provider, capabilities, parameters, pricing, fallbacks). Its deployable
 * versions are ModelVersion resources that name it in `spec.model`.
 * @module
 */
import { z } from 'zod';
import { guardrails } from './guardrails.js';
import { API_VERSION, conditions, dnsLabel, objectMeta, observedGeneration, withInvariants } from './meta.js';
import { traffic, trafficStickiness } from './traffic.js';

export const AIMODEL_KIND = 'AIModel';
export const AIMODEL_PLURAL = 'aimodels';

export const provider = z
  .enum(['onnx', 'openai'])
  .describe(
    "onnx: served by this project's runtime; openai: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, TGI)",
  );
export type Provider = z.infer<typeof provider>;

export const capability = z.enum(['text-generation', 'chat', 'text-classification', 'embedding']);
export type Capability = z.infer<typeof capability>;

export const pricing = z.object({
  inputPer1kTokens: z.number().min(0).describe('Price of 1,000 input (prompt) tokens'),
  outputPer1kTokens: z.number().min(0).describe('Price of 1,000 output (completion) tokens'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code such as USD')
    .default('USD')
    .describe('ISO 4217 code of both prices'),
});
export type Pricing = z.infer<typeof pricing>;

export const secretKeyRef = z.object({
  name: dnsLabel('apiKeySecretRef.name').describe('Secret in the AIModel namespace'),
  key: z.string().min(1).max(253).describe('Key of the API key in that Secret'),
});

export const endpoint = z.object({
  baseURL: z
    .string()
    .max(2048)
    .regex(/^https?:\/\/\S+$/, 'baseURL must be an http(s) URL such as https://api.openai.com/v1')
    .describe('Base URL of the OpenAI-compatible API, up to /v1'),
  model: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe('Model name the upstream expects; defaults to metadata.name'),
  apiKeySecretRef: secretKeyRef.optional().describe('Secret holding the API key (in a cluster)'),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'apiKeyEnv must be an environment variable name')
    .optional()
    .describe('Environment variable holding the API key (local mode)'),
});
export type Endpoint = z.infer<typeof endpoint>;

export const modelParameters = z
  .object({
    maxTokens: z.number().int().min(1).optional().describe('Most output tokens a request may ask for'),
    contextWindow: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Most prompt + output tokens the model handles'),
    supportedLanguages: z
      .array(z.string().min(2).max(16))
      .max(64)
      .optional()
      .describe('Language codes the model handles (e.g. en, de)'),
  })
  .catchall(z.unknown())
  .meta({ 'x-kubernetes-preserve-unknown-fields': true })
  .describe('Limits and facts about the model; other keys are kept as they are');

const specObject = z.object({
  displayName: z.string().min(1).max(128).optional().describe('Name shown to people (API, dashboard)'),
  description: z.string().max(2048).optional().describe('What the model is for'),
  provider,
  capabilities: z
    .array(capability)
    .min(1)
    .max(8)
    .meta({ 'x-kubernetes-list-type': 'set' })
    .describe('What requests it serves: text-generation, chat, text-classification, embedding'),
  parameters: modelParameters.optional(),
  fallbacks: z
    .array(dnsLabel('fallbacks[]'))
    .max(8)
    .meta({ 'x-kubernetes-list-type': 'set' })
    .optional()
    .describe('AIModel names to try, in order, when this model cannot serve a request'),
  pricing: pricing.optional().describe('Cost per 1,000 tokens, for metering and budgets'),
  endpoint: endpoint.optional().describe('Required for provider openai'),
  cache: z
    .object({
      ttlSeconds: z
        .number()
        .int()
        .min(0)
        .max(30 * 86_400)
        .optional()
        .describe(
          "How long the router keeps answers of deterministic requests; 0 turns caching off; absent: the router's default",
        ),
      scope: z
        .enum(['caller', 'shared'])
        .default('caller')
        .describe(
          "caller: each API key's answers are cached apart (one caller never gets, or learns of, another's prompt); shared: one cache for every caller, for public, non-personal prompts only",
        ),
    })
    .optional()
    .describe("Response caching of this model's answers (the router's default TTL when absent)"),
  guardrails: guardrails.optional(),
  traffic: traffic.optional(),
  trafficStickiness: trafficStickiness.optional(),
});

export const aiModelSpec = withInvariants(specObject, [
  {
    rule: "self.provider != 'openai' || has(self.endpoint)",
    message: 'provider openai needs spec.endpoint (baseURL and an API key source)',
    check: (s) => s.provider !== 'openai' || s.endpoint !== undefined,
  },
  {
    rule: "self.provider == 'openai' || !has(self.endpoint)",
    message: 'spec.endpoint is only for provider openai; onnx models are served by their ModelVersions',
    check: (s) => s.provider === 'openai' || s.endpoint === undefined,
  },
  {
    rule: '!has(self.trafficStickiness) || has(self.traffic)',
    message: 'spec.trafficStickiness needs spec.traffic: there is no split to stick to',
    check: (s) => s.trafficStickiness === undefined || s.traffic !== undefined,
  },
  {
    rule: "!has(self.trafficStickiness) || (self.trafficStickiness.by == 'header') == has(self.trafficStickiness.header)",
    message: 'spec.trafficStickiness.header is required with by: header and only allowed with it',
    fieldPath: '.trafficStickiness.header',
    check: (s) =>
      s.trafficStickiness === undefined ||
      (s.trafficStickiness.by === 'header') === (s.trafficStickiness.header !== undefined),
  },
]);
export type AIModelSpec = z.infer<typeof aiModelSpec>;

export const aiModelStatus = z.strictObject({
  observedGeneration,
  conditions: conditions.optional(),
  defaultVersion: z.string().optional().describe('The version requests get when they name none'),
  versions: z.number().int().min(0).optional().describe('ModelVersions of this model'),
  readyVersions: z.number().int().min(0).optional().describe('ModelVersions that are Ready'),
  ready: z.string().optional().describe('Ready versions out of all versions, e.g. 2/3'),
  endpoint: z.string().optional().describe('Where the router reaches the default version'),
  traffic: z
    .string()
    .optional()
    .describe(
      'The split requests follow, e.g. v2=90,v3=10: spec.traffic over the versions that can serve; none ready when none can; absent without spec.traffic',
    ),
});
export type AIModelStatus = z.infer<typeof aiModelStatus>;

const resourceObject = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(AIMODEL_KIND),
  metadata: objectMeta,
  spec: aiModelSpec.describe('What the model is and how requests reach it'),
  status: aiModelStatus.optional().describe('Written by the operator: the versions rolled up'),
});

export const aiModel = withInvariants(resourceObject, [
  {
    rule: '!has(self.spec.fallbacks) || !(self.metadata.name in self.spec.fallbacks)',
    message: 'a model cannot be its own fallback',
    fieldPath: '.spec.fallbacks',
    check: (m) => !(m.spec.fallbacks ?? []).includes(m.metadata.name),
  },
  {
    rule: '!has(self.spec.guardrails) || !has(self.spec.guardrails.input) || !has(self.spec.guardrails.input.guardModel) || self.spec.guardrails.input.guardModel.model != self.metadata.name',
    message: 'a model cannot be its own guard model',
    fieldPath: '.spec.guardrails.input.guardModel.model',
    check: (m) => m.spec.guardrails?.input?.guardModel?.model !== m.metadata.name,
  },
]);
export type AIModel = z.infer<typeof aiModel>;
