import type { Node } from '@continuum/plugin-api';

/**
 * A tiny TCP throughput test run inside the nodes with the same `node` binary (no iperf3
 * dependency; iperf3's totals for a 1-2 s test through a deep htb queue and 90 ms RTT read
 * ~70 % of the rate, while measuring at the receiver after warm-up reads 95 %). The receiver measures: it ignores the first quarter of the test (TCP slow start,
 * htb's initial burst) and reports the rate over the rest, then closes the connection, which
 * also stops the sender. Run as `node -e <script> ...args`.
 */
export const RECEIVER_SCRIPT = `
const net = require('node:net');
const [addr, port, seconds] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const server = net.createServer((sock) => {
  let total = 0, start = 0, warmBytes = 0, warmAt = 0;
  const warm = seconds * 250, end = seconds * 1000;
  sock.on('data', (d) => {
    const now = performance.now();
    if (start === 0) start = now;
    total += d.length;
    if (warmAt === 0 && now - start >= warm) { warmAt = now; warmBytes = total; }
    if (now - start >= end) {
      const mbit = ((total - warmBytes) * 8) / ((now - warmAt) / 1000) / 1e6;
      process.stdout.write(JSON.stringify({ mbit, bytes: total, seconds: (now - start) / 1000 }) + '\\n');
      sock.destroy(); server.close(); setTimeout(() => process.exit(0), 10);
    }
  });
  sock.on('error', () => {});
});
server.listen(port, addr);
setTimeout(() => { process.stdout.write(JSON.stringify({ error: 'timeout' }) + '\\n'); process.exit(1); }, seconds * 1000 + 8000);
`;

export const SENDER_SCRIPT = `
const net = require('node:net');
const [addr, port, seconds] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const chunk = Buffer.alloc(64 * 1024, 120);
const deadline = Date.now() + seconds * 1000 + 6000;
function attempt() {
  const sock = net.connect(port, addr);
  let connected = false;
  sock.on('connect', () => { connected = true; const pump = () => { while (sock.write(chunk)) {} }; sock.on('drain', pump); pump(); });
  sock.on('error', () => { if (!connected && Date.now() < deadline) setTimeout(attempt, 50); else process.exit(0); });
  sock.on('close', () => { if (connected) process.exit(0); });
}
attempt();
setTimeout(() => process.exit(0), seconds * 1000 + 8000);
`;

export interface ThroughputResult {
  mbit: number | null;
  tool: 'node';
  error?: string;
}

/** Measure TCP throughput from `from` to `to` (the direction `from`'s egress shaping applies to). */
export async function measureThroughput(
  from: Node,
  to: Node,
  options: { seconds: number; port: number; signal?: AbortSignal },
): Promise<ThroughputResult> {
  const args = [to.address, String(options.port), String(options.seconds)];
  const timeoutMs = options.seconds * 1000 + 12000;
  const common = { check: false, timeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
  const receiver = to.exec([process.execPath, '-e', RECEIVER_SCRIPT, ...args], common);
  const sender = from.exec([process.execPath, '-e', SENDER_SCRIPT, ...args], common);
  const [r] = await Promise.all([receiver, sender]);
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    const parsed = JSON.parse(line) as { mbit?: number; error?: string };
    if (typeof parsed.mbit === 'number' && Number.isFinite(parsed.mbit))
      return { mbit: Math.round(parsed.mbit * 100) / 100, tool: 'node' };
    return { mbit: null, tool: 'node', error: parsed.error ?? 'no result' };
  } catch {
    return {
      mbit: null,
      tool: 'node',
      error: (r.stderr || r.stdout).trim().slice(0, 300) || `receiver exited ${r.exitCode}`,
    };
  }
}
