// docker-test (kiln's own): runs commands in a fresh container from the image artifact before the
// sequence goes on. A command that exits outside valid_exit_codes, or output that does not match
// expect_stdout, fails the post-processor, so the docker-tag / docker-push after it in the same
// sequence never run: nothing is tagged or pushed. The artifact passes through unchanged.
//
// The container is named like a build container (core/ownership.ts), so a run that dies leaves
// nothing a later run or `kiln prune` would not remove; it is removed when the test ends, whatever
// happened (a cancelled run aborts the command, then the container goes).
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import type { PostProcessor, PostProcessorContext, PostProcessorResult } from "../../core/component.js";
import type { Artifact } from "../../core/artifact.js";
import { BuildError, errorMessage } from "../../core/errors.js";
import { LineSplitter } from "../../core/line-splitter.js";
import { containerName, currentIdentity } from "../../core/ownership.js";
import type { Engine } from "../../engine/types.js";
import type { DockerTestConfig } from "./schema.js";

/** Lines of output kept for the failure message. */
const TAIL_LINES = 20;

interface Command {
  /** As shown: the inline command, or `script <path>`. */
  label: string;
  text: string;
}

export class DockerTest implements PostProcessor {
  constructor(private readonly c: DockerTestConfig) {}

  private async commands(ctx: PostProcessorContext): Promise<Command[]> {
    if (this.c.inline) return this.c.inline.map((text) => ({ label: text, text }));
    const path = this.c.script!;
    const text = await readFile(isAbsolute(path) ? path : join(ctx.cwd, path), "utf8").catch(() => {
      throw new BuildError(`docker-test: cannot read script ${path}`);
    });
    return [{ label: `script ${path}`, text }];
  }

  async process(ctx: PostProcessorContext, input: Artifact): Promise<PostProcessorResult> {
    if (input.kind !== "image") {
      throw new BuildError(
        "docker-test needs an image: set commit to true in the docker builder, or put a docker-import before it in the same sequence",
      );
    }
    const commands = await this.commands(ctx);
    const { engine, ui } = ctx;
    // Library callers without a run identity get one for this process (a fresh run id).
    const identity = ctx.identity ?? currentIdentity(randomBytes(4).toString("hex"));
    const name = containerName(identity, `${ctx.buildName}-test`);
    ui.say(`Testing image ${input.imageId.slice(0, 19)} in a new container`);
    // The entrypoint's program idles with stdin open (as the docker builder's container does);
    // each command is an exec in it.
    const id = await engine.createContainer({
      name,
      Image: input.imageId,
      Entrypoint: [this.c.entrypoint[0]!],
      Cmd: [],
      Tty: true,
      OpenStdin: true,
      Labels: {},
      HostConfig: {},
    });
    try {
      await engine.startContainer(id);
      const stdout: string[] = [];
      for (const cmd of commands) {
        ctx.signal.throwIfAborted();
        ui.say(`Running: ${cmd.label}`);
        const started = performance.now();
        const record = (passed: boolean, exitCode?: number, reason?: string): void =>
          ctx.report?.test?.({
            ...(ctx.step ? { step: ctx.step } : {}),
            command: cmd.label,
            ...(exitCode !== undefined ? { exitCode } : {}),
            passed,
            durationMs: performance.now() - started,
            ...(reason !== undefined ? { reason } : {}),
          });
        let ran: { code: number; tail: string[]; out: string[] };
        try {
          ran = await this.exec(engine, id, cmd, ctx);
        } catch (e) {
          record(false, undefined, errorMessage(e));
          throw e;
        }
        const { code, tail, out } = ran;
        stdout.push(...out);
        const valid = this.c.valid_exit_codes.includes(code);
        record(valid, code, valid ? undefined : `exit code ${code} is not in valid_exit_codes`);
        if (!valid) {
          throw new BuildError(
            `docker-test: ${JSON.stringify(cmd.label)} exited with code ${code}` +
              (this.c.valid_exit_codes.length === 1 && this.c.valid_exit_codes[0] === 0
                ? ""
                : ` (valid_exit_codes: ${this.c.valid_exit_codes.join(", ")})`) +
              `; the image is not tagged or pushed by this sequence.${tailText(tail)}`,
          );
        }
      }
      if (this.c.expect_stdout) {
        const matched = new RegExp(this.c.expect_stdout, "m").test(stdout.join("\n"));
        ctx.report?.test?.({
          ...(ctx.step ? { step: ctx.step } : {}),
          command: `expect_stdout ${this.c.expect_stdout}`,
          passed: matched,
          durationMs: 0,
          ...(matched ? {} : { reason: "the output does not match expect_stdout" }),
        });
      }
      if (this.c.expect_stdout && !new RegExp(this.c.expect_stdout, "m").test(stdout.join("\n"))) {
        throw new BuildError(
          `docker-test: the output does not match expect_stdout ${JSON.stringify(this.c.expect_stdout)}; the image is not tagged or pushed by this sequence.${tailText(stdout.slice(-TAIL_LINES))}`,
        );
      }
      ui.say(`Tests passed (${commands.length} command${commands.length === 1 ? "" : "s"})`);
    } finally {
      await engine.removeContainer(id).catch((e: unknown) => {
        ui.error(`Could not remove the test container ${name}: ${errorMessage(e)} (kiln prune removes it)`);
      });
    }
    return { artifact: input, keep: true, forceKeep: true, passThrough: true };
  }

  private async exec(
    engine: Engine,
    id: string,
    cmd: Command,
    ctx: PostProcessorContext,
  ): Promise<{ code: number; tail: string[]; out: string[] }> {
    const tail: string[] = [];
    const out: string[] = [];
    const keep = (line: string) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    };
    const stdout = new LineSplitter((l) => {
      out.push(l);
      keep(l);
      ctx.ui.message(l);
    });
    const stderr = new LineSplitter((l) => {
      keep(l);
      ctx.ui.error(l);
    });
    let exitCode: number;
    try {
      ({ exitCode } = await engine.exec(id, {
        cmd: [...this.c.entrypoint, cmd.text],
        env: Object.entries(this.c.env).map(([k, v]) => `${k}=${String(v)}`),
        ...(this.c.user ? { user: this.c.user } : {}),
        ...(this.c.working_dir ? { workingDir: this.c.working_dir } : {}),
        onStdout: (c) => stdout.write(c),
        onStderr: (c) => stderr.write(c),
        ready: () => ctx.ui.ready?.(),
        signal: ctx.signal,
      }));
    } finally {
      stdout.flush();
      stderr.flush();
    }
    return { code: exitCode, tail, out };
  }
}

function tailText(lines: string[]): string {
  return lines.length > 0 ? `\nLast lines of its output:\n  ${lines.join("\n  ")}` : "";
}

export function createDockerTest(config: Record<string, unknown>): PostProcessor {
  return new DockerTest(config as unknown as DockerTestConfig);
}
