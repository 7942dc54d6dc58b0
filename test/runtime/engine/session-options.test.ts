import { expect } from 'chai';
import type { EngineConfig } from '../../../runtime/src/config.js';
import { sessionOptions } from '../../../runtime/src/engine/session.js';

const noSpinning = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };

describe('sessionOptions', () => {
  const table: { given: string; engine: EngineConfig; provider: 'cpu' | 'cuda'; options: object }[] = [
    {
      given: 'the defaults on the CPU',
      engine: { executionProvider: 'auto', cudaDeviceId: 0 },
      provider: 'cpu',
      options: { executionProviders: ['cpu'], graphOptimizationLevel: 'all', extra: noSpinning },
    },
    {
      given: 'thread counts and spinning asked for',
      engine: {
        executionProvider: 'cpu',
        cudaDeviceId: 0,
        intraOpThreads: 2,
        interOpThreads: 1,
        spinning: true,
      },
      provider: 'cpu',
      options: {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: 2,
        interOpNumThreads: 1,
      },
    },
    {
      given: 'CUDA on device 1',
      engine: { executionProvider: 'cuda', cudaDeviceId: 1, spinning: false },
      provider: 'cuda',
      options: {
        executionProviders: [{ name: 'cuda', deviceId: 1 }],
        graphOptimizationLevel: 'all',
        extra: noSpinning,
      },
    },
  ];
  for (const { given, engine, provider, options } of table) {
    it(`given ${given}, opens sessions with ${JSON.stringify(options)}`, () => {
      expect(sessionOptions(engine, provider)).to.deep.equal(options);
    });
  }
});
