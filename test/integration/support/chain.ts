// Helpers for the chain integration tests: fixture trees, machine-readable chain-node records
// (the timeline of a run), every container in the engine (the builder's step containers carry no
// kiln name or label, so leak checks compare whole lists), and the engine's own event log.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dockerJson, dockerRequest } from "../../harness/docker-api.js";

export function writeTree(root: string, files: Record<string, string | object>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content, null, 2));
    if (name.endsWith(".sh")) chmodSync(file, 0o755);
  }
}

export interface NodeRecord {
  node: string;
  status: string;
  /** ms since the run started */
  t: number;
  fields: string[];
}

/** `<ts>,<node>,chain-node,<status>,<t>,…` records of a -machine-readable run. */
export function nodeRecords(stdout: string): NodeRecord[] {
  return [...stdout.matchAll(/^\d+,([^,]+),chain-node,([a-z-]+),(\d+)(.*)$/gm)].map((m) => ({
    node: m[1]!,
    status: m[2]!,
    t: Number(m[3]),
    fields: (m[4] ?? "").split(",").slice(1),
  }));
}

/** [start, end] of each node that ran. */
export function spans(stdout: string): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const r of nodeRecords(stdout)) {
    if (r.status === "started") out.set(r.node, [r.t, Number.NaN]);
    else if (out.has(r.node)) out.get(r.node)![1] = r.t;
  }
  return out;
}

export async function allContainerIds(): Promise<Set<string>> {
  const list = await dockerJson<{ Id: string }[]>("GET", "/containers/json", { query: { all: 1 } });
  return new Set(list.map((c) => c.Id));
}

/** Image pulls the engine recorded since `since` (unix seconds). */
export async function pullsSince(since: number): Promise<string[]> {
  const until = Math.floor(Date.now() / 1000) + 1;
  const res = await dockerRequest("GET", "/events", {
    query: {
      since: String(since),
      until: String(until),
      filters: JSON.stringify({ type: ["image"], event: ["pull"] }),
    },
  });
  return res.body
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { id?: string }).id ?? "");
}

export async function imageId(ref: string): Promise<string | undefined> {
  const res = await dockerRequest("GET", `/images/${encodeURIComponent(ref)}/json`);
  return res.status === 200 ? (JSON.parse(res.body.toString()) as { Id: string }).Id : undefined;
}

export async function removeImages(refs: string[]): Promise<void> {
  for (const ref of refs)
    await dockerRequest("DELETE", `/images/${encodeURIComponent(ref)}`, { query: { force: 1 } });
}
