/**
 * `continuum clean --provider <name>`: remove what earlier runs left behind when their state file
 * is gone (crash, deleted run directory, another machine). Providers find their resources by the
 * run id / run tag they put in names and labels.
 */
export interface CleanOptions {
  /** Only this run's resources; omitted: everything this provider created (in the configured scope). */
  runId?: string;
  /** Report what would be removed without removing it. */
  dryRun?: boolean;
}

export interface CleanResult {
  /** Removed (or, with dryRun, found) resources, e.g. `{ resource: 'gcp-instance', name: 'continuum-k3x9-edge0' }`. */
  removed: { resource: string; name: string }[];
  /** Resources that could not be removed, with the reason. */
  errors: { resource: string; name: string; message: string }[];
}
