// What the shell-local provisioner and post-processor share (packer-plugin-sdk shell-local/run.go):
// `command` / `inline` become a temporary script, each script runs through `execute_command` on
// the host. One deliberate difference (docs/compat.md): variables reach the script through the
// child's environment and `{{.Vars}}` renders empty, so no value is ever part of a command line.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { randomInt } from "node:crypto";
import type { ComponentContext } from "../core/component.js";
import { BuildError, errorMessage } from "../core/errors.js";
import { runHostProcess } from "./host-process.js";
import type { ShellLocalConfig } from "../provisioners/shell-local/schema.js";

const GOOS: Partial<Record<NodeJS.Platform, string>> = {
  aix: "aix",
  android: "android",
  darwin: "darwin",
  freebsd: "freebsd",
  linux: "linux",
  openbsd: "openbsd",
  sunos: "solaris",
  win32: "windows",
  netbsd: "netbsd",
};

/** The host OS as Go's runtime.GOOS names it (what `only_on` lists). */
export function hostGoos(platform: NodeJS.Platform = process.platform): string {
  return GOOS[platform] ?? platform;
}

const NOT_IMPLEMENTED = /^ERR_.*_NOT_IMPLEMENTED_BY_BUILDER$/;

/** Packer's build variables plus environment_vars and env (env wins), over the host's environment. */
export function shellLocalEnvironment(c: ShellLocalConfig, ctx: ComponentContext): Record<string, string> {
  const env: Record<string, string> = {
    PACKER_BUILD_NAME: ctx.sourceName,
    PACKER_BUILDER_TYPE: ctx.builderType,
    PACKER_RUN_UUID: ctx.buildData.PackerRunUUID,
  };
  const http: [string, string][] = [
    ["PACKER_HTTP_ADDR", ctx.buildData.PackerHTTPAddr],
    ["PACKER_HTTP_IP", ctx.buildData.PackerHTTPIP],
    ["PACKER_HTTP_PORT", ctx.buildData.PackerHTTPPort],
  ];
  for (const [k, v] of http) if (v && !NOT_IMPLEMENTED.test(v)) env[k] = v;
  for (const kv of c.environment_vars) {
    const i = kv.indexOf("=");
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  Object.assign(env, c.env);
  return env;
}

/** True when an execute_command item is nothing but `{{.Vars}}` (dropped, as it renders empty). */
function onlyVars(item: string): boolean {
  return /^\s*\{\{-?\s*\.Vars\s*-?\}\}\s*$/.test(item);
}

export async function runShellLocal(c: ShellLocalConfig, ctx: ComponentContext): Promise<void> {
  if (c.only_on.length > 0 && !c.only_on.includes(hostGoos())) {
    ctx.ui.say("Skipping shell-local due to runtime OS");
    return;
  }
  // The post-processor has no per-build temp dir: make one, removed before returning.
  let ownTemp: string | undefined;
  const temp = ctx.tempDir || (ownTemp = await mkdtemp(join(tmpdir(), "kiln-shell-local-")));
  let inlineFile: string | undefined;
  try {
    const scripts: { shown: string; abs: string }[] = [];
    const inline = c.command !== undefined ? [c.command] : c.inline;
    if (inline) {
      const ext = c.tempfile_extension.replace(/^\./, "");
      const file = join(temp, `packer-shell${randomInt(1e9)}${ext ? `.${ext}` : ""}`);
      const shebang = c.inline_shebang ? `#!${c.inline_shebang}\n` : "";
      inlineFile = file;
      await writeFile(file, shebang + inline.map((l) => `${l}\n`).join(""), { mode: 0o700 });
      scripts.push({ shown: file, abs: file });
    } else {
      for (const s of c.script !== undefined ? [c.script] : (c.scripts ?? [])) {
        scripts.push({ shown: s, abs: isAbsolute(s) ? s : resolve(ctx.cwd, s) });
      }
    }
    const env = { ...ctx.hostEnv, ...shellLocalEnvironment(c, ctx) };
    for (const script of scripts) {
      const data = { Vars: "", Script: script.abs, Command: script.abs };
      const argv = c.execute_command.filter((item) => !onlyVars(item)).map((item) => ctx.render(item, data));
      ctx.ui.say(`Running local shell script: ${script.shown}`);
      let result;
      try {
        result = await runHostProcess(argv[0]!, argv.slice(1), {
          env,
          cwd: ctx.cwd,
          signal: ctx.signal,
          onStdout: (l) => ctx.ui.message(l),
          onStderr: (l) => ctx.ui.error(l),
          what: "shell-local",
        });
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        throw new BuildError(`Error executing script: ${script.abs}: ${errorMessage(e)}`, { cause: e });
      }
      if (result.code === undefined) {
        throw new BuildError(`Error executing script: ${script.abs}: killed by signal ${result.signal}`);
      }
      if (!c.valid_exit_codes.includes(result.code)) {
        throw new BuildError(
          `Script exited with non-zero exit status: ${result.code}. Allowed exit codes are: [${c.valid_exit_codes.join(" ")}]`,
        );
      }
    }
  } finally {
    if (inlineFile) await rm(inlineFile, { force: true });
    if (ownTemp) await rm(ownTemp, { recursive: true, force: true });
  }
}
