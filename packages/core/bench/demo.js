// The demo through the real CLI: deploy time (namespaces, links and their validation, brokers
// ready), benchmark and teardown, from the run's own phase timings. Needs root for namespaces.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

const root = new URL('../../..', import.meta.url).pathname;
const cli = join(root, 'packages/core/bin/run.js');
const duration = Number(process.env.CONTINUUM_BENCH_DEMO_SECONDS ?? 10);
const repetitions = Number(process.env.CONTINUUM_BENCH_DEMO_RUNS ?? 3);

function runDemo(validate) {
  const dir = mkdtempSync(join(tmpdir(), 'continuum-bench-demo-'));
  try {
    const config = parse(readFileSync(join(root, 'examples/local/continuum.config.yaml'), 'utf8'));
    config.application.options.duration = duration;
    config.infrastructure.network.validate = validate;
    config.infrastructure.network.throughput = validate;
    writeFileSync(join(dir, 'c.yaml'), stringify(config));
    const started = Date.now();
    const res = spawnSync(process.execPath, [cli, 'run', 'c.yaml', '--json'], { cwd: dir, encoding: 'utf8' });
    const wall = (Date.now() - started) / 1000;
    const runs = join(dir, '.continuum', 'runs');
    const id = readdirSync(runs)[0];
    const results = JSON.parse(readFileSync(join(runs, id, 'results.json'), 'utf8'));
    const ms = (phase) => results.phases.find((p) => p.phase === phase)?.durationMs ?? NaN;
    return {
      exit: res.status,
      deploy: (ms('provision') + ms('install')) / 1000,
      provision: ms('provision') / 1000,
      install: ms('install') / 1000,
      benchmark: ms('benchmark') / 1000,
      teardown: ms('teardown') / 1000,
      wall,
      p50: results.application?.summary?.latency_p50_ms,
      backend: results.emulation?.backend,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
if (process.getuid?.() !== 0) console.log('note: not root: nodes are plain processes, links not emulated');
for (const validate of [false, true]) {
  const rows = Array.from({ length: repetitions }, () => runDemo(validate));
  const f = (k) => median(rows.map((r) => r[k])).toFixed(2);
  console.log(
    `demo (examples/local, ${duration} s benchmark, link validation ${validate ? 'on' : 'off'}, ${rows[0].backend}), median of ${repetitions}:`,
  );
  console.log(
    `  deploy (namespaces + links${validate ? ' + RTT/throughput check' : ''} + brokers ready): ${f('deploy')} s  (provision ${f('provision')} s, install ${f('install')} s; goal < 3 s)`,
  );
  console.log(
    `  benchmark ${f('benchmark')} s, teardown ${f('teardown')} s (goal < 2 s), whole CLI run ${f('wall')} s`,
  );
  console.log(
    `  end-to-end latency p50 ${f('p50')} ms (4G: 90 ms RTT + processing), exit codes ${rows.map((r) => r.exit).join(',')}`,
  );
}
