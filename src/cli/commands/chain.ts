// `kiln chain`: corpusops' IMAGES.json (unchanged) or a native chain file, run as a parallel
// graph of Packer templates and Dockerfiles. Flags of the original (`--images`, `--list`, …) and
// kiln's (`-graph`, `-only=node+`, `-fail-fast`, …). Everything before the builds is pure: a bad
// chain exits 2 without contacting the engine. docs/chains.md documents it.
import type { Command } from "commander";
import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative, resolve } from "node:path";
import type { Ui } from "../../ui/ui.js";
import { defaultRegistry } from "../../components/registry.js";
import { EventBus } from "../../core/events.js";
import { renderEvents } from "../../ui/render-events.js";
import { eventPlainUi } from "../../ui/event-ui.js";
import { kilnVersion } from "../version.js";
import { formatDiagnostic, InvalidInputError } from "../../template/diagnostic.js";
import type { LoadOptions } from "../../template/types.js";
import { resolvePullAuth } from "../../builders/docker/pull-auth.js";
import { stateDir } from "../../run/journal.js";
import { checkTemplate, reportError } from "../load.js";
import { loadTemplate as loadTemplateFile } from "../../template/load.js";
import { splitList } from "../argv.js";
import { connectOrSay, makeRunUi, prepareEngines, startRun, type RunUi } from "../run-setup.js";
import { addProgressOptions, progressModeOrSay, type ProgressFlags } from "../progress-options.js";
import { chainEngines, engineFlagNames, type ChainEngine } from "../chain-engines.js";
import type { EngineSession } from "../../engine/connect.js";
import { ImageReference } from "../../engine/reference.js";
import {
  addReportOptions,
  finishReport,
  recordReport,
  reportFilesOrSay,
  type ReportFlags,
} from "../report-options.js";
import type { ReportFiles } from "../../report/recorder.js";
import { addCacheOptions, cacheOptionsFrom, type CacheFlags } from "../cache-options.js";
import { resolveAuth, describeSource } from "../../auth/resolve.js";
import { readChain } from "../../chain/read-chain.js";
import { planChain, problemsOf } from "../../chain/plan.js";
import { selectNodes, splitNames } from "../../chain/select.js";
import { discoverFolder } from "../../chain/discover.js";
import { generateImages } from "../../chain/generate-images.js";
import { dryRunLines, graphDot, graphText, listFromImages, listLines } from "../../chain/describe.js";
import { runChain } from "../../chain/run-chain.js";
import { emitPipeline, parseEmitTarget, type EmitTarget } from "../../chain/emit/emit-pipeline.js";
import {
  bringNodeImages,
  parseNodeImages,
  publishNodeImages,
  type NodeImage,
} from "../../chain/ci-exchange.js";
import { suggest } from "../../template/suggest.js";
import { writeFileSync } from "node:fs";
import { errorMessage } from "../../core/errors.js";
import { shellWord } from "../../chain/emit/shell-quote.js";

interface ChainFlags extends CacheFlags, ReportFlags, ProgressFlags {
  images?: string[];
  skipImages?: string[];
  imagesFiles?: string[];
  builderArgs?: string;
  squash: boolean;
  dryRun?: boolean;
  list?: boolean;
  generateImages?: boolean;
  packerTemplate?: string;
  dockerFolder?: string;
  ansibleFolder?: string;
  saltFolder?: string;
  only?: string[];
  graph?: string | boolean;
  parallelBuilds?: string;
  failFast?: boolean;
  engine?: string[];
  transferRegistry?: string;
  node?: string;
  nodeImage?: string[];
  recordDigests?: string;
  emit?: string;
  emitFile?: string;
  color: boolean;
  colorExplicit?: boolean;
  timestampUi?: boolean;
  machineReadable?: boolean;
}

const DEFAULT_PARALLEL = Math.max(1, availableParallelism());

