// Packer's `shell` provisioner over the Communicator. Differences that matter (docs/compat.md):
// environment values travel in the exec request and an uploaded 0600 file, never in a command
// line; a missing remote folder fails at once instead of after a 5-minute retry; script, env file
// and cleanup go in one upload and one exec.
import { readFile, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { randomInt } from "node:crypto";
import { Readable } from "node:stream";
import type { Provisioner, ProvisionContext } from "../../core/component.js";
import { BuildError } from "../../core/errors.js";
import type { ShellConfig } from "./schema.js";

export function shellEnvironment(c: ShellConfig, ctx: ProvisionContext): Record<string, string> {
  const env: Record<string, string> = {
    PACKER_BUILD_NAME: ctx.sourceName,
    PACKER_BUILDER_TYPE: ctx.builderType,
  };
  for (const kv of c.environment_vars) {
    const i = kv.indexOf("=");
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  Object.assign(env, c.env);
  // Build outputs (run/step-outputs.ts): kiln's, so set last.
  if (ctx.outputFile) env.KILN_OUTPUT = ctx.outputFile;
  return env;
}

function singleQuote(v: string): string {
  return `'${v.replace(/'/g, `'"'"'`)}'`;
}

const DEFAULT_EXECUTE_COMMAND = "chmod +x {{.Path}}; {{.Vars}} {{.Path}}";
/** Printed on stderr by the upload step when the script cannot be written; never shown. */
const UPLOAD_FAILED = "__kiln_script_upload_failed__";

const FOLDER_MISSING = "__kiln_remote_folder_missing__";
const SCRIPT_VAR = "__KILN_SCRIPT";
/** Linux limits one environment string to 128 KiB (MAX_ARG_STRLEN); stay well below. */
const MAX_ENV_SCRIPT = 64 * 1024;

async function uploadTogether(
  ctx: ProvisionContext,
  folder: string,
  files: { name: string; data: string; mode: number }[],
): Promise<void> {
  const comm = ctx.comm as ProvisionContext["comm"] & {
    uploadFiles?: (dir: string, f: typeof files, s?: AbortSignal) => Promise<void>;
  };
  if (comm.uploadFiles) return comm.uploadFiles(folder, files, ctx.signal);
  for (const f of files)
    await comm.uploadData(posix.join(folder, f.name), f.data, { mode: f.mode, signal: ctx.signal });
}

export class ShellProvisioner implements Provisioner {
  constructor(private readonly c: ShellConfig) {}

  private async scripts(ctx: ProvisionContext): Promise<{ local: string; body: string }[]> {
    const c = this.c;
    if (c.inline) {
      const local = join(ctx.tempDir, `packer-shell${randomInt(1e9)}`);
      const body = `#!${c.inline_shebang}\n${c.inline.join("\n")}\n`;
      await writeFile(local, body, { mode: 0o600 });
      return [{ local, body }];
    }
    const paths = c.script ? [c.script] : (c.scripts ?? []);
    return Promise.all(
      paths.map(async (p) => {
        const abs = posix.isAbsolute(p) ? p : join(ctx.cwd, p);
        let body = await readFile(abs, "utf8").catch(() => {
          throw new BuildError(`shell: cannot read script ${p}`);
        });
        if (!c.binary) body = body.replace(/\r\n/g, "\n");
        return { local: p, body };
      }),
    );
  }

  async provision(ctx: ProvisionContext): Promise<void> {
    const c = this.c;
    const env = shellEnvironment(c, ctx);
    for (const script of await this.scripts(ctx)) {
      ctx.ui.say(`Provisioning with shell script: ${script.local}`);
      const remoteFile = c.remote_file ?? `script_${randomInt(9999)}.sh`;
      const remotePath = c.remote_path ?? posix.join(c.remote_folder, remoteFile);
      const folder = posix.dirname(remotePath);
      // The default execute_command gets its variables from the exec request alone, and the
      // script arrives on the exec's stdin: one round trip per script (the archive endpoint costs
      // as much again). A custom execute_command using {{.Vars}} (sudo-style) may reset the
      // environment, so it gets a 0600 env file it can source, uploaded with the script; so does
      // one that sources {{.EnvVarFile}} itself (Packer's use_env_var_file form).
      const needsEnvFile =
        c.execute_command !== DEFAULT_EXECUTE_COMMAND &&
        /\{\{-?\s*\.(?:Vars|EnvVarFile)\s*-?\}\}/.test(c.execute_command);
      let full: string;
      let stdin: Readable | undefined;
      let execEnv = env;
      if (needsEnvFile) {
        const envFile = posix.join(folder, `.kiln-env-${randomInt(1e9)}.sh`);
        const envBody = Object.entries(env)
          .map(([k, v]) => `export ${k}=${singleQuote(v)}\n`)
          .join("");
        const command = ctx.render(c.execute_command, {
          Path: remotePath,
          Vars: `. ${envFile} &&`,
          EnvVarFile: envFile,
        });
        await uploadTogether(ctx, folder, [
          { name: posix.basename(remotePath), data: script.body, mode: 0o755 },
          { name: posix.basename(envFile), data: envBody, mode: 0o600 },
        ]);
        const cleanup = c.skip_clean ? `rm -f ${envFile}` : `rm -f ${singleQuote(remotePath)} ${envFile}`;
        full = `${command}\n__kiln_rc=$?; ${cleanup}; exit $__kiln_rc`;
      } else {
        const command = ctx.render(c.execute_command, { Path: remotePath, Vars: "", EnvVarFile: "" });
        const q = singleQuote(remotePath);
        // Small text scripts travel in the exec request's Env (like environment_vars: never in a
        // command line) and are written by the shell's printf builtin; others on stdin, which
        // costs an upgraded connection. The folder check rides in the same exec.
        const inEnv = script.body.length <= MAX_ENV_SCRIPT && !script.body.includes("\0");
        const write = inEnv
          ? `printf '%s' "$${SCRIPT_VAR}" > ${q} || { echo ${UPLOAD_FAILED} >&2; exit 1; }; unset ${SCRIPT_VAR}`
          : `cat > ${q} || { echo ${UPLOAD_FAILED} >&2; exit 1; }`;
        full =
          `[ -d ${singleQuote(folder)} ] || { echo ${FOLDER_MISSING} >&2; exit 1; }; ${write}; chmod 0755 ${q}\n` +
          `${command}\n__kiln_rc=$?; ${c.skip_clean ? "" : `rm -f ${q}; `}exit $__kiln_rc`;
        if (inEnv) execEnv = { ...env, [SCRIPT_VAR]: script.body };
        else stdin = Readable.from([Buffer.from(script.body)]);
      }
      let uploadFailed = false;
      let folderMissing = false;
      let code: number;
      try {
        code = await ctx.comm.run({
          command: full,
          env: execEnv,
          stdin,
          onStdout: (l) => ctx.ui.message(l),
          onStderr: (l) => {
            if (l === UPLOAD_FAILED) uploadFailed = true;
            else if (l === FOLDER_MISSING) folderMissing = true;
            else ctx.ui.error(l);
          },
          signal: ctx.signal,
        });
      } catch (e) {
        if (c.expect_disconnect && !ctx.signal.aborted) {
          ctx.ui.say("Remote end disconnected while executing the script (expect_disconnect is set)");
          continue;
        }
        throw e;
      }
      if (folderMissing) {
        throw new BuildError(
          `cannot upload the shell script: directory ${folder} does not exist in the container; create it first (e.g. a shell provisioner running "mkdir -p ${folder}") or set remote_folder to an existing directory`,
        );
      }
      if (uploadFailed) {
        throw new BuildError(
          `cannot write the script to ${remotePath} in the container (is ${folder} writable by the exec user?); set remote_folder or remote_path to a writable directory`,
        );
      }
      if (!c.valid_exit_codes.includes(code)) {
        throw new BuildError(
          `Script exited with non-zero exit status: ${code}. Allowed exit codes are: [${c.valid_exit_codes.join(" ")}]`,
        );
      }
    }
    if (c.pause_after > 0) {
      ctx.ui.say(`Pausing ${c.pause_after / 1000}s after this provisioner...`);
      await new Promise((r) => setTimeout(r, c.pause_after));
    }
  }
}

export function createShellProvisioner(config: Record<string, unknown>): Provisioner {
  return new ShellProvisioner(config as unknown as ShellConfig);
}
