import type { RelayRecord } from './relay.js';

/**
 * The provider's write-ahead state: every kernel object and process is recorded here BEFORE it
 * is created, so teardown (possibly in a new process after a crash) removes exactly these.
 */
export interface LocalState {
  version: 1;
  tag: string;
  mode: 'netns' | 'process';
  subnet?: string;
  bridge?: string;
  namespaces: string[];
  /** Host-side interfaces (veth ends, scratch probe pair). Relay TAPs die with the relay. */
  links: string[];
  /** Node cgroup directories (absolute), removed before `cgroupParents`. */
  cgroups: string[];
  cgroupParents: string[];
  relay?: RelayRecord;
}

export function emptyState(tag: string, mode: LocalState['mode']): LocalState {
  return { version: 1, tag, mode, namespaces: [], links: [], cgroups: [], cgroupParents: [] };
}
