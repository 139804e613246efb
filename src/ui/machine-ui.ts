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

  const plain: PlainUi = {
    say: (msg) => uiLine("say", masker.mask(msg)),
    error: (msg) => uiLine("error", masker.mask(msg)),
  };

  const buildUi = (target: string): BuildUi => {
    const write = (kind: Kind, msg: string): void =>
      uiLine(kind, prefixLines(kind !== "message", masker.mask(target), masker.mask(msg)));
    return {
      say: (msg) => write("say", msg),
      message: (msg) => write("message", msg),
      error: (msg) => write("error", msg),
      child: (suffix) => buildUi(`${target} (${suffix})`),
      ready: () => sink.ready(),
      unprefixed: () => plain,
      // Packer: "machine-readable UI can't ask".
      ask: () => Promise.resolve(undefined),
    };
  };

  return {
    interactive: false,
    forBuild: (name) => buildUi(name),
    say: (msg) => record("", "ui", ["say", masker.mask(msg)]),
    error: (msg) => record("", "ui", ["error", masker.mask(msg)]),
    machine: (target, type, ...data) =>
      record(
        masker.mask(target),
        type,
        data.map((d) => masker.mask(d)),
      ),
    addSecret: (value) => void masker.add(value),
    mask: (text) => masker.mask(text),
    // Colours and their announcement lines never appear in machine-readable output.
    announceBuilds: () => undefined,
    close: () => opts.log?.close(),
  };
}
