/**
 * `hello`: a minimal third-party application capability. It runs one component on every node
 * through ctx.runner (whatever runs workloads in this run: plain processes, containers, Jobs) that
 * prints the node's hostname and uptime, and reports them as a table.
 *
 * It depends only on @continuum/plugin-api: no zod, no core. Its options schema is a small
 * hand-written Standard Schema, which is all the core needs.
 */
import type { ResultTable, StandardSchemaV1, Workload } from '@continuum/plugin-api';
import { ContinuumError, defineApplication } from '@continuum/plugin-api';

export interface HelloOptions {
  /** Printed by every node before its hostname. */
  greeting: string;
  /** Seconds to wait for each node's component. */
  timeout: number;
}

const DEFAULTS: HelloOptions = { greeting: 'hello', timeout: 30 };

/** Standard Schema for the options: strict object, every key optional. */
export const helloOptionsSchema: StandardSchemaV1<unknown, HelloOptions> = {
  '~standard': {
    version: 1,
    vendor: 'continuum-plugin-hello',
    validate(value) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return { issues: [{ message: 'expected an object' }] };
      const input = value as Record<string, unknown>;
      const issues: StandardSchemaV1.Issue[] = [];
      for (const key of Object.keys(input)) {
        if (!(key in DEFAULTS))
          issues.push({
            message: `unknown option "${key}" (known: ${Object.keys(DEFAULTS).join(', ')})`,
            path: [key],
          });
      }
      const greeting = input['greeting'] ?? DEFAULTS.greeting;
      if (typeof greeting !== 'string' || !/^[\w ,.!-]{1,40}$/.test(greeting)) {
        issues.push({ message: 'expected 1-40 letters, digits, spaces or , . ! -', path: ['greeting'] });
      }
      const timeout = input['timeout'] ?? DEFAULTS.timeout;
      if (typeof timeout !== 'number' || !(timeout > 0))
        issues.push({ message: 'expected a positive number of seconds', path: ['timeout'] });
      if (issues.length > 0) return { issues };
      return { value: { greeting: greeting as string, timeout: timeout as number } };
    },
  },
};

/** What the component prints: one line `<greeting> from <hostname> up <seconds>`. */
export function parseHelloLine(line: string): { hostname: string; uptimeS: number } | undefined {
  const m = / from (\S+) up ([\d.]+)$/.exec(line.trim());
  return m === null ? undefined : { hostname: m[1] as string, uptimeS: Number(m[2]) };
}

export default defineApplication<HelloOptions, { components: string[] }>({
  name: 'hello',
  description: 'Says hello from every node: hostname and uptime, through the workload runner',
  configSchema: helloOptionsSchema,
  jsonSchema: () => ({
    type: 'object',
    additionalProperties: false,
    properties: {
      greeting: { type: 'string', default: DEFAULTS.greeting, maxLength: 40 },
      timeout: { type: 'number', exclusiveMinimum: 0, default: DEFAULTS.timeout },
    },
  }),
  plan(ctx) {
    return Promise.resolve(
      ctx.topology.nodes.map((n) => ({
        resource: 'component',
        name: `hello-${n.name}`,
        details: { node: n.name },
      })),
    );
  },
  async benchmark(ctx) {
    if (ctx.runner === undefined)
      throw new ContinuumError('HELLO_NO_RUNNER', 'hello needs a workload runner, but the run has none.');
    const runner = ctx.runner;
    const started: { node: string; at: number; workload: Workload }[] = [];
    await ctx.state.set({ components: ctx.nodes.map((n) => `hello-${n.name}`) });
    for (const node of ctx.nodes) {
      ctx.log.progress(`starting hello on ${node.name}`);
      // Fixed command; the greeting goes through the environment, never into a shell string.
      const workload = await runner.run(
        {
          name: `hello-${node.name}`,
          node: node.name,
          command: ['sh', '-c', 'echo "$HELLO_GREETING from $(hostname) up $(cut -d" " -f1 /proc/uptime)"'],
          env: { HELLO_GREETING: ctx.config.greeting },
          cpu: 0.1,
          memoryMiB: 16,
        },
        { signal: ctx.signal },
      );
      started.push({ node: node.name, at: Date.now(), workload });
    }
    const table: ResultTable = {
      id: 'hello',
      title: 'HELLO OUTPUT',
      columns: ['node', 'hostname', 'uptime_s', 'duration_ms', 'status'],
      rows: [],
    };
    const problems: string[] = [];
    for (const { node, at, workload } of started) {
      const exit = await workload.wait({ signal: ctx.signal, timeoutMs: ctx.config.timeout * 1000 });
      const lines = await workload.logs();
      const parsed = lines.map((l) => parseHelloLine(l.line)).find((p) => p !== undefined);
      if (exit.phase !== 'succeeded' || parsed === undefined)
        problems.push(`${node}: ${exit.reason ?? 'no hello line in its output'}`);
      table.rows.push([node, parsed?.hostname ?? null, parsed?.uptimeS ?? null, Date.now() - at, exit.phase]);
    }
    ctx.log.info(`said hello on ${table.rows.length} nodes`);
    return {
      status: problems.length === 0 ? 'ok' : 'partial',
      tables: [table],
      summary: { nodes: table.rows.length, failed: problems.length },
      ...(problems.length > 0 ? { problems } : {}),
    };
  },
  async teardown(ctx) {
    // Components are short-lived and owned by the runner; nothing of ours outlives the benchmark.
    if (ctx.state.get() !== undefined) await ctx.state.set({ components: [] });
  },
});
