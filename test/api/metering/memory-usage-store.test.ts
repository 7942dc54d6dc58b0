import { MemoryUsageStore } from '../../../api/src/metering/memory-usage-store.js';
import { usageStoreContract } from './usage-store.contract.js';

describe('api/metering/memory-usage-store', () => {
  usageStoreContract(async () => new MemoryUsageStore(30));
});
