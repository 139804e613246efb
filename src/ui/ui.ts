// The Ui seam: all output goes through here so that prefixes, colours, timestamps, secret
// masking and machine-readable formatting are applied in one place.

/** Lines in a build's colour (and timestamp) but without the `==> name:` prefix. */
export interface PlainUi {
  say(msg: string): void;
  error(msg: string): void;
}

/** Output for one build (or one post-processor of a build): Packer's say / message / error. */
export interface BuildUi {
  /** `==> name: msg` */
  say(msg: string): void;
  /** `    name: msg` */
  message(msg: string): void;
  /** `==> name: msg` in red */
  error(msg: string): void;
  /** A Ui for a post-processor: prefix `name (type)`. */
  child(suffix: string): BuildUi;
  /** Reads one line from a terminal; undefined when not interactive. */
  ask?(question: string): Promise<string | undefined>;
  /**
   * A promise while the output stream holds more than it wants (a slow reader: a pipe, a CI log
   * collector), undefined otherwise. Producers of bulk output (command output) wait for it, so
   * memory stays bounded whatever the volume.
   */
  ready?(): Promise<void> | undefined;
  /**
   * The build's lines without the prefix: Packer prints `Build 'x' finished after …` (bold, build
   * colour) and `Build 'x' errored after …` (bold red) this way, timestamped like the rest.
   */
  unprefixed?(): PlainUi;
}

export interface Ui {
  forBuild(name: string): BuildUi;
  /** Lines without a build prefix (`==> Wait completed…`). */
  say(msg: string): void;
  error(msg: string): void;
  /** Machine-readable records (no-op in human mode): `ts,target,type,data...` */
  machine(target: string, type: string, ...data: string[]): void;
  /** Values to mask everywhere from now on. */
  addSecret(value: string): void;
  /** Apply masking to a string destined elsewhere (logs, errors). */
  mask(text: string): string;
  readonly interactive: boolean;
  /**
   * Packer assigns colours by build order and prints `<build>: output will be in this color.` for
   * every build, then one blank line, before any build starts. Call once with the builds that will
   * run; builds never announced get the next colour (and their line) on first use.
   */
  announceBuilds?(names: readonly string[]): void;
  /**
   * The Ui of one chain node: the same sink, masking and colours, every line marked with the node
   * (`[node] ==> docker: …`); machine-readable output carries it in the ui text too.
   */
  forNode?(node: string): Ui;
  /** Releases the input reader used by `ask` so the process can exit. */
  close?(): void;
}
