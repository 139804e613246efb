// Packer's -machine-readable output: `<unix-ts>,<target>,<type>,<data…>`, one record per line. UI
// lines have an empty target and carry the `==> build: ` prefix inside the text. Packer 1.6.6
// meant to scrub secrets here but its loop overwrote the scrubbed value (packer/ui.go
// MachineReadableUi.Machine), so it printed them in clear; kiln masks every field.
import { prefixLines, timestampLine } from "./format.js";
import { createLineSink } from "./line-sink.js";
import type { Logger } from "./log.js";
import { SecretMasker } from "./mask.js";
import type { BuildUi, PlainUi, Ui } from "./ui.js";

export interface MachineUiOptions {
  out: NodeJS.WritableStream;
  /** `-timestamp-ui` also applies here: the RFC3339 stamp goes inside the ui text. */
  timestamps?: boolean;
  now?: () => Date;
  masker?: SecretMasker;
  /** Every record is also logged; `close()` closes it. */
  log?: Logger;
}

/** Packer's escaping of one field: commas, then CR, then LF. */
export function escapeMachineField(field: string): string {
  return field.replaceAll(",", "%!(PACKER_COMMA)").replaceAll("\r", "\\r").replaceAll("\n", "\\n");
}

type Kind = "say" | "message" | "error";

export function createMachineUi(opts: MachineUiOptions): Ui {
  const masker = opts.masker ?? new SecretMasker();
  const now = opts.now ?? (() => new Date());
  const sink = createLineSink(opts.out);

  // Fields arrive already masked: masking a composed UI line would miss a multi-line secret that
  // the `==> build: ` prefixes have split apart.
  const record = (target: string, type: string, data: readonly string[]): void => {
    const ts = Math.floor(now().getTime() / 1000);
    const line = `${ts},${escapeMachineField(target)},${type},${data.map(escapeMachineField).join(",")}`;
    opts.log?.debug(line);
    sink.line(line);
  };

  const uiLine = (kind: Kind, text: string): void => {
    record("", "ui", [kind, opts.timestamps ? timestampLine(text, now()) : text]);
  };

  const nodePrefix = (node: string | undefined, text: string): string =>
    node === undefined ? text : text.replace(/^/gm, `[${masker.mask(node)}] `);

  const plainFor = (node?: string): PlainUi => ({
    say: (msg) => uiLine("say", nodePrefix(node, masker.mask(msg))),
    error: (msg) => uiLine("error", nodePrefix(node, masker.mask(msg))),
  });

  const buildUi = (target: string, node?: string): BuildUi => {
    const write = (kind: Kind, msg: string): void =>
      uiLine(kind, nodePrefix(node, prefixLines(kind !== "message", masker.mask(target), masker.mask(msg))));
    return {
      say: (msg) => write("say", msg),
      message: (msg) => write("message", msg),
      error: (msg) => write("error", msg),
      child: (suffix) => buildUi(`${target} (${suffix})`, node),
      ready: () => sink.ready(),
      unprefixed: () => plainFor(node),
      // Packer: "machine-readable UI can't ask".
      ask: () => Promise.resolve(undefined),
    };
  };

  const machine = (target: string, type: string, ...data: string[]): void =>
    record(
      masker.mask(target),
      type,
      data.map((d) => masker.mask(d)),
    );

  /** A chain node's view: ui lines carry `[node] `; records keep their own targets. */
  const nodeView = (node: string): Ui => ({
    interactive: false,
    forBuild: (name) => buildUi(name, node),
    say: (msg) => plainFor(node).say(msg),
    error: (msg) => plainFor(node).error(msg),
    machine,
    addSecret: (value) => void masker.add(value),
    mask: (text) => masker.mask(text),
    announceBuilds: () => undefined,
    forNode: nodeView,
  });

  return {
    interactive: false,
    forBuild: (name) => buildUi(name),
    say: (msg) => record("", "ui", ["say", masker.mask(msg)]),
    error: (msg) => record("", "ui", ["error", masker.mask(msg)]),
    machine,
    addSecret: (value) => void masker.add(value),
    mask: (text) => masker.mask(text),
    // Colours and their announcement lines never appear in machine-readable output.
    announceBuilds: () => undefined,
    forNode: nodeView,
    close: () => opts.log?.close(),
  };
}
