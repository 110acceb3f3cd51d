import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeInfo } from '@continuum/plugin-api';
import { sshNodeInfo } from '@continuum/plugin-api/testing';

/** NodeInfo of a VM reached over ssh, as provider-qemu records it. */
export const sshNode = sshNodeInfo;

/** Upstream-shaped topologies: `cloud` = controller + workers. */
export function topologyNodes(cloud: number, edge: number, endpoint: number): NodeInfo[] {
  const nodes: NodeInfo[] = [];
  let i = 0;
  if (cloud > 0) nodes.push(sshNode('cloud_controller', 'cloud', 'cloud-controller', i++));
  for (let c = 0; c < cloud - 1; c++) nodes.push(sshNode(`cloud${c}`, 'cloud', 'cloud', i++));
  for (let e = 0; e < edge; e++) nodes.push(sshNode(`edge${e}`, 'edge', 'edge', i++));
  for (let p = 0; p < endpoint; p++) nodes.push(sshNode(`endpoint${p}`, 'endpoint', 'endpoint', i++));
  return nodes;
}

export type Handler = (
  req: IncomingMessage,
  url: URL,
  body: string,
) => { status?: number; json?: unknown; text?: string } | undefined;

/**
 * A local HTTP server that answers like the Kubernetes API for the few paths a test needs, with
 * responses in the documented JSON formats. The real @kubernetes/client-node talks to it.
 */
export async function fakeApiServer(
  handler: Handler,
): Promise<{ kubeconfig: string; url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const r = handler(req, url, body) ?? {
        status: 404,
        json: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 },
      };
      res.statusCode = r.status ?? 200;
      if (r.text !== undefined) {
        res.setHeader('content-type', 'text/plain');
        res.end(r.text);
      } else {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(r.json ?? {}));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'rmk8s-kubeconfig-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: test\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true`,
      'users:',
      '- name: test\n  user:\n    token: test-token',
      'contexts:',
      '- name: test\n  context:\n    cluster: test\n    user: test',
      'current-context: test',
      '',
    ].join('\n'),
  );
  return { kubeconfig, url, requests, close: () => new Promise((r) => server.close(() => r())) };
}
