/**
 * Contract kits: invariants every capability must meet, as framework-agnostic cases. A plugin's
 * test file runs them with its own test runner:
 *
 *   import { capabilityContract } from '@continuum/plugin-api/testing';
 *   for (const c of capabilityContract({ load: () => import('../src/index.js'), manifest: pkg.continuum }))
 *     it(c.name, c.run);
 */
export {
  capabilityContract,
  providerContract,
  type ContractCase,
  type ProviderContractOptions,
} from './contracts.js';
export { createTestContext, type TestContextOptions } from './context.js';
export { cgroupNode, hasBinary, makeCgroups, nodeInfo } from './host-fixtures.js';
export { packageContract } from './package-contract.js';
export { sshNodeInfo } from './vm-fixtures.js';
