import { describe, expect, it } from 'vitest';
import { ContinuumError, isContinuumError } from '../src/errors.js';
import { defineProvider, isCapability } from '../src/capabilities.js';
import { API_VERSION } from '../src/version.js';

describe('structural contracts', () => {
  it('recognises ContinuumError by shape, also from another copy of the package', () => {
    expect(isContinuumError(new ContinuumError('X', 'm', { hint: 'h' }))).toBe(true);
    expect(isContinuumError({ name: 'ContinuumError', code: 'X', message: 'from another copy' })).toBe(true);
    expect(isContinuumError(new Error('plain'))).toBe(false);
  });

  it('brands capabilities made with define*()', () => {
    const p = defineProvider({
      name: 'p',
      provision: () => Promise.reject(new Error('unused')),
      attach: () => Promise.resolve([]),
      teardown: () => Promise.resolve(),
    });
    expect(isCapability(p)).toBe(true);
    expect(p.apiVersion).toBe(API_VERSION);
    expect(p.kind).toBe('provider');
    expect(isCapability({ kind: 'provider', name: 'x' })).toBe(false);
  });
});
