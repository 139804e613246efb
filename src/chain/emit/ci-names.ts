// The names a chain's nodes take in a CI pipeline: a job id (GitHub's `^[_a-zA-Z][a-zA-Z0-9_-]*$`,
// also a fine GitLab job name) and the variable that carries the node's image digest from its job
// to the jobs that need it (a GitLab dotenv report, a GitHub job output). The generator and the
// job's own `kiln chain` compute them from the same node list, so they always agree.

export interface CiName {
  /** The job id. */
  job: string;
  /** `KILN_IMAGE_<JOB>`: the digest reference of the node's image. */
  variable: string;
}

/** One name per node, in the nodes' order; unique even when two names clean up alike. */
export function ciNames(nodes: readonly string[]): Map<string, CiName> {
  const names = new Map<string, CiName>();
  const taken = new Set<string>();
  for (const node of nodes) {
    let base = node.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "");
    if (!/^[A-Za-z_]/.test(base)) base = `node_${base}`;
    // Variables are upper case with `_` for `-`: `a-b` and `A_b` would share one.
    const key = (job: string): string => job.toUpperCase().replace(/-/g, "_");
    let job = base;
    for (let i = 2; taken.has(key(job)); i++) job = `${base}_${i}`;
    taken.add(key(job));
    names.set(node, { job, variable: `KILN_IMAGE_${key(job)}` });
  }
  return names;
}
