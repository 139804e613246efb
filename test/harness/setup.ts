// CLI for scripts/test.mjs, run with `node --import tsx test/harness/setup.ts setup|teardown`.
//   setup:    finds or starts the engine and builds the base images; prints one JSON object on
//             stdout: the environment variables to export to the integration tests.
//   teardown: sweeps test-labelled objects and stops the dockerd that setup started, if any
//             (it reads the variables setup printed from its own environment).
// Progress goes to stderr.
import { ensureBaseImages } from "./base-images.js";
import { endpointFromEnv, formatDockerHost } from "./docker-api.js";
import type { EngineHandle } from "./engine.js";
import { ensureEngine, stopEngine } from "./engine.js";
import { danglingImages, DANGLING_BASELINE_ENV, kilnContainers, sweep } from "./leaks.js";

const log = (message: string): void => {
  process.stderr.write(`harness: ${message}\n`);
};

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

// Interrupted mid-setup: nobody will receive the variables, so stop a dockerd started here.
let startedEngine: EngineHandle["started"];
function stopOnSignal(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal} during setup`);
      void stopEngine(startedEngine, log).finally(() => process.exit(130));
    });
  }
}

async function setup(): Promise<Record<string, string>> {
  const started = Date.now();
  const engine = await ensureEngine({ log });
  startedEngine = engine.started;
  log(`engine ready at ${engine.dockerHost} after ${elapsed(started)}`);
  try {
    const imagesStarted = Date.now();
    const images = await ensureBaseImages(engine.endpoint, log);
    log(`base images ready after ${elapsed(imagesStarted)}`);
    const leftovers = await kilnContainers(engine.endpoint);
    if (leftovers.length > 0) {
      log(`warning: ${leftovers.length} kiln build container(s) exist before the tests:`);
      for (const o of leftovers) log(`  ${o.description}`);
    }
    const env: Record<string, string> = {
      DOCKER_HOST: engine.dockerHost,
      ...images,
      // Untagged images already there; any other one at the end of a test file is a leak.
      [DANGLING_BASELINE_ENV]: (await danglingImages(engine.endpoint)).join(","),
    };
    if (engine.started !== undefined) {
      env.KILN_TEST_DOCKERD_PID = String(engine.started.pid);
      env.KILN_TEST_DOCKERD_LOGDIR = engine.started.logDir;
    }
    log(`setup done in ${elapsed(started)}`);
    return env;
  } catch (err) {
    await stopEngine(engine.started, log); // nobody else will know to stop it
    throw err;
  }
}

async function teardown(): Promise<void> {
  const endpoint = endpointFromEnv();
  const pid = Number(process.env.KILN_TEST_DOCKERD_PID ?? "");
  const logDir = process.env.KILN_TEST_DOCKERD_LOGDIR ?? "";
  try {
    const removed = await sweep({ endpoint });
    if (removed.length > 0)
      log(`swept ${removed.length} test-created object(s) at ${formatDockerHost(endpoint)}`);
    const leftovers = await kilnContainers(endpoint);
    if (leftovers.length > 0) {
      log(`warning: ${leftovers.length} kiln build container(s) remain:`);
      for (const o of leftovers) log(`  ${o.description}`);
    }
  } catch (err) {
    log(`sweep failed: ${(err as Error).message}`);
  }
  if (Number.isInteger(pid) && pid > 0 && logDir !== "") await stopEngine({ pid, logDir }, log);
}

const command = process.argv[2] ?? "setup";
try {
  if (command === "setup") stopOnSignal();
  if (command === "setup") process.stdout.write(`${JSON.stringify(await setup())}\n`);
  else if (command === "teardown") await teardown();
  else throw new Error(`usage: setup.ts setup|teardown (got ${command})`);
} catch (err) {
  log(`${command} failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
