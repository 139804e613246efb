// Packer's human output, byte for byte: the wrapping order of packer@v1.6.6 is
// TargetedUI (prefix) → TimestampedUi → ColoredUi → BasicUi (secret filter, write), so a line is
// `ESC[1;32m` + `2026-…Z: ` + `==> build: msg` + `ESC[0m`. Secrets are masked before anything is
// composed, so a multi-line secret is caught before the prefix splits it.
import { BUILD_COLORS, ERROR_COLOR, colorize, prefixLines, timestampLine } from "./format.js";
import { createLineReader } from "./line-reader.js";
import type { LineReader } from "./line-reader.js";
import { createLineSink } from "./line-sink.js";
import type { Logger } from "./log.js";
import { SecretMasker } from "./mask.js";
import type { BuildUi, PlainUi, Ui } from "./ui.js";

export interface HumanUiOptions {
  out: NodeJS.WritableStream;
  color: boolean;
  timestamps: boolean;
  interactive: boolean;
  input?: NodeJS.ReadableStream;
  now?: () => Date;
  /** Share one masker with the debug log; a fresh one otherwise. */
  masker?: SecretMasker;
  /** Every printed line is also logged (`ui: …`), as Packer's BasicUi does; `close()` closes it. */
  log?: Logger;
}

type Kind = "say" | "message" | "error";

export function createHumanUi(opts: HumanUiOptions): Ui {
  const masker = opts.masker ?? new SecretMasker();
  const now = opts.now ?? (() => new Date());
  const sink = createLineSink(opts.out);
  // Read lazily (only when a question is asked), so creating a Ui never touches stdin.
  const input = opts.interactive ? (opts.input ?? process.stdin) : undefined;
  let reader: LineReader | undefined;
  const colors = new Map<string, number>();
  const introduced = new Set<string>();

  const emit = (kind: Kind, plain: string, colored: string): void => {
    opts.log?.debug(`${kind === "error" ? "ui error" : "ui"}: ${plain}`);
    sink.line(colored);
  };

  const colorOf = (name: string): number => {
    let color = colors.get(name);
    if (color === undefined) {
      color = BUILD_COLORS[colors.size % BUILD_COLORS.length]!;
      colors.set(name, color);
    }
    return color;
  };

  const introduceLine = (name: string): void => {
    introduced.add(name);
    const text = `${masker.mask(name)}: output will be in this color.`;
    emit("say", text, colorize(text, colorOf(name), true));
  };

  // A build that was never announced gets its colour line (and the blank line) on first output.
  const introduce = (name: string): void => {
    if (!opts.color || introduced.has(name)) return;
    introduceLine(name);
    emit("say", "", "");
  };

  const styled = (kind: Kind, color: number, text: string): string => {
    const stamped = opts.timestamps ? timestampLine(text, now()) : text;
    if (!opts.color) return stamped;
    return colorize(stamped, kind === "error" ? ERROR_COLOR : color, kind !== "message");
  };

  /** Chain nodes: every line gets `[node] ` in front, and the node's colour. */
  const nodePrefix = (node: string | undefined, text: string): string =>
    node === undefined ? text : text.replace(/^/gm, `[${masker.mask(node)}] `);

  const plainFor = (name: string, node?: string): PlainUi => {
    const write = (kind: Kind, msg: string): void => {
      if (node === undefined) introduce(name);
      const text = nodePrefix(node, masker.mask(msg));
      emit(kind, text, styled(kind, colorOf(node ?? name), text));
    };
    return { say: (msg) => write("say", msg), error: (msg) => write("error", msg) };
  };

  const buildUi = (name: string, target: string, node?: string): BuildUi => {
    const write = (kind: Kind, msg: string): void => {
      if (node === undefined) introduce(name);
      const text = nodePrefix(node, prefixLines(kind !== "message", masker.mask(target), masker.mask(msg)));
      emit(kind, text, styled(kind, colorOf(node ?? name), text));
    };
    return {
      say: (msg) => write("say", msg),
      message: (msg) => write("message", msg),
      error: (msg) => write("error", msg),
      child: (suffix) => buildUi(name, `${target} (${suffix})`, node),
      ready: () => sink.ready(),
      unprefixed: () => plainFor(name, node),
      async ask(question) {
        if (input === undefined) return undefined;
        if (node === undefined) introduce(name);
        // Packer's TimestampedUi passes questions through without a timestamp.
        const text = nodePrefix(node, prefixLines(true, masker.mask(target), masker.mask(question)));
        const prompt = opts.color ? colorize(text, colorOf(node ?? name), true) : text;
        opts.log?.debug(`ui: ask: ${text}`);
        reader ??= createLineReader(input);
        const lines = reader;
        return sink.prompt(`${prompt} `, () => lines.next());
      },
    };
  };

  /** The Ui of one chain node: the same output, each line marked with the node. */
  const nodeView = (node: string): Ui => ({
    interactive: input !== undefined,
    forBuild: (name) => buildUi(name, name, node),
    say: (msg) => plainFor("", node).say(msg),
    error: (msg) => plainFor("", node).error(msg),
    machine: (target, type, ...data) =>
      opts.log?.debug(masker.mask(`machine readable: ${target},${type} ${JSON.stringify(data)}`)),
    addSecret: (value) => void masker.add(value),
    mask: (text) => masker.mask(text),
    // The chain announces its nodes once; a node's builds take the node's colour.
    announceBuilds: () => undefined,
    forNode: nodeView,
  });

  return {
    interactive: input !== undefined,
    forBuild: (name) => buildUi(name, name),
    say(msg) {
      const text = masker.mask(msg);
      emit("say", text, text);
    },
    error(msg) {
      const text = masker.mask(msg);
      emit("error", text, text);
    },
    machine(target, type, ...data) {
      opts.log?.debug(masker.mask(`machine readable: ${target},${type} ${JSON.stringify(data)}`));
    },
    addSecret: (value) => void masker.add(value),
    mask: (text) => masker.mask(text),
    announceBuilds(names) {
      for (const name of names) colorOf(name);
      if (!opts.color) return;
      const fresh = [...new Set(names)].filter((name) => !introduced.has(name));
      for (const name of fresh) introduceLine(name);
      if (fresh.length > 0) emit("say", "", "");
    },
    forNode: nodeView,
    close() {
      reader?.close();
      opts.log?.close();
    },
  };
}
