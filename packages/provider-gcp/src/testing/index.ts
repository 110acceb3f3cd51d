/**
 * Test helpers for code that drives the gcp provider without a cloud (core's `clean --provider
 * gcp`, e2e suites): a local Compute Engine API stand-in on 127.0.0.1.
 */
export { startFakeCompute, type FakeCompute, type FakeComputeOptions, type Fault } from './fake-compute.js';
