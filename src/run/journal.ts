// A per-run record of host paths kiln created (temp dirs, partial output files), so that a run
// killed with SIGKILL still leaves a record the next run (or `kiln prune`) can act on. Engine
// objects need no journal: build containers are named after their owner (ownership.ts).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { RunIdentity } from "../core/ownership.js";

export interface JournalRecord {
  version: 1;
  runId: string;
  pid: number;
  host: string;
  /** The process's start time (ownership.ts); absent in records of older kiln and without /proc. */
  start?: number;
  started: string;
  paths: string[];
}

export function stateDir(env: NodeJS.ProcessEnv): string {
  if (env.KILN_STATE_DIR) return env.KILN_STATE_DIR;
  const base = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "kiln");
}

export class Journal {
  private record: JournalRecord;
  private readonly file: string;
  private written = false;

  constructor(
    private readonly dir: string,
    id: RunIdentity,
  ) {
    this.record = {
      version: 1,
      runId: id.runId,
      pid: id.pid,
      host: id.host,
      ...(id.start !== undefined ? { start: id.start } : {}),
      started: new Date().toISOString(),
      paths: [],
    };
    this.file = join(dir, `${id.runId}.json`);
  }

  add(path: string): void {
    this.record.paths.push(path);
    this.flush();
  }

  remove(path: string): void {
    this.record.paths = this.record.paths.filter((p) => p !== path);
    this.flush();
  }

  /** The run ended with everything cleaned up: no record left. */
  close(): void {
    if (this.record.paths.length === 0) rmSync(this.file, { force: true });
    else this.flush();
  }

  private flush(): void {
    // Synchronous and atomic on purpose: it must be on disk before the thing it records is used.
    if (!this.written) mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.written = true;
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(this.record), { mode: 0o600 });
    renameSync(temp, this.file);
  }
}

export function readJournals(dir: string): { file: string; record: JournalRecord }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const out: { file: string; record: JournalRecord }[] = [];
  for (const n of names) {
    try {
      const record = JSON.parse(readFileSync(join(dir, n), "utf8")) as JournalRecord;
      if (record.version === 1) out.push({ file: join(dir, n), record });
    } catch {
      // a torn or foreign file: not ours to judge
    }
  }
  return out;
}
