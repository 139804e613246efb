// SIGINT / SIGTERM: the first cancels the running step and lets cleanup run; a second during
// cleanup does not abandon it (it says so); a third forces exit, printing what remains and how to
// remove it. Exit codes are 130 / 143 as shells expect.
//
// A closed output (`kiln build | head`) is the SIGPIPE a C program would get: Node ignores the
// signal and reports EPIPE on the next write instead. It cancels the run the same way, quietly
// (there is no one left to read), and the exit code is 141 (128 + SIGPIPE), as a shell reports
// for a process SIGPIPE killed.

export interface SignalControl {
  signal: AbortSignal;
  /** 130 or 143 once a signal arrived, else undefined. */
  exitCode(): number | undefined;
  dispose(): void;
}

/** The exit code of a process killed by SIGPIPE, as shells report it. */
export const BROKEN_PIPE_EXIT_CODE = 141;

export function installSignalHandlers(opts: {
  say: (msg: string) => void;
  pending: () => string[];
  /** The output whose reader may go away (stdout). */
  output?: NodeJS.EventEmitter;
}): SignalControl {
  const controller = new AbortController();
  let count = 0;
  let code: number | undefined;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    code ??= sig === "SIGINT" ? 130 : 143;
    if (count === 1) {
      opts.say(
        sig === "SIGINT"
          ? "Cancelling build after receiving interrupt"
          : "Cancelling build after receiving terminate",
      );
      controller.abort(new Error(`received ${sig}`));
    } else if (count === 2) {
      opts.say(
        "Cleanup is in progress; kiln will exit when it is done. Send the signal once more to exit at once.",
      );
    } else {
      const left = opts.pending();
      if (left.length > 0) {
        opts.say(`Exiting without finishing cleanup. Left behind:\n${left.map((l) => `  ${l}`).join("\n")}`);
        opts.say(
          "kiln keeps a record of these: run `kiln prune` to remove them once this process has exited.",
        );
      }
      process.exit(code);
    }
  };
  // Errors after the first EPIPE (the stream is destroyed by then) have nothing more to say.
  const onOutputError = (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE" || code !== undefined) return;
    code = BROKEN_PIPE_EXIT_CODE;
    count = 1;
    controller.abort(new Error("the output was closed (EPIPE)"));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  opts.output?.on("error", onOutputError);
  return {
    signal: controller.signal,
    exitCode: () => code,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
      opts.output?.off("error", onOutputError);
    },
  };
}
