// CLI for scripts/test.mjs, run with `node --import tsx test/harness/setup.ts setup|teardown`.
//   setup:    finds or starts the engine and builds the base images; prints one JSON object on
//             stdout: the environment variables to export to the integration tests.
//   teardown: sweeps test-labelled objects and stops the dockerd that setup started, if any
//             (it reads the variables setup printed from its own environment).
// Progress goes to stderr.
import { ensureBaseImages } from "./base-images.js";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { endpointFromEnv, formatDockerHost, ping } from "./docker-api.js";
import type { EngineHandle } from "./engine.js";
import { ensureEngine, isRunning, startDockerd, stopEngine, stopProcess } from "./engine.js";
import { startPodmanService } from "./podman.js";
import { TEST_REPO_PREFIX, danglingImages, DANGLING_BASELINE_ENV, kilnContainers, sweep } from "./leaks.js";

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
  const selected = process.env.KILN_TEST_ENGINE ?? "docker";
  if (selected === "podman") return setupPodman(started);
  if (selected !== "docker" && !(selected in MATRIX_DOCKERDS)) {
    throw new Error(
      `KILN_TEST_ENGINE=${selected}: expected docker, podman, ${Object.keys(MATRIX_DOCKERDS).join(", ")}`,
    );
  }
  const engine = selected === "docker" ? await ensureEngine({ log }) : await startMatrixDockerd(selected);
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
      KILN_TEST_ENGINE: selected,
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

/**
 * The engine matrix's other dockerd (.ci/engine-matrix): Debian 13's dockerd 26 unpacked by
 * .ci/fetch-trixie-docker, with its own data-root, exec-root and socket, started in the current
 * network namespace (the matrix gives each engine a namespace of its own).
 */
const MATRIX_DOCKERDS: Record<string, { features?: Record<string, boolean> }> = {
  docker26: {},
  "docker26-containerd": { features: { "containerd-snapshotter": true } },
};

async function startMatrixDockerd(name: string): Promise<Awaited<ReturnType<typeof ensureEngine>>> {
  const root = process.env.KILN_TEST_DOCKER26_ROOT || "/var/cache/kiln-engines/trixie/root";
  const binary = path.join(root, "usr/sbin/dockerd");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run .ci/fetch-trixie-docker first`);
  // A developer's second instance (KILN_TEST_MATRIX_INSTANCE) keeps out of CI's matrix run.
  const instance = process.env.KILN_TEST_MATRIX_INSTANCE ? `-${process.env.KILN_TEST_MATRIX_INSTANCE}` : "";
  const run = `/run/kiln-test-${name}${instance}`;
  const dataRoot = `/var/lib/kiln-test-${name}${instance}`;
  mkdirSync(run, { recursive: true });
  const config = path.join(run, "daemon.json");
  writeFileSync(config, JSON.stringify({ features: MATRIX_DOCKERDS[name]?.features ?? {} }));
  const dockerd = {
    socketPath: path.join(run, "docker.sock"),
    dataRoot,
    execRoot: path.join(run, "exec"),
    pidfile: path.join(run, "dockerd.pid"),
    binary,
    pathPrefix: [path.join(root, "usr/bin"), path.join(root, "usr/sbin")],
    extraArgs: [`--config-file=${config}`],
  };
  const endpoint = { kind: "unix" as const, socketPath: dockerd.socketPath };
  if (await ping(endpoint)) {
    log(`using the ${name} dockerd already answering at ${formatDockerHost(endpoint)}`);
    return { endpoint, dockerHost: formatDockerHost(endpoint) };
  }
  return startDockerd(dockerd, 60_000, log);
}

/** KILN_TEST_ENGINE=podman: a private Podman service instead of dockerd (test/harness/podman.ts). */
async function setupPodman(started: number): Promise<Record<string, string>> {
  const podman = await startPodmanService(log);
  const endpoint = endpointFromEnv({ DOCKER_HOST: podman.dockerHost });
  try {
    const images = await ensureBaseImages(endpoint, log);
    log(`setup done in ${elapsed(started)}`);
    return {
      DOCKER_HOST: podman.dockerHost,
      KILN_TEST_ENGINE: "podman",
      ...podman.env,
      ...images,
      // As for dockerd: the leak checks compare untagged images with these.
      [DANGLING_BASELINE_ENV]: (await danglingImages(endpoint)).join(","),
      ...(podman.pid !== undefined ? { KILN_TEST_PODMAN_PID: String(podman.pid) } : {}),
    };
  } catch (err) {
    if (podman.pid !== undefined) await stopProcess(podman.pid, log);
    throw err;
  }
}

async function teardown(): Promise<void> {
  const endpoint = endpointFromEnv();
  const pid = Number(process.env.KILN_TEST_DOCKERD_PID ?? "");
  const logDir = process.env.KILN_TEST_DOCKERD_LOGDIR ?? "";
  try {
    // The suite's per-step cache entries (kiln-cache:<key>) go with the test images.
    const removed = await sweep({ endpoint, repoPrefixes: [TEST_REPO_PREFIX, "kiln-cache:"] });
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
  const podmanPid = Number(process.env.KILN_TEST_PODMAN_PID ?? "");
  if (Number.isInteger(podmanPid) && podmanPid > 0 && isRunning(podmanPid)) {
    log(`stopping the Podman service this harness started (pid ${podmanPid})`);
    await stopProcess(podmanPid, log);
  }
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
