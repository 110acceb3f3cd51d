import { afterAll, describe, it } from 'vitest';
import { packageContract } from '@continuum/plugin-api/testing';
import { requireBuild } from './helpers.js';

const contract = packageContract(new URL('../', import.meta.url), {
  validOptions: { mqtt: { implementation: 'embedded', port: 1884, nodes: 'workers' } },
  beforeLoad: requireBuild,
});
afterAll(contract.cleanup);

describe('capability contract', () => {
  for (const c of contract.cases) it(c.name, c.run);
});
