import { describe, expect, it } from 'vitest';
import type { ComponentRecord } from '../src/protocol.js';
import { decodeMessage, encodeMessage, parseRecords } from '../src/protocol.js';
import {
  buildTables,
  ENDPOINT_COLUMNS,
  ENDPOINT_ONLY_COLUMNS,
  WORKER_COLUMNS,
} from '../src/results/tables.js';
import {
  assignAll,
  assignWorker,
  defaultWorkerCpu,
  replyTimeoutFor,
  resolveMode,
  threadsFor,
} from '../src/plan.js';

const T0 = 1_700_000_000_000;

/** Worker + endpoint records with latencies 1..100 ms (plus known outliers). */
function synthetic(latencies: number[]): { worker: ComponentRecord[]; endpoint: ComponentRecord[] } {
  const worker: ComponentRecord[] = [];
  const endpoint: ComponentRecord[] = [];
  latencies.forEach((lat, seq) => {
    const sent = T0 + seq * 100;
    endpoint.push({ type: 'sent', t: sent, seq, bytes: 50_000, prepMs: 0.5 });
    worker.push({
      type: 'processed',
      t: sent + lat - 1,
      endpoint: 'e0',
      seq,
      sentAt: sent,
      dequeuedAt: sent + 3,
      delayMs: 2,
      procMs: 20,
      queueMs: 1,
      top5: [],
    });
    endpoint.push({
      type: 'reply',
      t: sent + lat,
      seq,
      sentAt: sent,
      latencyMs: lat,
      worker: 'cloud0',
      label: 'Neutral',
    });
  });
  endpoint.push({
    type: 'end',
    t: T0 + latencies.length * 100 + 500,
    sent: latencies.length,
    received: latencies.length,
    lost: 0,
    behind: 0,
  });
  return { worker, endpoint };
}

describe('tables (upstream columns, 5–90 % trimming, percentiles)', () => {
  it('computes trimmed mean/stdev, p50/p95/p99 and the exact upstream columns', () => {
    const lat = Array.from({ length: 100 }, (_, i) => i + 1);
    const { worker, endpoint } = synthetic(lat);
    const t = buildTables('cloud', [
      { name: 'worker0', kind: 'worker', index: 0, records: worker },
      { name: 'cloud0_endpoint0', kind: 'endpoint', index: 0, connectedTo: 0, records: endpoint },
    ]);
    const [w, e] = t.tables;
    expect(w!.title).toBe('CLOUD OUTPUT');
    expect(w!.columns.slice(0, 5)).toEqual([
      'worker_id',
      'total_time (s)',
      'delay_avg (ms)',
      'delay_stdev (ms)',
      'proc_time/data (ms)',
    ]);
    expect(e!.columns.slice(0, 6)).toEqual([
      'connected_to',
      'total_time (s)',
      'preproc_time/data (ms)',
      'data_size_avg (kb)',
      'latency_avg (ms)',
      'latency_stdev (ms)',
    ]);
    expect(w!.columns).toEqual(WORKER_COLUMNS);
    expect(e!.columns).toEqual(ENDPOINT_COLUMNS);
    const row = Object.fromEntries(e!.columns.map((c, i) => [c, e!.rows[0]![i]]));
    // Trimmed slice: sorted[5:90] = 6..90 → mean 48, population stdev sqrt((85^2-1)/12).
    expect(row['latency_avg (ms)']).toBe(48);
    expect(row['latency_stdev (ms)']).toBe(Math.round(Math.sqrt((85 ** 2 - 1) / 12) * 100) / 100);
    expect(row['p50 (ms)']).toBe(50.5);
    expect(row['p95 (ms)']).toBe(95.05);
    expect(row['p99 (ms)']).toBe(99.01);
    expect(row['data_size_avg (kb)']).toBe(50);
    expect(row['preproc_time/data (ms)']).toBe(0.5);
    expect(row['connected_to']).toBe(0);
    expect(row['lost']).toBe(0);
    // total_time: first to last record of the endpoint.
    expect(row['total_time (s)']).toBe(10.5);
    const wrow = Object.fromEntries(w!.columns.map((c, i) => [c, w!.rows[0]![i]]));
    expect(wrow['delay_avg (ms)']).toBe(2);
    expect(wrow['delay_stdev (ms)']).toBe(0);
    expect(wrow['proc_time/data (ms)']).toBe(20);
    expect(wrow['total_time (s)']).toBe(9.9);
    expect(wrow['images']).toBe(100);
    expect(t.summary['latency_p50_ms']).toBe(50.5);
    expect(t.summary['images_replied']).toBe(100);
    expect(t.series[0]!.points).toHaveLength(100);
  });

  it('trimming hides tails that p99 shows, and negative latencies are dropped with a note', () => {
    const lat = [...Array.from({ length: 96 }, () => 10), 5000, 5000, 5000, -3];
    const { endpoint } = synthetic(lat);
    const t = buildTables('edge', [
      { name: 'edge0_endpoint0', kind: 'endpoint', index: 0, connectedTo: 0, records: endpoint },
    ]);
    const e = t.tables[1]!;
    const row = Object.fromEntries(e.columns.map((c, i) => [c, e.rows[0]![i]]));
    expect(row['latency_avg (ms)']).toBe(10);
    expect(row['p99 (ms)']).toBe(5000);
    expect(t.notes.join(' ')).toMatch(/negative latency/);
    expect(t.tables[0]!.title).toBe('EDGE OUTPUT');
  });

  it('endpoint-only mode uses upstream endpoint-only columns', () => {
    const records: ComponentRecord[] = [0, 1, 2].flatMap((seq): ComponentRecord[] => [
      { type: 'sent', t: T0 + seq * 200, seq, bytes: 1, prepMs: 1 },
      {
        type: 'processed',
        t: T0 + seq * 200 + 30,
        endpoint: 'endpoint0',
        seq,
        sentAt: T0 + seq * 200,
        dequeuedAt: T0 + seq * 200,
        procMs: 25,
        queueMs: 0,
        latencyMs: 30,
        top5: [],
      },
    ]);
    const t = buildTables('endpoint', [{ name: 'endpoint0', kind: 'combined', index: 0, records }]);
    expect(t.tables).toHaveLength(1);
    expect(t.tables[0]!.columns).toEqual(ENDPOINT_ONLY_COLUMNS);
    expect(t.tables[0]!.columns.slice(0, 5)).toEqual([
      'endpoint_id',
      'total_time (s)',
      'proc_time/data (ms)',
      'latency_avg (ms)',
      'latency_stdev (ms)',
    ]);
    expect(t.tables[0]!.rows[0]!.slice(0, 5)).toEqual([0, 0.43, 25, 30, 0]);
  });
});

