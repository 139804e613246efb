// `kiln prune`: lists what interrupted kiln runs left behind (containers, temp files), and the
// containers kept by -on-error=abort, then removes those whose owning process is gone. Runs that
// are alive are never touched.
import type { Command } from "commander";
import { connectEngine, EngineConfigError, resolveEngineHost } from "../../engine/index.js";
import type { Engine, EngineHost, EngineSession } from "../../engine/index.js";
import { findLeftovers, removeLeftovers } from "../../run/reconcile.js";
import { stateDir } from "../../run/journal.js";
import { errorMessage } from "../../core/errors.js";

export function registerPrune(program: Command, setExit: (code: number) => void): void {
  program
    .command("prune")
    .description(
      "List and remove what interrupted kiln runs left behind, and containers kept by -on-error=abort (only runs whose process is gone).",
    )
    .option("--dry-run", "only list")
    .action(async (flags: { dryRun?: boolean }) => {
      let host: EngineHost;
      try {
        host = resolveEngineHost(process.env);
      } catch (e) {
        if (!(e instanceof EngineConfigError)) throw e;
        process.stderr.write(`Error: ${e.message}\n`);
        setExit(2);
        return;
      }
      let session: EngineSession | undefined;
      try {
        session = await connectEngine(host, { env: process.env });
      } catch (e) {
        process.stderr.write(
          `Cannot reach the Docker engine at ${host.description} (${errorMessage(e)}); listing host files only.\n`,
        );
      }
      try {
        setExit(await prune(session?.engine, Boolean(flags.dryRun)));
      } finally {
        await session?.close();
      }
    });
}

async function prune(engine: Engine | undefined, dryRun: boolean): Promise<number> {
  const reachable = engine !== undefined;
  const leftovers = await findLeftovers(engine ? [engine] : [], stateDir(process.env));
  if (leftovers.length === 0) {
    // Without the engine, "nothing" would be a claim about containers that were never checked.
    process.stdout.write(
      reachable
        ? "Nothing left behind by kiln.\n"
        : "Nothing left behind on this host; the engine was not checked.\n",
    );
    return reachable ? 0 : 1;
  }
  const label = {
    gone: "owner gone: will remove",
    alive: "owner still running: kept",
    "other-host": "owner on another host: kept",
  };
  for (const l of leftovers) process.stdout.write(`  ${l.description}  [${label[l.owner]}]\n`);
  if (dryRun) return 0;
  const { removed, failed } = await removeLeftovers(leftovers, { includeKept: true });
  process.stdout.write(`Removed ${removed.length} leftover(s).\n`);
  for (const [l, e] of failed)
    process.stderr.write(`Could not remove ${l.description}: ${errorMessage(e)}\n`);
  return failed.length > 0 || !reachable ? 1 : 0;
}
