import type { ExecOptions, ExecResult, Node } from '@continuum/plugin-api';

/**
 * Where the docker CLI on a node talks to. `host` becomes DOCKER_HOST; absent means the node's
 * default daemon (the guest's dockerd on VM nodes).
 */
export interface DockerEndpoint {
  host?: string | undefined;
}

export function dockerEnv(endpoint: DockerEndpoint): Record<string, string> {
  return endpoint.host === undefined ? {} : { DOCKER_HOST: endpoint.host };
}

/** Runs `docker <args>` on the node with an argument array (never a shell string). */
export function docker(
  node: Node,
  endpoint: DockerEndpoint,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  return node.exec(['docker', ...args], { ...options, env: { ...dockerEnv(endpoint), ...options.env } });
}

/** Container names allow [a-zA-Z0-9_.-]; the run tag makes them findable by `continuum clean`. */
export function containerName(tag: string, component: string): string {
  return `ct-${tag}-${component}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

export const RUN_LABEL = 'continuum.run';
export const COMPONENT_LABEL = 'continuum.component';
