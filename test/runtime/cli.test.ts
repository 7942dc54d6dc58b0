import { expect } from 'chai';
import { readArgs } from '../../runtime/src/cli.js';
import { runtimeUsage } from '../../runtime/src/usage.js';
import { describeCommandLine } from './helpers/cli.js';

describe('readArgs', () => {
  const cases: [string[], ReturnType<typeof readArgs>][] = [
    [[], { kind: 'run' }],
    [['--help'], { kind: 'help' }],
    [['-h'], { kind: 'help' }],
    [['--version'], { kind: 'version' }],
    [['--version', '--help'], { kind: 'help' }],
    [['--help', '--version'], { kind: 'help' }],
    [['--help', 'serve'], { kind: 'bad', arg: 'serve' }],
    [['-v'], { kind: 'bad', arg: '-v' }],
    [['--help=yes'], { kind: 'bad', arg: '--help=yes' }],
  ];
  for (const [args, expected] of cases) {
    it(`reads ${JSON.stringify(args)} as ${JSON.stringify(expected)}`, () => {
      expect(readArgs(args)).to.deep.equal(expected);
    });
  }
});

describeCommandLine('paissive-runtime', 'runtime/src/main.ts', runtimeUsage);
