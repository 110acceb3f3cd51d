import { afterAll, describe, it } from 'vitest';
import { packageContract } from '@continuum/plugin-api/testing';

const contract = packageContract(new URL('../', import.meta.url), {
  validOptions: { prometheus: { scrapeIntervalS: 2, required: false } },
});
afterAll(contract.cleanup);

describe('capability contract', () => {
  for (const c of contract.cases) it(c.name, c.run);
});
