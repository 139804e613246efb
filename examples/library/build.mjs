#!/usr/bin/env node
// kiln as a library: build a Packer template on the engine the environment names (DOCKER_HOST,
// docker contexts, Podman), watching the run through its events, cancelled by Ctrl-C.
//
//   node build.mjs TEMPLATE [--var name=value]...
//
// Prints one line per provisioner step as it starts, then each build's artifacts. Exit 0 when
// every build succeeded, 1 when one failed, 2 for an invalid template.
import {
  buildTemplate,
  connectEngine,
  EventBus,
  formatDiagnostic,
  InvalidInputError,
  loadTemplate,
} from "kiln";

const [templatePath, ...rest] = process.argv.slice(2);
const vars = [];
for (let i = 0; i < rest.length; i += 2) {
  const [name, ...value] = rest[i + 1].split("=");
  vars.push([name, value.join("=")]);
}

let template;
try {
  template = await loadTemplate(templatePath, {
    vars,
    varFiles: [],
    env: process.env,
    cwd: process.cwd(),
    startTime: new Date(),
  });
} catch (e) {
  if (!(e instanceof InvalidInputError)) throw e;
  for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  process.exit(2);
}

const events = new EventBus();
events.subscribe((event) => {
  if (event.kind === "step-started") process.stdout.write(`[${event.build}] step ${event.step.name}\n`);
});
const cancel = new AbortController();
process.once("SIGINT", () => cancel.abort());

const session = await connectEngine(undefined, { env: process.env });
try {
  const outcomes = await buildTemplate(template, { engine: session.engine, events, signal: cancel.signal });
  for (const o of outcomes) {
    if (o.error) process.stdout.write(`[${o.name}] failed: ${o.error}\n`);
    for (const a of o.artifacts)
      process.stdout.write(
        `[${o.name}] artifact: ${a.kind} ${a.kind === "image" ? a.imageId : (a.path ?? a.id)}\n`,
      );
  }
  process.exitCode = outcomes.some((o) => o.error) ? 1 : 0;
} finally {
  await session.close();
}
