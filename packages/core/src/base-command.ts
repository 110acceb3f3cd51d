import { Command, Flags, type Interfaces } from '@oclif/core';
import type { PhaseEvent } from '@continuum/plugin-api';
import { isContinuumError } from '@continuum/plugin-api';
import { EXIT, exitCodeFor } from './engine/exit-codes.js';
import { Output } from './engine/output.js';
import { Registry } from './engine/registry.js';
import type { EngineOptions } from './engine/run-engine.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** Options third-party `continuum:phase` hooks receive (declare the hook in your package.json `oclif.hooks`). */
export interface PhaseHookOptions {
  event: PhaseEvent;
  run: { id: string; dir: string };
}

/**
 * Global flags (--json, -v/--verbose, --run-dir), the output/logging setup, and error reporting
 * with distinct exit codes (see exit-codes.ts) for every command.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    verbose: Flags.boolean({
      char: 'v',
      description: 'Show debug lines and stacks.',
      default: false,
      helpGroup: 'GLOBAL',
    }),
    'run-dir': Flags.string({
      description: 'Directory holding runs (state, logs, results).',
      default: '.continuum',
      env: 'CONTINUUM_RUN_DIR',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;
  private outputInstance: Output | undefined;

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
  }

  protected get out(): Output {
    this.outputInstance ??= new Output({ verbose: this.flags?.verbose ?? false, json: this.jsonEnabled() });
    return this.outputInstance;
  }

  /** Human output on stdout, suppressed with --json (which prints one JSON document instead). */
  protected say(text: string): void {
    if (!this.jsonEnabled()) this.log(text);
  }

  protected registry(): Registry {
    const registry = new Registry(this.config.getPluginsList());
    return registry;
  }

  protected engineOptions(): EngineOptions {
    return {
      baseDir: this.flags['run-dir'],
      output: this.out,
      coreVersion: this.config.version,
      command: `continuum ${this.id ?? ''}`.trim(),
      observer: async (event, run) => {
        const opts: PhaseHookOptions = { event, run };
        const result = await this.config.runHook(
          'continuum:phase',
          opts as unknown as Record<string, unknown>,
          10_000,
        );
        // Plain throws in hooks are swallowed by oclif: surface them, but never let them veto.
        for (const failure of result.failures) {
          this.out
            .logger('core')
            .warn(
              `continuum:phase hook of plugin ${failure.plugin.name} failed on ${event.when} ${event.phase}: ${failure.error.message}`,
            );
        }
      },
    };
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number }; code?: string; results?: unknown },
  ): Promise<unknown> {
    // oclif's own exits and flag/arg parse errors keep oclif's handling (parse errors exit 2).
    if (err.code === 'EEXIT' || (!isContinuumError(err) && err.oclif?.exit !== undefined))
      return super.catch(err);
    const code = exitCodeFor(err);
    process.exitCode = code;
    if (this.jsonEnabled()) {
      const details = isContinuumError(err) ? err.details : undefined;
      this.logJson({
        status: 'error',
        exitCode: code,
        error: {
          code: isContinuumError(err) ? err.code : 'INTERNAL',
          message: err.message,
          ...(isContinuumError(err) && err.hint ? { hint: err.hint } : {}),
          ...(details ? { details } : {}),
        },
        ...(err.results !== undefined ? { results: err.results } : {}),
      });
      return undefined;
    }
    this.logToStderr(formatError(err, this.flags?.verbose ?? false));
    const silent = Object.assign(new Error(err.message), {
      skipOclifErrorHandling: true,
      oclif: { exit: code },
    });
    throw silent;
  }
}

/** The terminal form of an error: message, every config issue with file:line, hint; stack only with -v. */
export function formatError(err: Error, verbose: boolean): string {
  const lines = [`error: ${err.message}`];
  if (isContinuumError(err)) {
    const issues = (err.details?.['issues'] ?? []) as {
      path: string;
      message: string;
      location?: string;
      hint?: string;
    }[];
    for (const i of issues) {
      lines.push(`  ✖ ${i.path}: ${i.message}${i.location ? `  (${i.location})` : ''}`);
      if (i.hint) lines.push(`      → ${i.hint}`);
    }
    if (err.hint) lines.push(`  hint: ${err.hint}`);
    if (verbose && err.stack) lines.push(err.stack);
  } else {
    lines.push(
      verbose
        ? (err.stack ?? '')
        : '  (an internal error: run again with -v for the stack, and please report it)',
    );
  }
  return lines.filter((l) => l !== '').join('\n');
}

export { EXIT };
