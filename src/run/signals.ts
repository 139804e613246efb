// SIGINT / SIGTERM: the first cancels the running step and lets cleanup run; a second during
// cleanup does not abandon it (it says so); a third forces exit, printing what remains and how to
// remove it. Exit codes are 130 / 143 as shells expect.

export interface SignalControl {
  signal: AbortSignal;
  /** 130 or 143 once a signal arrived, else undefined. */
  exitCode(): number | undefined;
  dispose(): void;
}

export function installSignalHandlers(opts: {
  say: (msg: string) => void;
  pending: () => string[];
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
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    exitCode: () => code,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
