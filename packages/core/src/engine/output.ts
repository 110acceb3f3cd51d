import { appendFileSync } from 'node:fs';
import type { Logger } from '@continuum/plugin-api';

export type Level = 'debug' | 'info' | 'warn' | 'error' | 'progress';

export interface OutputOptions {
  verbose: boolean;
  json: boolean;
  /** Only warnings and errors on the terminal (programmatic use); the debug log still gets everything. */
  quiet?: boolean;
  /** Defaults to process.stderr.isTTY. */
  tty?: boolean;
  stream?: NodeJS.WritableStream;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Where every log line goes: the run's debug.log (every level, with time and scope) and the
 * terminal (stderr, so stdout stays clean for --json and tables). Long phases get a spinner line
 * on a TTY and plain lines otherwise.
 */
export class Output {
  private debugFile: string | undefined;
  private pending: string[] = [];
  private readonly stream: NodeJS.WritableStream;
  private readonly tty: boolean;
  private phase: { label: string; started: number; message: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private spinnerShown = false;

  constructor(readonly options: OutputOptions) {
    this.stream = options.stream ?? process.stderr;
    this.tty = (options.tty ?? process.stderr.isTTY === true) && !options.json;
  }

  /** From now on lines go to this file too; lines logged before are flushed into it. */
  attachDebugLog(file: string): void {
    this.debugFile = file;
    if (this.pending.length > 0) appendFileSync(file, this.pending.join(''));
    this.pending = [];
  }

  logger(scope: string): Logger {
    const make = (s: string): Logger => ({
      debug: (m, d) => this.write('debug', s, m, d),
      info: (m, d) => this.write('info', s, m, d),
      warn: (m, d) => this.write('warn', s, m, d),
      error: (m, d) => this.write('error', s, m, d),
      progress: (m) => this.write('progress', s, m),
      child: (sub) => make(`${s}/${sub}`),
    });
    return make(scope);
  }

  write(level: Level, scope: string, message: string, data?: Record<string, unknown>): void {
    const extra = data !== undefined && Object.keys(data).length > 0 ? ` ${safeJson(data)}` : '';
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(8)} [${scope}] ${message}${extra}\n`;
    if (this.debugFile !== undefined) {
      try {
        appendFileSync(this.debugFile, line);
      } catch {
        // The run directory may be gone (removed by hand); the terminal still gets the line.
      }
    } else this.pending.push(line);

    if (level === 'progress') {
      if (this.options.quiet === true) return;
      if (this.phase !== undefined) {
        if (message === this.phase.message) return;
        this.phase.message = message;
      }
      if (this.tty) this.render();
      else this.print(`  … [${scope}] ${message}`);
      return;
    }
    if (level === 'debug' && !this.options.verbose) return;
    if (level === 'info' && (this.options.json || this.options.quiet === true) && !this.options.verbose)
      return;
    const prefix = level === 'error' ? 'error: ' : level === 'warn' ? 'warning: ' : '';
    const label =
      level === 'debug' || this.options.verbose
        ? `[${scope}] `
        : scope.startsWith('core')
          ? ''
          : `[${scope}] `;
    this.print(`${prefix}${label}${message}${this.options.verbose ? extra : ''}`);
  }

  /** A line on the terminal (stderr), below the spinner. */
  print(text: string): void {
    this.clearSpinner();
    this.stream.write(`${text}\n`);
    if (this.tty && this.phase !== undefined) this.render();
  }

  phaseStart(label: string): void {
    this.phaseEnd();
    this.phase = { label, started: Date.now(), message: '' };
    if (this.options.quiet === true) return;
    if (this.tty) {
      this.render();
      this.timer = setInterval(() => this.render(), 120);
      this.timer.unref();
    } else this.print(`▶ ${label}`);
  }

  phaseEnd(result?: { ok: boolean; note?: string }): void {
    if (this.phase === undefined) return;
    const { label, started } = this.phase;
    this.phase = undefined;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.clearSpinner();
    if (result === undefined || this.options.quiet === true) return;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    this.stream.write(
      `${result.ok ? '✔' : '✖'} ${label} (${secs} s)${result.note ? ` ${result.note}` : ''}\n`,
    );
  }

  private render(): void {
    if (this.phase === undefined) return;
    const secs = Math.floor((Date.now() - this.phase.started) / 1000);
    const frame = SPINNER[this.frame++ % SPINNER.length] ?? '*';
    const text = `${frame} ${this.phase.label}${this.phase.message ? `: ${this.phase.message}` : ''} (${secs} s)`;
    const columns = (this.stream as { columns?: number }).columns;
    const width = columns !== undefined && columns > 20 ? columns : 100;
    this.stream.write(`\r\x1b[K${text.slice(0, width - 1)}`);
    this.spinnerShown = true;
  }

  private clearSpinner(): void {
    if (!this.spinnerShown) return;
    this.stream.write('\r\x1b[K');
    this.spinnerShown = false;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
