import { routerUsage } from '../../api/src/usage.js';
import { describeCommandLine } from '../runtime/helpers/cli.js';

describeCommandLine('paissive-router', 'api/src/main.ts', routerUsage);