export function registerChain(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command("chain")
    .description(
      "Build a chain of images (corpusops' docker/IMAGES.json unchanged, or a native chain file) as a parallel graph of Packer templates and Dockerfiles.",
    )
    .argument(
      "[files-or-names...]",
      "chain files (IMAGES.json or a native chain file); other arguments select nodes, as --images",
    )
    .option("--images <names...>", "build only these nodes (key, tag or name; env IMAGES / BUILD_IMAGES)")
    .option("--skip-images <names...>", "do not build these nodes (env SKIP_IMAGES)")
    .option(
      "--images-files <files...>",
      "IMAGES.json files (env IMAGES_FILE; default docker/IMAGES.json, or .docker/IMAGES.json)",
    )
    .option(
      "--builder-args <args>",
      "flags for every builder, before each entry's extra_args (env BUILDER_ARGS)",
    )
    .option(
      "--no-squash",
      "do not squash Dockerfile images (env NO_SQUASH); squashed by default, as corpusops does",
    )
    .option("--dry-run", "read, check and plan everything, print what would be built; build nothing")
    .option("--list", "list the nodes (the names --images takes) and exit")
    .option(
      "--generate-images",
      "write <folder>/packer/<file> for each Packer entry from the packer template",
    )
    .option(
      "--packer-template <file>",
      "template for --generate-images (env PACKER_TEMPLATE; default <docker folder>/packer.json)",
    )
    .option("--docker-folder <dir>", "the docker folder (env DOCKER_FOLDER; default docker, or .docker)")
    .option(
      "--ansible-folder <dir>",
      "__ANSIBLE_FOLDER for --generate-images (env ANSIBLE_FOLDER; default ansible, or .ansible)",
    )
    .option(
      "--salt-folder <dir>",
      "__SALT_FOLDER for --generate-images (env SALT_FOLDER; default salt, or .salt)",
    )
    .option(
      "--only <nodes>",
      "build only these nodes (comma-separated; `node+`: it and what needs it; `+node`: it and what it needs; globs)",
      splitList,
    )
    .option("--graph [format]", "print the graph (text, or dot) and exit")
    .option(
      "--parallel-builds <n>",
      `nodes built at once per engine (default: the number of CPUs, ${DEFAULT_PARALLEL} here)`,
    )
    .option("--fail-fast", "at the first failure start nothing more and cancel the running nodes")
    .option(
      "--engine <name=docker_host>",
      "another engine nodes may run on (a node's `engine` in the native file); repeatable",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option(
      "--transfer-registry <host:port/repo>",
      "move images between engines through this registry (by digest); default: streamed engine to engine",
    )
    .option(
      "--node <name>",
      "build exactly this node (one job of an emitted pipeline); --images, -only, IMAGES, SKIP_IMAGES do not apply",
    )
    .option(
      "--node-image <node=repo@digest>",
      "before building, pull this node's image by digest and tag it as the node's tags; repeatable",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option(
      "--record-digests <file>",
      "push each built node's image to -transfer-registry and append KILN_IMAGE_<NODE>=repo@digest to this file",
    )
    .option("--emit <target>", "write a CI pipeline running the chain, one job per node: gitlab or github")
    .option("--emit-file <path>", "with -emit: write the pipeline to this file (default: standard output)")
    .option("--color", "force colours on (the default, unless NO_COLOR / PACKER_NO_COLOR)")
    .option("--no-color", "disable colours (also NO_COLOR / PACKER_NO_COLOR)")
    .option("--timestamp-ui", "prefix output with RFC3339 timestamps")
    .option("--machine-readable", "machine-readable output, with chain-node records");
  addProgressOptions(addReportOptions(addCacheOptions(cmd))).action(
    async (args: string[], flags: ChainFlags, cmd: Command) => {
      flags.colorExplicit = cmd.getOptionValueSource("color") === "cli" ? flags.color : undefined;
      if (cmd.getOptionValueSource("squash") !== "cli" && nonEmpty(process.env.NO_SQUASH))
        flags.squash = false;
      setExit(await chain(args, flags));
    },
  );
}

function nonEmpty(v: string | undefined): boolean {
  return v !== undefined && v.trim() !== "";
}

const err = (s: string): void => void process.stderr.write(s + "\n");
const out = (s: string): void => void process.stdout.write(s + "\n");

async function chain(args: string[], flags: ChainFlags): Promise<number> {
  const env = process.env;
  const cwd = process.cwd();
  const parallel = flags.parallelBuilds === undefined ? DEFAULT_PARALLEL : Number(flags.parallelBuilds);
  if (!Number.isInteger(parallel) || parallel < 1) {
    err(`-parallel-builds: expected a whole number ≥ 1, got ${JSON.stringify(flags.parallelBuilds)}`);
    return 2;
  }
  const reportFiles = reportFilesOrSay(flags, err);
  if (reportFiles === undefined) return 2;
  let emitTarget: EmitTarget | undefined;
  try {
    if (flags.emit !== undefined) emitTarget = parseEmitTarget(flags.emit);
    else if (flags.emitFile !== undefined) throw usage("-emit-file needs -emit=gitlab or -emit=github");
    if (flags.recordDigests !== undefined && flags.transferRegistry === undefined)
      throw usage(
        "-record-digests needs -transfer-registry: the images are pushed there, by digest",
        "e.g. -transfer-registry=registry.example.com/kiln-transfer -record-digests=kiln.env",
      );
  } catch (e) {
    return reportError(e, err);
  }
  const progress = progressModeOrSay(flags, err);
  if (progress === undefined) return 2;
  const graphFormat = flags.graph === undefined ? undefined : flags.graph === true ? "text" : flags.graph;
  if (graphFormat !== undefined && graphFormat !== "text" && graphFormat !== "dot") {
    err(`-graph: expected text or dot, got ${JSON.stringify(graphFormat)}`);
    return 2;
  }
  // Positional arguments: chain files when they exist, node names otherwise (the original's extra images).
  const files = args.filter((a) => isFile(resolve(cwd, a))).map((a) => resolve(cwd, a));
  const names = args.filter((a) => !isFile(resolve(cwd, a)));
  const dockerFolder = discoverFolder(cwd, flags.dockerFolder ?? env.DOCKER_FOLDER ?? "docker");
  const imagesFiles = flags.imagesFiles ?? splitNames([env.IMAGES_FILE]);
  if (files.length === 0) {
    files.push(
      ...(imagesFiles.length > 0 ? imagesFiles : [join(dockerFolder, "IMAGES.json")]).map((f) =>
        resolve(cwd, f),
      ),
    );
  }
  const squash = flags.squash;
  try {
    const read = await readChain(files, {
      cwd,
      env,
      builderArgs: flags.builderArgs ?? env.BUILDER_ARGS ?? "",
      squash,
      engines: ["default", ...engineFlagNames(flags.engine ?? [])],
    });
    for (const w of read.warnings) err(formatDiagnostic(w));

    if (flags.generateImages) {
      if (read.spec.format !== "images-json") throw usage("--generate-images works on IMAGES.json files");
      const template = resolve(
        cwd,
        flags.packerTemplate ??
          (nonEmpty(env.PACKER_TEMPLATE) ? env.PACKER_TEMPLATE! : join(dockerFolder, "packer.json")),
      );
      if (!existsSync(template)) {
        throw usage(
          `the packer template ${relative(cwd, template) || template} does not exist`,
          "give it with --packer-template (env PACKER_TEMPLATE); default <docker folder>/packer.json",
        );
      }
      await generateImages(
        read.entries,
        template,
        {
          docker: dockerFolder,
          ansible: discoverFolder(cwd, flags.ansibleFolder ?? env.ANSIBLE_FOLDER ?? "ansible"),
          salt: discoverFolder(cwd, flags.saltFolder ?? env.SALT_FOLDER ?? "salt"),
        },
        (path) => out(`Writing ${relative(cwd, path) || path}`),
      );
      return 0;
    }
    if (flags.list) {
      const rows =
        read.spec.format === "images-json"
          ? listFromImages(read.entries, cwd)
          : read.spec.nodes.map((n) => ({
              name: n.name,
              selector: n.name,
              kind: n.source.kind,
              file: n.file,
              tags: n.tags,
            }));
      for (const line of listLines(rows)) out(line);
      return 0;
    }

    const startTime = new Date();
    const loadTemplate = async (path: string, opts: LoadOptions) =>
      checkTemplate(await loadTemplateFile(path, opts));
    const plan = await planChain(read.spec, { loadTemplate, env, startTime });
    const include = [
      ...(flags.images ?? splitNames([nonEmpty(env.IMAGES) ? env.IMAGES : env.BUILD_IMAGES])),
      ...names,
      ...(flags.only ?? []),
    ];
    const allNodes = read.spec.nodes.map((n) => n.name);
    const selected =
      flags.node !== undefined
        ? exactNode(flags.node, allNodes, flags, names)
        : selectNodes(read.spec.nodes, plan.edges, {
            include,
            skip: flags.skipImages ?? splitNames([env.SKIP_IMAGES]),
          });
    const nodeImages = parseNodeImages(flags.nodeImage ?? [], allNodes);
    for (const i of nodeImages) {
      if (selected.has(i.node))
        throw usage(
          `--node-image ${i.node}=…: node ${i.node} is built by this run`,
          "--node-image gives the images of nodes built elsewhere (by the jobs this one needs)",
        );
    }
    for (const w of problemsOf(plan, selected)) err(formatDiagnostic(w));
    if (graphFormat !== undefined) {
      out(graphFormat === "dot" ? graphDot(plan, selected) : graphText(plan, selected, cwd));
      return 0;
    }
    if (emitTarget !== undefined) {
      const text = emitPipeline(emitTarget, plan, selected, {
        cwd,
        cache: flags.cache,
        cacheFrom: flags.cacheFrom ?? [],
        squash,
        ...(read.spec.format === "images-json"
          ? { builderArgs: flags.builderArgs ?? env.BUILDER_ARGS ?? "" }
          : {}),
        command: ["kiln", ...process.argv.slice(2)].map(shellWord).join(" "),
        kilnVersion: kilnVersion(),
        ...(flags.transferRegistry !== undefined ? { transferRegistry: flags.transferRegistry } : {}),
        ...(flags.cacheTo !== undefined ? { cacheTo: flags.cacheTo } : {}),
        secrets: plan.nodes.flatMap((n) => n.template?.sensitiveValues ?? []),
      });
      if (flags.emitFile !== undefined) writeFileSync(resolve(cwd, flags.emitFile), text);
      else process.stdout.write(text);
      return 0;
    }
    const engines: ChainEngine[] = chainEngines(flags.engine ?? [], read.spec.engines ?? [], env);
    if (flags.transferRegistry !== undefined) checkTransferRegistry(flags.transferRegistry);

    let ui: Ui;
    let follow: RunUi["follow"];
    try {
      // A dry run only prints what it would do: no live view.
      ({ ui, follow } = makeRunUi(flags, flags.dryRun ? "plain" : progress));
    } catch (e) {
      err(`Error: ${e instanceof Error ? e.message : String(e)}`);
      return 1;
    }
    for (const n of plan.nodes) for (const s of n.template?.sensitiveValues ?? []) ui.addSecret(s);
    if (flags.dryRun) {
      for (const line of dryRunLines(plan, selected, cwd, parallel)) ui.say(line);
      ui.close?.();
      return 0;
    }

    let cacheOptions;
    try {
      cacheOptions = cacheOptionsFrom(flags, {
        stateDir: stateDir(env),
        env,
        template: files[0]!,
        cwd,
        secrets: () => plan.nodes.flatMap((n) => n.template?.sensitiveValues ?? []),
        addSecret: (v) => ui.addSecret(v),
      });
    } catch (e) {
      ui.close?.();
      throw e;
    }
    return await build(plan, selected, ui, engines, {
      cacheOptions,
      noCache: !flags.cache,
      parallel,
      failFast: Boolean(flags.failFast),
      ...(flags.transferRegistry !== undefined ? { transferRegistry: flags.transferRegistry } : {}),
      nodeImages,
      ...(flags.recordDigests !== undefined ? { recordDigests: resolve(cwd, flags.recordDigests) } : {}),
      loadTemplate,
      startTime,
      reportFiles,
      follow,
    });
  } catch (e) {
    return reportError(e, err);
  }
}

async function build(
  plan: Awaited<ReturnType<typeof planChain>>,
  selected: Set<string>,
  ui: Ui,
  engines: readonly ChainEngine[],
  o: {
    cacheOptions: ReturnType<typeof cacheOptionsFrom>;
    noCache: boolean;
    parallel: number;
    failFast: boolean;
    transferRegistry?: string;
    nodeImages: readonly NodeImage[];
    recordDigests?: string;
    loadTemplate: Parameters<typeof planChain>[1]["loadTemplate"];
    startTime: Date;
    reportFiles: ReportFiles;
    follow: RunUi["follow"];
  },
): Promise<number> {
  const events = new EventBus();
  events.subscribe(renderEvents(ui));
  o.follow(events);
  const report = recordReport(events, o.reportFiles, ui);
  const say = eventPlainUi(events, ui);
  // Only the engines the selected nodes use are connected.
  const used = new Set(plan.nodes.filter((n) => selected.has(n.spec.name)).map((n) => n.spec.engine));
  used.add("default");
  const sessions = new Map<string, EngineSession>();
  let code = 1;
  try {
    for (const e of engines) {
      if (!used.has(e.name)) continue;
      const session = await connectOrSay(e.host, {
        say: (m) => say.say(engines.length > 1 ? `engine ${e.name}: ${m}` : m),
        error: (m) => say.error(engines.length > 1 ? `engine ${e.name}: ${m}` : m),
      });
      if (session === undefined) {
        ui.close?.();
        for (const open of sessions.values()) await open.close();
        sessions.clear();
        return await finishReport(report, undefined, 1);
      }
      sessions.set(e.name, session);
      events.emit({
        kind: "engine",
        name: e.name,
        endpoint: e.host.description,
        version: `${session.identity.product} ${session.identity.version}`,
        api: session.identity.apiVersion,
      });
    }
    code = await buildOn(sessions, engines, plan, selected, { ui, events, say }, o);
  } finally {
    // Image sizes and layers for the report are asked of the default engine.
    if (sessions.size > 0) code = await finishReport(report, sessions.get("default")?.engine, code);
    for (const s of sessions.values()) await s.close();
  }
  return code;
}

async function buildOn(
  sessions: ReadonlyMap<string, EngineSession>,
  declared: readonly ChainEngine[],
  plan: Awaited<ReturnType<typeof planChain>>,
  selected: Set<string>,
  out: { ui: Ui; events: EventBus; say: ReturnType<typeof eventPlainUi> },
  o: Parameters<typeof build>[4],
): Promise<number> {
  const { ui, events, say } = out;
  const stateDirectory = stateDir(process.env);
  await prepareEngines(
    [...sessions.values()].map((s) => s.engine),
    stateDirectory,
    say,
  );
  const started = startRun(stateDirectory, say);
  const { identity, journal, activeCleanups, signals } = started;
  const auth = async (registry: string) =>
    (
      await resolveAuth(registry, {
        env: process.env,
        signal: signals.signal,
        onSecret: (v) => ui.addSecret(v),
        onWarning: (w) => say.error(w),
      })
    ).auth;
  const exchange = { auth, signal: signals.signal, say: (m: string) => say.say(m) };
  try {
    if (o.nodeImages.length > 0) {
      try {
        await bringNodeImages(
          sessions.get("default")!.engine,
          o.nodeImages.map((i) => ({ ...i, tags: plan.byName.get(i.node)?.produces ?? [] })),
          exchange,
        );
      } catch (e) {
        say.error(errorMessage(e));
        return signals.exitCode() ?? 1;
      }
    }
    const outcome = await runChain(
      plan,
      selected,
      {
        engines: new Map([...sessions].map(([name, s]) => [name, s.engine])),
        engineEndpoints: new Map([...sessions].map(([name, s]) => [name, s.engine.endpoint])),
        ...(o.transferRegistry !== undefined ? { transferRegistry: o.transferRegistry } : {}),
        placedNodes: new Map(o.nodeImages.map((i) => [i.node, `pulled as ${i.ref}`])),
        ui,
        events,
        registry: defaultRegistry(),
        identity,
        signal: signals.signal,
        hostEnv: process.env,
        activeCleanups,
        track: journal,
        pullAuth: (b, image, bui) =>
          resolvePullAuth(b.builder, image, bui, (v) => ui.addSecret(v), process.env, signals.signal),
        registryAuth: async (registry, bui) => {
          const resolved = await resolveAuth(registry, {
            env: process.env,
            signal: signals.signal,
            onSecret: (v) => ui.addSecret(v),
            onWarning: (w) => bui.error(w),
          });
          if (resolved.auth)
            bui.message(`Using credentials for ${resolved.server} from ${describeSource(resolved)}`);
          return resolved.auth;
        },
        loadTemplate: o.loadTemplate,
        startTime: o.startTime,
        noCache: o.noCache,
        ...(o.cacheOptions ? { cacheOptions: o.cacheOptions } : {}),
      },
      {
        parallel: o.parallel,
        engineParallel: new Map(
          declared.flatMap((e) => (e.parallel !== undefined ? [[e.name, e.parallel] as const] : [])),
        ),
        failFast: o.failFast,
        runId: identity.runId,
        kilnVersion: kilnVersion(),
        command: process.argv.slice(2),
      },
    );
    const code = signals.exitCode();
    if (code !== undefined) return code;
    if (outcome.failed > 0 || [...outcome.nodes.values()].some((n) => n.status === "cancelled")) return 1;
    if (o.recordDigests !== undefined && o.transferRegistry !== undefined) {
      const built = plan.nodes.flatMap((n) => {
        const id = outcome.nodes.get(n.spec.name)?.outcome?.imageId;
        return selected.has(n.spec.name) && id !== undefined ? [{ node: n.spec.name, imageId: id }] : [];
      });
      try {
        await publishNodeImages(
          sessions.get("default")!.engine,
          built,
          plan.nodes.map((n) => n.spec.name),
          o.transferRegistry,
          o.recordDigests,
          exchange,
        );
      } catch (e) {
        say.error(errorMessage(e));
        return signals.exitCode() ?? 1;
      }
    }
    return 0;
  } finally {
    started.end();
    ui.close?.();
  }
}

/** `host[:port]/repository`, no tag or digest: kiln adds its own tag and pulls by digest. */
function checkTransferRegistry(value: string): void {
  let ref: ImageReference | undefined;
  try {
    ref = ImageReference.parse(value);
  } catch {
    ref = undefined;
  }
  if (ref === undefined || ref.tag !== undefined || ref.digest !== undefined || !value.includes("/"))
    throw usage(
      `-transfer-registry: expected host[:port]/repository, got ${JSON.stringify(value)}`,
      "e.g. -transfer-registry=registry.example.com:5000/kiln-transfer (no tag: kiln tags and pulls by digest)",
    );
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `--node NAME`: that node alone, whatever the environment's selection says. */
function exactNode(
  node: string,
  all: readonly string[],
  flags: ChainFlags,
  names: readonly string[],
): Set<string> {
  if (
    flags.images !== undefined ||
    flags.skipImages !== undefined ||
    flags.only !== undefined ||
    names.length > 0
  )
    throw usage(
      "--node builds one node: it does not combine with --images, --skip-images, -only or node names",
      "give either --node NAME or the other selection flags",
    );
  if (!all.includes(node)) {
    throw new InvalidInputError([
      {
        severity: "error",
        summary: `--node ${JSON.stringify(node)}: the chain has no node of that name`,
        detail: "kiln chain --list shows the node names (IMAGES.json: packer__<file>, dockerfile__<tag>)",
        suggestions: suggest(node, all),
      },
    ]);
  }
  return new Set([node]);
}

function usage(summary: string, detail?: string): InvalidInputError {
  return new InvalidInputError([{ severity: "error", summary, ...(detail ? { detail } : {}) }]);
}
