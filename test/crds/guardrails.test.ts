import { expect } from 'chai';
import { aiModelCrd } from '../../crds/src/crd.js';
import { patternProblem } from '../../crds/src/guardrails.js';
import { parseManifests } from '../../crds/src/manifests.js';

const model = (guardrails: string, name = 'm') =>
  `apiVersion: ai.paissive.io/v1alpha1\nkind: AIModel\nmetadata: {name: ${name}}\nspec: {provider: onnx, capabilities: [chat], guardrails: ${guardrails}}\n`;

describe('crds: AIModel spec.guardrails', () => {
  const rejected: [string, string, string][] = [
    [
      'a pattern that does not compile',
      '{input: {denyPatterns: [{pattern: "(unclosed"}]}}',
      'does not compile',
    ],
    [
      'a pattern with nested quantifiers',
      '{input: {denyPatterns: [{pattern: "(a+)+$"}]}}',
      'nests quantifiers',
    ],
    ['a pattern matching the empty string', '{input: {denyPatterns: [{pattern: "x*"}]}}', 'empty string'],
    ['a pattern too long', `{input: {denyPatterns: [{pattern: "${'a'.repeat(513)}"}]}}`, 'pattern'],
    ['an unknown detector', '{output: {redact: {detectors: [passport]}}}', 'detectors'],
    ['a custom detector without a name', '{output: {block: {patterns: [{pattern: "x"}]}}}', 'name'],
    [
      'a rule name that is not a DNS label',
      '{input: {denyPatterns: [{name: Bad_Name, pattern: "x"}]}}',
      'name',
    ],
    ['a zero token cap', '{input: {maxInputTokens: 0}}', 'maxInputTokens'],
    [
      'a guard model without block labels',
      '{input: {guardModel: {model: g, blockLabels: []}}}',
      'blockLabels',
    ],
    ['a threshold above 1', '{input: {guardModel: {model: g, blockLabels: [x], threshold: 2}}}', 'threshold'],
    ['its own guard model', '{input: {guardModel: {model: m, blockLabels: [x]}}}', 'its own guard model'],
    ['a hold-back window too small', '{output: {holdBackChars: 4}}', 'holdBackChars'],
  ];
  for (const [what, guardrails, expected] of rejected) {
    it(`given ${what}, reports an error mentioning '${expected}'`, () => {
      const result = parseManifests(model(guardrails), 'test.yaml');
      expect(result.aiModels).to.have.length(0);
      expect(result.errors[0]?.message).to.include(expected);
    });
  }

  it('accepts a full policy and applies the defaults (threshold 0.5, onError block, hold back 128)', () => {
    const result = parseManifests(
      model(
        '{input: {denyPatterns: [{name: ignore-instructions, pattern: "(?i)ignore (all )?previous instructions"}], maxInputTokens: 4000, guardModel: {model: guard, blockLabels: [INJECTION]}}, output: {redact: {detectors: [creditCard, email]}, block: {detectors: [secret], patterns: [{name: project-x, pattern: "project x", caseInsensitive: true}]}}}',
      ),
      'x.yaml',
    );
    expect(result.errors).to.deep.equal([]);
    const g = result.aiModels[0]?.spec.guardrails;
    expect(g?.input?.guardModel).to.include({ threshold: 0.5, onError: 'block' });
    expect(g?.output?.holdBackChars).to.equal(128);
  });

  it('carries the own-guard-model rule as CEL and bounds every pattern, list and window in the CRD', () => {
    const text = JSON.stringify(aiModelCrd());
    expect(text).to.include('self.spec.guardrails.input.guardModel.model != self.metadata.name');
    const spec = (aiModelCrd() as any).spec.versions[0].schema.openAPIV3Schema.properties.spec.properties
      .guardrails;
    const input = spec.properties.input.properties;
    expect(input.denyPatterns.maxItems).to.equal(64);
    expect(input.denyPatterns.items.properties.pattern.maxLength).to.equal(512);
    expect(spec.properties.output.properties.redact.properties.patterns.maxItems).to.equal(32);
    expect(spec.properties.output.properties.holdBackChars).to.include({
      minimum: 32,
      maximum: 4096,
      default: 128,
    });
  });

  const patterns: [string, boolean, string | undefined][] = [
    ['(?i)ignore previous', false, undefined],
    ['a{2,}b', false, undefined],
    ['(ab|cd)+x', false, undefined],
    ['(a*)*b', false, 'nests quantifiers'],
    ['(x+){2,}', false, 'nests quantifiers'],
    // Before: only a group's last token was checked, and these took over a second on 27 characters.
    ['(a+|b)+$', false, 'nests quantifiers'],
    ['(\\w+\\s?)+$', false, 'nests quantifiers'],
    ['((a+))+$', false, 'nests quantifiers'],
    ['(?<w>\\d+-?)*x', false, 'nests quantifiers'],
    ['(?<=x)(?:a+b){3}', false, 'nests quantifiers'],
    ['(?i)\\b(ignore|disregard)\\s+(all\\s+|any\\s+)?previous', false, undefined],
    ['(?<=id:)(ab){2}[+*]\\{1,\\}', false, undefined],
    ['[(a+)]+', false, undefined],
    ['[', false, 'does not compile'],
  ];
  for (const [pattern, ci, problem] of patterns)
    it(`patternProblem(${JSON.stringify(pattern)}) is ${problem ?? 'none'}`, () => {
      const found = patternProblem(pattern, ci);
      if (problem === undefined) expect(found).to.equal(undefined);
      else expect(found).to.include(problem);
    });
});
