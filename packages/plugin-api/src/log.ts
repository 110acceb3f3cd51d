/**
 * Plugins never print: they log through this scoped logger. The core decides where lines go
 * (terminal, run's debug log, nowhere with --json) so machine output stays clean.
 */
export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  /** A short status line for long steps ("booting 3 VMs"); shown as progress, not as a log line. */
  progress(message: string): void;
  child(scope: string): Logger;
}

/** A logger that records lines in memory; for tests and contract kits. */
export function createMemoryLogger(scope = 'test'): Logger & {
  lines: { level: string; scope: string; message: string }[];
} {
  const lines: { level: string; scope: string; message: string }[] = [];
  const make = (s: string): Logger => ({
    debug: (message) => lines.push({ level: 'debug', scope: s, message }),
    info: (message) => lines.push({ level: 'info', scope: s, message }),
    warn: (message) => lines.push({ level: 'warn', scope: s, message }),
    error: (message) => lines.push({ level: 'error', scope: s, message }),
    progress: (message) => lines.push({ level: 'progress', scope: s, message }),
    child: (sub) => make(`${s}/${sub}`),
  });
  return Object.assign(make(scope), { lines });
}
