// `kiln cache ls` / `kiln cache prune`: what the per-step cache holds in the engine, and removing it.
import type { Command } from "commander";
import { createEngine } from "../../engine/index.js";
import { LocalIndex } from "../../cache/local-index.js";
import { listEntries, pruneEntries, type CacheEntryInfo } from "../../cache/manage.js";
import { stateDir } from "../../run/journal.js";
import { errorMessage } from "../../core/errors.js";
import { formatDuration } from "../../ui/duration.js";
import { DEFAULT_MAX_AGE, parseAge } from "../cache-options.js";

const age = (ms: number) => formatDuration(BigInt(Math.max(0, Math.round(ms))) * 1_000_000n, 1);

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function table(entries: CacheEntryInfo[], now: Date): string {
  const rows = [
    ["KEY", "BUILD", "STEP", "SIZE", "AGE", "LAST USED"],
    ...entries.map((e) => [
      e.key.slice(0, 12),
      e.build ?? "?",
      e.step,
      size(e.size),
      `${age(now.getTime() - e.createdAt.getTime())} ago`,
      e.lastUsedAt ? `${age(now.getTime() - e.lastUsedAt.getTime())} ago` : "?",
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

export function registerCache(program: Command, setExit: (code: number) => void): void {
  const cache = program
    .command("cache")
    .description("The per-step cache: list its entries (ls) or remove them (prune).");
  cache
    .command("ls")
    .description("List cache entries: build, step, key, size, age, last use.")
    .option("--json", "one JSON document")
    .action(async (flags: { json?: boolean }) => {
      const engine = createEngine(process.env);
      try {
        const entries = await listEntries(engine, new LocalIndex(stateDir(process.env)));
        if (flags.json) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        else if (entries.length === 0) process.stdout.write("The cache is empty.\n");
        else process.stdout.write(table(entries, new Date()));
        setExit(0);
      } catch (e) {
        process.stderr.write(`Cannot list the cache in ${engine.endpoint}: ${errorMessage(e)}\n`);
        setExit(1);
      }
    });
  cache
    .command("prune")
    .description(
      `Remove cache entries older than -max-age (default ${DEFAULT_MAX_AGE}, as builds use them), or all with -all.`,
    )
    .option("--max-age <age>", "remove entries older than this (7d, 12h, 30m)", DEFAULT_MAX_AGE)
    .option("--all", "remove every entry")
    .action(async (flags: { maxAge: string; all?: boolean }) => {
      const maxAgeMs = parseAge(flags.maxAge);
      if (maxAgeMs === undefined) {
        process.stderr.write(
          `-max-age: ${JSON.stringify(flags.maxAge)} is not an age; write it as 7d, 12h, 90m or 30s.\n`,
        );
        setExit(2);
        return;
      }
      const engine = createEngine(process.env);
      try {
        const { removed, failed } = await pruneEntries(engine, new LocalIndex(stateDir(process.env)), {
          ...(flags.all ? {} : { maxAgeMs }),
        });
        const bytes = removed.reduce((n, e) => n + e.size, 0);
        process.stdout.write(
          `Removed ${removed.length} cache entr${removed.length === 1 ? "y" : "ies"} (${size(bytes)}).\n`,
        );
        for (const [entry, e] of failed) {
          process.stderr.write(
            `Could not remove ${entry.key.slice(0, 12)} (${entry.step}): ${errorMessage(e)}\n`,
          );
        }
        setExit(failed.length > 0 ? 1 : 0);
      } catch (e) {
        process.stderr.write(`Cannot prune the cache in ${engine.endpoint}: ${errorMessage(e)}\n`);
        setExit(1);
      }
    });
}
