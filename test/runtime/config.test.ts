import { expect } from 'chai';
import { loadConfig } from '../../runtime/src/config.js';
import { ConfigError } from '../../runtime/src/errors.js';

const base = {
  MODEL_NAME: 'story-writer',
  MODEL_VERSION: 'v1',
  MODEL_ARTIFACT_URI: 'file:///models/story-writer-v1',
};

describe('runtime config', () => {
  it('given only the required variables, fills in the documented defaults', () => {
    expect(loadConfig(base)).to.deep.equal({
      modelName: 'story-writer',
      modelVersion: 'v1',
      artifactUri: 'file:///models/story-writer-v1',
      configuration: {},
      grpcHost: '0.0.0.0',
      grpcPort: 8001,
      logLevel: 'info',
      terminationMessagePath: '/dev/termination-log',
    });
  });

  const valid: [string, Record<string, string>, Record<string, unknown>][] = [
    ['GRPC_PORT=0', { GRPC_PORT: '0' }, { grpcPort: 0 }],
    ['an empty GRPC_PORT', { GRPC_PORT: '' }, { grpcPort: 8001 }],
    [
      'an upper-case sha256 with prefix',
      { MODEL_ARTIFACT_SHA256: `sha256:${'AB'.repeat(32)}` },
      { artifactSha256: 'ab'.repeat(32) },
    ],
    [
      'a configuration with known and unknown keys',
      { MODEL_CONFIGURATION: '{"task":"embed","defaultMaxTokens":8,"intraOpNumThreads":1,"note":{"x":1}}' },
      { configuration: { task: 'embed', defaultMaxTokens: 8, intraOpNumThreads: 1, note: { x: 1 } } },
    ],
    ['LOG_LEVEL=silent', { LOG_LEVEL: 'silent' }, { logLevel: 'silent' }],
  ];
  for (const [given, env, expected] of valid) {
    it(`given ${given}, returns ${JSON.stringify(expected)}`, () => {
      expect(loadConfig({ ...base, ...env })).to.deep.include(expected);
    });
  }

  const invalid: [string, Record<string, string | undefined>, string][] = [
    ['no MODEL_NAME', { MODEL_NAME: undefined }, 'MODEL_NAME: is required'],
    ['an empty MODEL_VERSION', { MODEL_VERSION: '' }, 'MODEL_VERSION: must be a non-empty string'],
    ['GRPC_PORT=70000', { GRPC_PORT: '70000' }, 'GRPC_PORT: must be an integer from 0 to 65535'],
    ['GRPC_PORT=http', { GRPC_PORT: 'http' }, 'GRPC_PORT: must be an integer from 0 to 65535'],
    [
      'LOG_LEVEL=loud',
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
    ],
    ['a short sha256', { MODEL_ARTIFACT_SHA256: 'abc' }, 'MODEL_ARTIFACT_SHA256: must be 64 hex digits'],
    [
      'a configuration that is not JSON',
      { MODEL_CONFIGURATION: '{task' },
      'MODEL_CONFIGURATION: must be a JSON object',
    ],
    [
      'a configuration that is an array',
      { MODEL_CONFIGURATION: '[]' },
      'MODEL_CONFIGURATION: must be a JSON object',
    ],
    [
      'an unknown task',
      { MODEL_CONFIGURATION: '{"task":"draw"}' },
      'MODEL_CONFIGURATION.task: must be one of generate, classify, embed',
    ],
    [
      'defaultMaxTokens 0',
      { MODEL_CONFIGURATION: '{"defaultMaxTokens":0}' },
      'MODEL_CONFIGURATION.defaultMaxTokens: must be a positive integer',
    ],
  ];
  for (const [given, env, message] of invalid) {
    it(`given ${given}, throws ConfigError naming it`, () => {
      expect(() => loadConfig({ ...base, ...env }))
        .to.throw(ConfigError)
        .with.property('message')
        .that.includes(message);
    });
  }

  it('lists every bad variable at once', () => {
    try {
      loadConfig({ GRPC_PORT: '-1' });
      expect.fail('should throw');
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.split(':')[0])).to.have.members([
        'MODEL_NAME',
        'MODEL_VERSION',
        'MODEL_ARTIFACT_URI',
        'GRPC_PORT',
      ]);
    }
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ ...base, MODEL_CONFIGURATION: '{"task":"generate","extra":{"a":1}}' });
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.configuration)).to.equal(true);
    expect(Object.isFrozen(config.configuration.extra)).to.equal(true);
  });
});
