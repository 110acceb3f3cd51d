import { describe, expect, it } from 'vitest';
import { commandLine, shellQuote } from '../src/ssh-node.js';

describe('remote command quoting (ssh nodes)', () => {
  it('quotes every argument for the guest shell', () => {
    expect(shellQuote('plain-arg_1.txt')).toBe('plain-arg_1.txt');
    expect(shellQuote("it's; rm -rf /")).toBe(`'it'\\''s; rm -rf /'`);
    expect(shellQuote('')).toBe("''");
    expect(commandLine(['echo', 'a b', '$HOME'], { env: { X: 'y z' }, cwd: '/tmp/my dir' })).toBe(
      `cd '/tmp/my dir' && env 'X=y z' echo 'a b' '$HOME'`,
    );
    expect(() => commandLine(['true'], { env: { 'bad name': '1' } })).toThrow();
  });
});
