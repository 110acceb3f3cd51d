/**
 * The node sampler: a small host daemon started by the prometheus monitor. Every interval it
 * samples the nodes' cgroups, appends the sample to a JSONL file (kept even when Prometheus is
 * missing or dies) and serves the latest one on /metrics for Prometheus.
 *
 * argv: <config.json> — { runId, port, intervalMs, samplesFile, sources: CgroupSource[] }.
 * The run tag is in the config path, so the process is findable by its command line.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { CgroupReader, type CgroupSource, type Sample } from '../cgroup-stats.js';
import { formatMetrics } from './format.js';

interface ExporterConfig {
  runId: string;
  host: string;
  port: number;
  intervalMs: number;
  samplesFile: string;
  sources: CgroupSource[];
}

const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as ExporterConfig;
const reader = new CgroupReader(config.sources);
let latest: Sample = reader.sample();

function tick(): void {
  latest = reader.sample();
  try {
    appendFileSync(config.samplesFile, `${JSON.stringify(latest)}\n`);
  } catch (error) {
    process.stderr.write(`cannot append sample: ${(error as Error).message}\n`);
  }
}
tick();
const timer = setInterval(tick, config.intervalMs);

const server = createServer((req, res) => {
  if (req.url === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(formatMetrics(latest, config.runId));
  } else if (req.url === '/health') {
    res.writeHead(200).end('ok\n');
  } else res.writeHead(404).end();
});
server.listen(config.port, config.host, () =>
  process.stdout.write(`listening on ${config.host}:${config.port}\n`),
);

const stop = (): void => {
  clearInterval(timer);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