describe('planning rules', () => {
  it('assigns endpoint j to worker j // (endpoints / workers), as upstream', () => {
    expect(assignAll(4, 2)).toEqual([0, 0, 1, 1]);
    expect(assignAll(3, 2)).toEqual([0, 0, 1]); // int(j / 1.5)
    expect(assignAll(6, 4)).toEqual([0, 0, 1, 2, 2, 3]); // int(j / 1.5)
    expect(assignAll(1, 2)).toEqual([0]);
    expect(assignAll(5, 1)).toEqual([0, 0, 0, 0, 0]);
    for (let e = 1; e <= 12; e++)
      for (let w = 1; w <= 6; w++)
        for (let j = 0; j < e; j++) expect(assignWorker(j, e, w)).toBe(Math.trunc(j / (e / w) + 1e-9));
  });

  it('derives the mode from the topology unless overridden', () => {
    expect(resolveMode('auto', 'edge')).toBe('edge');
    expect(resolveMode('auto', 'cloud')).toBe('cloud');
    expect(resolveMode('endpoint', 'cloud')).toBe('endpoint');
  });

  it('CPU_THREADS = max(1, floor(cpu)) and the upstream default worker cpu', () => {
    expect(threadsFor(0.5)).toBe(1);
    expect(threadsFor(1.5)).toBe(1);
    expect(threadsFor(3.99)).toBe(3);
    expect(defaultWorkerCpu(4)).toBe(3.5);
    expect(defaultWorkerCpu(1)).toBe(0.5);
    expect(replyTimeoutFor(300)).toBe(300);
    expect(replyTimeoutFor(3)).toBe(10);
    expect(replyTimeoutFor(3, 42)).toBe(42);
  });
});

describe('wire format and records', () => {
  it('round-trips a message and parses JSON records among other output', () => {
    const img = Uint8Array.from([0xff, 0xd8, 1, 2, 3]);
    const msg = encodeMessage(
      { kind: 'image', t: 1.5, seq: 7, endpoint: 'e', replyUrl: 'mqtt://x:1', replyTopic: 'r' },
      img,
    );
    const back = decodeMessage(msg);
    expect(back.header).toMatchObject({ kind: 'image', seq: 7 });
    expect([...back.image]).toEqual([...img]);
    expect(() => decodeMessage(Buffer.from([1, 0]))).toThrow();
    const { records, other } = parseRecords([
      '{"type":"ready","t":1,"component":"x"}',
      'warning: something',
      '{broken',
    ]);
    expect(records).toHaveLength(1);
    expect(other).toEqual(['warning: something', '{broken']);
  });
});
