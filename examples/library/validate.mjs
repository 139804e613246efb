#!/usr/bin/env node
// kiln as a library: validate a Packer template the way `kiln validate` does, and list the builds
// it would run, with each build's provisioners and post-processors. With --engine, also connect
// to the engine the environment names (DOCKER_HOST, docker contexts, Podman) and say which it is.
//
//   node validate.mjs TEMPLATE [--var name=value]... [--only a,b] [--engine]
//
// Exit 0: valid; 2: invalid (each problem as file:line:col: message); 1: the engine is unreachable.
import { connectEngine, formatDiagnostic, InvalidInputError, loadTemplate, planBuilds } from "kiln";

const args = process.argv.slice(2);
const vars = [];
let only = [];
let engine = false;
let template;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--var") {
    const [name, ...value] = args[++i].split("=");
    vars.push([name, value.join("=")]);
  } else if (args[i] === "--only") only = args[++i].split(",");
  else if (args[i] === "--engine") engine = true;
  else template = args[i];
}
if (!template) {
  process.stderr.write("usage: validate.mjs TEMPLATE [--var name=value]... [--only a,b] [--engine]\n");
  process.exit(2);
}

try {
  const loaded = await loadTemplate(template, {
    vars,
    varFiles: [],
    env: process.env,
    cwd: process.cwd(),
    startTime: new Date(),
  });
  const { builds, warnings } = planBuilds(loaded, only, []);
  for (const w of [...loaded.warnings, ...warnings]) process.stderr.write(`${formatDiagnostic(w)}\n`);
  for (const b of builds) {
    const provisioners = b.provisioners.map((p) => p.type).join(", ") || "none";
    const postProcessors =
      b.postProcessors.map((seq) => seq.map((p) => p.type).join(" → ")).join("; ") || "none";
    process.stdout.write(
      `build ${b.name}: image ${b.builder.image}; provisioners: ${provisioners}; post-processors: ${postProcessors}\n`,
    );
  }
} catch (e) {
  if (!(e instanceof InvalidInputError)) throw e;
  for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  process.exit(2);
}

if (engine) {
  try {
    const session = await connectEngine(undefined, { env: process.env });
    process.stdout.write(`engine: ${session.summary}\n`);
    await session.close();
  } catch (e) {
    process.stderr.write(`cannot reach the engine: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
