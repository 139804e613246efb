// The run report of one `kiln build` / `kiln chain`: collects the run's events, and at the end asks
// the engine for the sizes and layers of the images it names, masks every string, and writes the
// JSON and/or HTML files (each atomically: a reader never sees half a report).
import { renameSync, writeFileSync } from "node:fs";
import type { EventBus } from "../core/events.js";
import type { Engine } from "../engine/types.js";
import { ReportCollector } from "./collect.js";
import { renderReportHtml } from "./html.js";
import type { Report } from "./model.js";

export interface ReportFiles {
  json?: string;
  html?: string;
}

export class ReportRecorder {
  private readonly collector: ReportCollector;

  constructor(
    bus: EventBus,
    private readonly files: ReportFiles,
    private readonly mask: (text: string) => string,
  ) {
    this.collector = new ReportCollector(bus);
  }

  /** Writes the files; returns the problems (an empty list when both were written). */
  async write(engine: Engine | undefined): Promise<string[]> {
    if (engine) await fillImages(this.collector, engine);
    const report = maskStrings(this.collector.report(), this.mask);
    const problems: string[] = [];
    if (this.files.json) save(this.files.json, `${JSON.stringify(report, null, 2)}\n`, problems);
    if (this.files.html) save(this.files.html, renderReportHtml(report), problems);
    return problems;
  }
}

async function fillImages(collector: ReportCollector, engine: Engine): Promise<void> {
  const seen = new Map<string, Promise<{ size?: number; layers?: string[] } | undefined>>();
  for (const image of collector.images()) {
    let found = seen.get(image.id);
    if (!found) {
      found = engine
        .inspectImage(image.id)
        .then((i) =>
          i
            ? { ...(i.Size !== undefined ? { size: i.Size } : {}), layers: i.RootFS?.Layers ?? [] }
            : undefined,
        )
        .catch(() => undefined); // gone (removed by the run), or the engine went away: sizes stay unknown
      seen.set(image.id, found);
    }
    const info = await found;
    if (info) Object.assign(image, info);
  }
}

function save(file: string, text: string, problems: string[]): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text);
    renameSync(temp, file);
  } catch (e) {
    problems.push(`could not write the report ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Every string of the report through the masker: outputs are masked already, causes may not be. */
export function maskStrings<T>(value: T, mask: (text: string) => string): T {
  if (typeof value === "string") return mask(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskStrings(v, mask)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, maskStrings(v, mask)]),
    ) as T;
  }
  return value;
}

export type { Report };
