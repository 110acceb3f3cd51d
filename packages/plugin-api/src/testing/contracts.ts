import { API_VERSION, CAPABILITY_BRAND } from '../version.js';
import type { Capability, Context, PluginManifest, Provider } from '../capabilities.js';
import { isCapability } from '../capabilities.js';
import { validateWithSchema } from '../schema.js';

export interface ContractCase {
  name: string;
  run: () => Promise<void>;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`contract: ${message}`);
}

/**
 * Invariants of every capability a plugin declares: each declared entry imports, exports a
 * branded object of the declared kind and name with this API version, its schema rejects garbage
 * and its teardown tolerates an empty state.
 */
export function capabilityContract(options: {
  manifest: PluginManifest;
  /** Import an entry by its declared path, e.g. (entry) => import(new URL(entry, pkgRoot).href) */
  load: (entry: string) => Promise<Record<string, unknown>>;
  /** Context for calling teardown with no state. */
  makeContext?: () => Context<unknown, unknown>;
  /** A valid options object per capability name (default {}). */
  validOptions?: Record<string, unknown>;
}): ContractCase[] {
  const cases: ContractCase[] = [
    {
      name: 'declares the current apiVersion',
      run: () => {
        assert(
          options.manifest.apiVersion === API_VERSION,
          `package.json continuum.apiVersion is ${options.manifest.apiVersion}, expected ${API_VERSION}`,
        );
        assert(options.manifest.capabilities.length > 0, 'declares no capabilities');
        return Promise.resolve();
      },
    },
  ];
  for (const decl of options.manifest.capabilities) {
    const load = async (): Promise<Capability> => {
      const mod = await options.load(decl.entry);
      const cap = mod['default'];
      assert(isCapability(cap), `${decl.entry} must default-export a capability made with define*()`);
      return cap;
    };
    cases.push({
      name: `${decl.kind}/${decl.name}: entry exports a matching branded capability`,
      run: async () => {
        const cap = await load();
        assert(cap.$$type === CAPABILITY_BRAND, 'missing brand');
        assert(cap.apiVersion === API_VERSION, `apiVersion ${cap.apiVersion} != ${API_VERSION}`);
        assert(cap.kind === decl.kind, `kind ${cap.kind} != declared ${decl.kind}`);
        assert(cap.name === decl.name, `name ${cap.name} != declared ${decl.name}`);
        assert(typeof cap.teardown === 'function', 'teardown() missing');
      },
    });
    cases.push({
      name: `${decl.kind}/${decl.name}: config schema accepts valid options and rejects garbage`,
      run: async () => {
        const cap = await load();
        if (cap.configSchema === undefined) return;
        const good = await validateWithSchema(cap.configSchema, options.validOptions?.[decl.name] ?? {});
        assert(good.ok, `valid options rejected: ${good.ok ? '' : JSON.stringify(good.issues)}`);
        const bad = await validateWithSchema(cap.configSchema, {
          __definitely_not_an_option__: 42,
          frequency: 'x',
        });
        assert(!bad.ok, 'schema accepted an unknown key; use a strict object schema');
        assert(
          bad.issues.every((i) => i.message.length > 0),
          'issues must have messages',
        );
      },
    });
    if (options.makeContext !== undefined) {
      const make = options.makeContext;
      cases.push({
        name: `${decl.kind}/${decl.name}: teardown with no state is a no-op and idempotent`,
        run: async () => {
          const cap = await load();
          const ctx = make();
          await cap.teardown(ctx);
          await cap.teardown(ctx);
        },
      });
    }
  }
  return cases;
}

export interface ProviderContractOptions<C, S> {
  provider: Provider<C, S>;
  /** A fresh context for a small topology (at least 2 nodes in different tiers). */
  makeContext: () => Context<C, S>;
  /** Check that nothing the provider created is left (e.g. no namespace with the run id). */
  assertNothingLeft: (ctx: Context<C, S>) => Promise<void>;
}

/**
 * Provider invariants, run against real resources: provisioned nodes match the topology, can run
 * commands, are JSON-serialisable, re-attach from JSON, and teardown (also from state alone in a
 * fresh context) leaves nothing behind.
 */
export function providerContract<C, S>(options: ProviderContractOptions<C, S>): ContractCase[] {
  const { provider, makeContext, assertNothingLeft } = options;
  return [
    {
      name: `provider/${provider.name}: provisions the topology, re-attaches from JSON, tears down from state alone`,
      run: async () => {
        const ctx = makeContext();
        try {
          const infra = await provider.provision(ctx);
          assert(infra.provider === provider.name, 'infrastructure.provider must be the provider name');
          const names = infra.nodes.map((n) => n.name).sort();
          const expected = ctx.topology.nodes.map((n) => n.name).sort();
          assert(
            JSON.stringify(names) === JSON.stringify(expected),
            `nodes ${names.join(',')} != topology ${expected.join(',')}`,
          );
          const copy = JSON.parse(JSON.stringify(infra)) as typeof infra;
          const nodes = await provider.attach(ctx, copy);
          for (const node of nodes) {
            const res = await node.exec(['true']);
            assert(res.exitCode === 0, `exec on ${node.name} failed`);
          }
          for (const node of nodes) await node.dispose?.();
          // A new process only has the state file: tear down from a fresh context with the same state.
          const fresh = makeContext();
          const saved = ctx.state.get();
          if (saved !== undefined) await fresh.state.set(saved);
          Object.assign(fresh.run, { id: ctx.run.id });
          await provider.teardown(fresh);
          await provider.teardown(fresh);
          await assertNothingLeft(ctx);
        } catch (error) {
          await provider.teardown(ctx).catch(() => undefined);
          throw error;
        }
      },
    },
  ];
}
