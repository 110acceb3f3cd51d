#!/usr/bin/env node
// Serverless variant figures (run after a build: node bench/serverless.js; also run by bench/index.js).
//  1. Function throughput over HTTP on loopback (dist/function.js, N threads, 2N synchronous clients
//     POSTing {image: base64, time}) vs raw decode+resize+inference on the same threads.
//  2. HTTP overhead at a light load: dist/serverless-endpoint.js at 5 images/s, round trip minus the
//     function's processing time (from its answers), p50/p95.
// Options: --threads N (default: all cores), --seconds S (default 5)
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'node:http';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const { ensureBuiltinModel } = await import(join(pkg, 'dist/model/resolve.js'));
const { InferencePool } = await import(join(pkg, 'dist/runtime/pool.js'));
const { percentile } = await import('@continuum/plugin-api');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const threads = Number(arg('threads', availableParallelism()));
const seconds = Number(arg('seconds', 5));
const imagesDir = join(pkg, 'assets/images');
const images = readdirSync(imagesDir)
  .filter((f) => f.endsWith('.jpg'))
  .sort()
  .map((f) => readFileSync(join(imagesDir, f)));
const bodies = images.map((jpeg) => jpeg.toString('base64'));
const f1 = (x) => (x === null || x === undefined ? 'n/a' : x.toFixed(1));
const model = ensureBuiltinModel('mobilenet-v2');
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** CPU ms of another process (utime + stime from /proc, clock ticks of 10 ms). */
const cpuOf = (pid) => {
  const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(rest[11]) + Number(rest[12])) * 10;
};

/** Starts a component from dist/ and resolves with its records once `ready` is seen. */
function component(entry, env) {
  const child = spawn(process.execPath, [join(pkg, 'dist', entry)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const records = [];
  const ready = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const r = JSON.parse(line);
      records.push(r);
      if (r.type === 'ready') resolve(r);
    });
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, records, ready, exited };
}

// 1. Raw decode+resize+inference on the same threads (for the ratio).
const pool = await InferencePool.start(model, threads);
const lap = async (s) => {
  let done = 0;
  const until = performance.now() + s * 1000;
  await Promise.all(
    Array.from({ length: threads * 2 }, async (_, k) => {
      for (let i = k; performance.now() < until; i += threads * 2) {
        await pool.classify(images[i % images.length]);
        done++;
      }
    }),
  );
  return done / s;
};
await lap(1); // warm-up
const rawCpu0 = cpuNow();
const raw = await lap(seconds);
const rawCpuPerImage = (cpuNow() - rawCpu0) / (raw * seconds);
await pool.close();

const fn = component('function.js', {
  WORKER_ID: 'bench',
  CPU_THREADS: String(threads),
  MODEL_JSON: JSON.stringify(model),
  PORT: '0',
  HOST: '127.0.0.1',
});
try {
  const { url } = await fn.ready;
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true });
  const post = (body) =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          method: 'POST',
          host: target.hostname,
          port: target.port,
          path: '/',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const httpLap = async (s) => {
    let done = 0;
    const until = performance.now() + s * 1000;
    await Promise.all(
      Array.from({ length: threads * 2 }, async (_, k) => {
        for (let i = k; performance.now() < until; i += threads * 2) {
          await post(JSON.stringify({ image: bodies[i % bodies.length], time: Date.now() * 1e6 }));
          done++;
        }
      }),
    );
    return done / s;
  };
  await httpLap(1);
  const fnCpu0 = cpuOf(fn.child.pid);
  const served = await httpLap(seconds);
  const fnCpuPerImage = (cpuOf(fn.child.pid) - fnCpu0) / (served * seconds);
  agent.destroy();
  console.log(`serverless: raw decode+resize+inference, ${threads} thread(s): ${f1(raw)} images/s`);
  console.log(
    `serverless: function over HTTP (${threads * 2} synchronous clients): ${f1(served)} images/s (${f1((100 * served) / raw)} % of raw; the clients share the cores)`,
  );
  console.log(
    `serverless: CPU per image, raw ${f1(rawCpuPerImage)} ms, function ${f1(fnCpuPerImage)} ms (raw/function ${f1((100 * rawCpuPerImage) / fnCpuPerImage)} %)`,
  );

  // 2. Light load through the serverless endpoint (upstream's publisher semantics).
  const ep = component('serverless-endpoint.js', {
    ENDPOINT_ID: 'bench0',
    FREQUENCY: '5',
    DURATION: String(Math.max(4, seconds)),
    FUNCTION_URL: url,
    IMAGES_DIR: imagesDir,
  });
  await ep.exited;
  const replies = ep.records.filter((r) => r.type === 'reply');
  const overhead = replies.map((r) => r.latencyMs - r.procMs);
  const sent = ep.records.filter((r) => r.type === 'sent');
  console.log(`serverless light load (5 images/s, loopback): ${replies.length} replies`);
  console.log(
    `  round trip p50 ${f1(
      percentile(
        replies.map((r) => r.latencyMs),
        50,
      ),
    )} ms; function processing p50 ${f1(
      percentile(
        replies.map((r) => r.procMs),
        50,
      ),
    )} ms; base64+JSON p50 ${f1(
      percentile(
        sent.map((r) => r.prepMs),
        50,
      ),
    )} ms`,
  );
  console.log(
    `  HTTP overhead p50 (round trip - processing): ${f1(percentile(overhead, 50))} ms (p95 ${f1(percentile(overhead, 95))} ms)`,
  );
} finally {
  fn.child.kill('SIGTERM');
  await fn.exited;
}
