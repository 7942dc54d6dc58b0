import { operatorUsage } from '../../operator/src/usage.js';
import { describeCommandLine } from '../runtime/helpers/cli.js';

describeCommandLine('paissive-operator', 'operator/src/main.ts', operatorUsage);
