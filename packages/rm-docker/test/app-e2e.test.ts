import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '@continuum/plugin-api/testing';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import rm, { type DockerOptions, type DockerState } from '../src/index.js';
import { dockerAvailable, startTestDocker, type TestDocker } from './docker-daemon.js';
// The app package, unchanged: its own test support starts one real mosquitto per host node.
import app from '../../app-image-classification/src/index.js';
import { optionsSchema } from '../../app-image-classification/src/options.js';
import { makeCluster, type Cluster } from '../../app-image-classification/test/support/env.js';

const appBuilt = existsSync(
  fileURLToPath(new URL('../../app-image-classification/dist/worker.js', import.meta.url)),
);

// "app-image-classification runs unchanged on every runner": the same app, its components as
// containers of the runtime image on a real local dockerd (network host, brokers on 127.0.0.x).
describe.runIf(dockerAvailable() && appBuilt)(
  'image classification through the docker runner (real dockerd, real model)',
  () => {
    let daemon: TestDocker;
    let cluster: Cluster;
    beforeAll(async () => {
      daemon = await startTestDocker();
      cluster = await makeCluster({ edge: 1, endpoint: 1 });
    }, 120_000);
    afterAll(async () => {
      await cluster?.stop();
      await daemon?.stop();
    }, 60_000);

    it('edge mode (upstream mist): 1 worker container + 1 endpoint container at 5 fps for 3 s', async () => {
      const rmCtx = createTestContext<DockerOptions, DockerState>({
        config: { dockerHost: daemon.host, network: 'host', installDocker: false },
        tiers: { edge: { nodes: 1 }, endpoint: { nodes: 1 } },
        nodes: cluster.nodes,
        runDir: cluster.dir,
      });
      await rm.install(rmCtx);
      const runner = rm.runner(rmCtx, null);
      const ctx = createTestContext({
        config: optionsSchema.parse({ frequency: 5, duration: 3 }),
        tiers: {
          edge: { nodes: 1, cores: 2, memoryMiB: 2048 },
          endpoint: { nodes: 1, cores: 1, memoryMiB: 1024 },
        },
        nodes: cluster.nodes,
        runner,
        runDir: cluster.dir,
        outputs: { services: { mqtt: cluster.mqttOutput } },
      });
      try {
        await app.deploy?.(ctx as never);
        const result = await app.benchmark(ctx as never);
        expect(result.problems ?? []).toEqual([]);
        expect(result.status).toBe('ok');
        expect(result.summary['images_replied']).toBe(15);
        // Every component really ran in a container of this run.
        expect(
          rmCtx.state
            .get()
            ?.containers.map((c) => c.node)
            .sort(),
        ).toEqual(['edge0', 'endpoint0']);
      } finally {
        await app.teardown(ctx as never);
        await rm.teardown(rmCtx);
      }
    }, 180_000);
  },
);
