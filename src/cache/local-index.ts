// What the engine cannot hold without leaking into users' images: per entry, the document its key
// was made from (so `kiln plan` can say which input changed), the template, build and step, and
// when it was last used. One file per key, written atomically: concurrent runs never corrupt it.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KeyDocument } from "./key.js";

export interface IndexRecord {
  version: 1;
  key: string;
  doc: KeyDocument;
  /** The template file (absolute) and build the step belongs to. */
  template: string;
  build: string;
  /** 0-based provisioner index and its display name. */
  index: number;
  step: string;
  /** How long the step ran when this entry was made (what a hit saves); absent in older records. */
  durationMs?: number;
  createdAt: string;
  lastUsedAt: string;
}

export class LocalIndex {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, "cache", "entries");
  }

  read(key: string): IndexRecord | undefined {
    try {
      const record = JSON.parse(readFileSync(join(this.dir, `${key}.json`), "utf8")) as IndexRecord;
      return record.version === 1 ? record : undefined;
    } catch {
      return undefined;
    }
  }

  write(record: IndexRecord): void {
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `${record.key}.json`);
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(record)}\n`);
    renameSync(temp, file);
  }

  touch(key: string, now: Date): void {
    const record = this.read(key);
    if (record) this.write({ ...record, lastUsedAt: now.toISOString() });
  }

  remove(key: string): void {
    rmSync(join(this.dir, `${key}.json`), { force: true });
  }

  all(): IndexRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.flatMap((n) => {
      if (!n.endsWith(".json")) return [];
      const r = this.read(n.slice(0, -5));
      return r ? [r] : [];
    });
  }

  /** The newest record for this template's build and step: what `kiln plan` compares against. */
  latestFor(template: string, build: string, index: number): IndexRecord | undefined {
    return this.all()
      .filter((r) => r.template === template && r.build === build && r.index === index)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
  }
}
