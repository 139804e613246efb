// Secret canaries and the places they must never reach. A canary is searched for as is and in the
// encodings a value takes on its way through tools: base64 (also inside a longer blob, at each of
// the three byte alignments, as in `auth` fields and Authorization headers), base64url, hex,
// URL-encoding and JSON escaping.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { DockerEndpoint } from "../../harness/docker-api.js";
import { dockerRequest } from "../../harness/docker-api.js";

export function canary(label: string): string {
  return `Kiln${label}${randomBytes(9).toString("hex")}`;
}

interface Needle {
  secret: number;
  variant: string;
  bytes: Buffer;
}

function base64Cores(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
    const first = Math.ceil((shift * 8) / 6);
    const end = Math.floor(((shift + bytes.length) * 8) / 6);
    out.push(shifted.slice(first, end));
  }
  return out;
}

export function needles(secrets: string[]): Needle[] {
  const out: Needle[] = [];
  secrets.forEach((secret, i) => {
    const bytes = Buffer.from(secret, "utf8");
    const variants: [string, string][] = [
      ["raw", secret],
      ["hex", bytes.toString("hex")],
      ["HEX", bytes.toString("hex").toUpperCase()],
      ["url", encodeURIComponent(secret)],
      ["json", JSON.stringify(secret).slice(1, -1)],
      ...base64Cores(bytes).flatMap((core, shift): [string, string][] => [
        [`base64@${shift}`, core],
        [`base64url@${shift}`, core.replace(/\+/g, "-").replace(/\//g, "_")],
      ]),
    ];
    const seen = new Set<string>();
    for (const [variant, text] of variants) {
      if (text.length < 8 || seen.has(text)) continue;
      seen.add(text);
      out.push({ secret: i, variant, bytes: Buffer.from(text, "latin1") });
    }
  });
  return out;
}

/** Where in `data` a canary shows up: `where: secret #i (variant)` per hit. */
export function scan(where: string, data: Buffer | string, secrets: string[]): string[] {
  const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const hits: string[] = [];
  for (const n of needles(secrets)) {
    if (buf.includes(n.bytes)) hits.push(`${where}: secret #${n.secret} (${n.variant})`);
  }
  return hits;
}

/** Every regular file under `roots` (skipping `exclude` and files over 64 MB). */
export function scanFiles(roots: string[], secrets: string[], exclude: Set<string> = new Set()): string[] {
  const hits: string[] = [];
  const walk = (p: string, depth: number): void => {
    if (exclude.has(p) || depth > 8) return;
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      let entries: string[] = [];
      try {
        entries = readdirSync(p);
      } catch {
        return;
      }
      for (const e of entries) walk(path.join(p, e), depth + 1);
    } else if (st.isFile() && st.size < 64 * 1024 * 1024) {
      try {
        hits.push(...scan(p, readFileSync(p), secrets));
      } catch {
        // unreadable: not ours
      }
    }
  };
  for (const r of roots) walk(r, 0);
  return hits;
}

/** `docker save` of the image (every layer and the config), its inspect and history, searched. */
export async function scanImage(endpoint: DockerEndpoint, ref: string, secrets: string[]): Promise<string[]> {
  const name = encodeURIComponent(ref);
  const saved = await dockerRequest("GET", "/images/get", {
    endpoint,
    query: { names: ref },
    timeoutMs: 120_000,
  });
  if (saved.status !== 200) throw new Error(`docker save ${ref}: HTTP ${saved.status}`);
  const inspect = await dockerRequest("GET", `/images/${name}/json`, { endpoint });
  const history = await dockerRequest("GET", `/images/${name}/history`, { endpoint });
  return [
    ...scan(`image ${ref} (docker save, ${saved.body.length} bytes)`, saved.body, secrets),
    ...scan(`image ${ref} inspect`, inspect.body, secrets),
    ...scan(`image ${ref} history`, history.body, secrets),
  ];
}

function ppidOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/**
 * Samples, every few milliseconds until stopped: the command line of every process on the machine
 * (container processes included), and the environment of `roots()` and their descendants (kiln and
 * whatever it starts; a container's processes legitimately hold the variables a provisioner gave
 * them, so their environments are not kiln's to keep clean).
 */
export function watchProcesses(
  secrets: string[],
  roots: () => number[],
): { stop(): Promise<{ hits: string[]; samples: number }> } {
  const hits = new Set<string>();
  const list = needles(secrets);
  let running = true;
  let samples = 0;
  const own = String(process.pid);
  const loop = (async () => {
    while (running) {
      samples++;
      const pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && p !== own);
      const tree = new Set(roots().map(String));
      const parents = new Map(pids.map((p) => [p, String(ppidOf(p))]));
      // Descendants of the roots (a few passes cover any depth that matters here).
      for (let pass = 0; pass < 4; pass++) for (const [p, pp] of parents) if (tree.has(pp)) tree.add(p);
      for (const pid of pids) {
        const files = tree.has(pid) ? ["cmdline", "environ"] : ["cmdline"];
        for (const file of files) {
          let data: Buffer;
          try {
            data = readFileSync(`/proc/${pid}/${file}`);
          } catch {
            continue;
          }
          for (const n of list) {
            if (data.includes(n.bytes)) {
              let comm = "?";
              try {
                comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
              } catch {
                // gone
              }
              hits.add(`/proc/${pid}/${file} (${comm}): secret #${n.secret} (${n.variant})`);
            }
          }
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { hits: [...hits], samples };
    },
  };
}
