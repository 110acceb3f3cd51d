/** POSIX shell single-quoting: the remote side of ssh always runs a shell, so argv must be quoted. */
export function shQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_\-./=:,@%+]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}

/** `cd DIR && env K=V... argv`, each piece quoted. */
export function remoteCommand(
  argv: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): string {
  const envPart = Object.entries(options.env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${k}`);
    return shQuote(`${k}=${v}`);
  });
  const cmd = envPart.length > 0 ? `env ${envPart.join(' ')} ${shJoin(argv)}` : shJoin(argv);
  return options.cwd !== undefined ? `cd ${shQuote(options.cwd)} && ${cmd}` : cmd;
}
