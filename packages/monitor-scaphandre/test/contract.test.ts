import { afterAll, describe, it } from 'vitest';
import { packageContract } from '@continuum/plugin-api/testing';

const contract = packageContract(new URL('../', import.meta.url), {
  validOptions: { scaphandre: { mode: 'estimate', powerModel: { wattsPerCore: 10 } } },
});
afterAll(contract.cleanup);

describe('capability contract', () => {
  for (const c of contract.cases) it(c.name, c.run);
});
