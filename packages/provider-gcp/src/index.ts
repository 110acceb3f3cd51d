import { ContinuumError, defineProvider } from '@continuum/plugin-api';
import type { Context } from '@continuum/plugin-api';
import { z } from 'zod';
import { cleanWith } from './clean.js';
import { assertCredentials } from './credentials.js';
import { ComputeApi } from './gcp/compute-api.js';
import type { GcpOptions } from './options.js';
import { gcpOptionsSchema, regionOf } from './options.js';
import { buildPlan, planItems } from './plan.js';
import type { GcpState } from './provision.js';
import { provisionGcp } from './provision.js';
import { createSshNode } from './ssh-node.js';
import { resolveSshSourceCidr } from './ssh-source.js';
import { validateGcp } from './validate.js';

export function computeApiFor(
  options: GcpOptions,
  ctx: Pick<Context, 'log' | 'signal'>,
  where?: { project: string; zone: string; region: string },
): ComputeApi {
  return new ComputeApi({
    project: where?.project ?? options.project,
    zone: where?.zone ?? options.zone,
    region: where?.region ?? regionOf(options),
    credentials: options.credentials,
    apiEndpoint: options.apiEndpoint,
    operationTimeoutMs: options.timeouts.operationS * 1000,
    log: ctx.log,
    signal: ctx.signal,
  });
}

const provider = defineProvider<GcpOptions, GcpState>({
  name: 'gcp',
  description:
    'Google Compute Engine VMs: one VPC, a subnet per tier, one VM per node, guest-side tc emulation',
  configSchema: gcpOptionsSchema,
  jsonSchema: () => z.toJSONSchema(gcpOptionsSchema, { io: 'input', unrepresentable: 'any' }),
  stateVersion: 1,

  async validate(ctx) {
    const plan = buildPlan(ctx.topology, ctx.config, ctx.run.id);
    const api = computeApiFor(ctx.config, ctx);
    try {
      const diagnostics = await validateGcp(api, plan, ctx.config, ctx.topology);
      if (ctx.config.sshSourceCidr === 'auto') {
        try {
          await resolveSshSourceCidr('auto', ctx.config.ipEchoUrl, ctx.signal);
        } catch (error) {
          const e = error as ContinuumError;
          diagnostics.push({
            severity: 'error',
            path: 'sshSourceCidr',
            message: e.message,
            ...(e.hint ? { hint: e.hint } : {}),
          });
        }
      }
      return diagnostics;
    } finally {
      await api.close();
    }
  },

  plan(ctx) {
    return Promise.resolve(planItems(buildPlan(ctx.topology, ctx.config, ctx.run.id)));
  },

  async provision(ctx) {
    const plan = buildPlan(ctx.topology, ctx.config, ctx.run.id);
    const problem = plan.problems[0];
    if (problem !== undefined)
      throw new ContinuumError(
        'GCP_PLAN_INVALID',
        `GCP: ${problem.message} (options.${problem.path})`,
        problem.hint ? { hint: problem.hint } : {},
      );
    assertCredentials(ctx.config.credentials);
    const sshSourceCidr = await resolveSshSourceCidr(
      ctx.config.sshSourceCidr,
      ctx.config.ipEchoUrl,
      ctx.signal,
    );
    const api = computeApiFor(ctx.config, ctx);
    try {
      return await provisionGcp(ctx, { api, plan, options: ctx.config, sshSourceCidr });
    } finally {
      await api.close();
    }
  },

  attach(_ctx, infrastructure) {
    return Promise.resolve(infrastructure.nodes.map((info) => createSshNode(info)));
  },

  async clean(ctx, options) {
    const api = computeApiFor(ctx.config, ctx);
    try {
      const report = await cleanWith(api, {
        project: ctx.config.project,
        zone: ctx.config.zone,
        runId: options.runId,
        dryRun: options.dryRun ?? false,
        concurrency: ctx.config.concurrency,
        log: ctx.log,
        signal: ctx.signal,
      });
      const kinds = ['instances', 'disks', 'firewalls', 'subnetworks', 'networks'] as const;
      const resource = {
        instances: 'gcp-instance',
        disks: 'gcp-disk',
        firewalls: 'gcp-firewall',
        subnetworks: 'gcp-subnetwork',
        networks: 'gcp-network',
      };
      return {
        removed: kinds.flatMap((k) => report[k].map((name) => ({ resource: resource[k], name }))),
        errors: report.errors.map((e) => ({
          resource: e.resource.split('/')[0] ?? e.resource,
          name: e.resource.split('/').slice(1).join('/'),
          message: e.message,
        })),
      };
    } finally {
      await api.close();
    }
  },

  async teardown(ctx) {
    const state = ctx.state.get();
    if (state === undefined || state.phase === 'deleted') return;
    const api = computeApiFor(ctx.config, ctx, {
      project: state.project,
      zone: state.zone,
      region: state.region,
    });
    try {
      const report = await cleanWith(api, {
        project: state.project,
        zone: state.zone,
        region: state.region,
        runId: state.runId,
        concurrency: ctx.config.concurrency,
        log: ctx.log,
        signal: ctx.signal,
        known: {
          instances: state.instances.map((i) => i.name),
          firewalls: state.firewalls,
          subnetworks: state.subnetworks,
          networks: [state.network],
        },
      });
      if (report.errors.length > 0) {
        throw new ContinuumError(
          'GCP_TEARDOWN_INCOMPLETE',
          `GCP: ${report.errors.length} resources of run ${state.runId} could not be deleted: ${report.errors.map((e) => `${e.resource} (${e.code})`).join(', ')}`,
          {
            hint: `Run \`continuum clean --provider gcp\` again, or delete them in the console (filter labels.continuum-run=${state.runId}).`,
            details: { errors: report.errors },
          },
        );
      }
      await ctx.state.set({ ...state, phase: 'deleted' });
    } finally {
      await api.close();
    }
  },
});

export default provider;
export { cleanByLabel, type CleanOptions, type CleanReport } from './clean.js';
export { gcpOptionsSchema, parseGcpOptions, type GcpOptions, type GcpOptionsInput } from './options.js';
export { buildPlan, planItems, type GcpPlan } from './plan.js';
export { createSshNode, waitForSsh, shellQuote, commandLine, type SshEndpoint } from './ssh-node.js';
export type { GcpState } from './provision.js';
