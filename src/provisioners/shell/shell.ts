// Packer's `shell` provisioner over the Communicator. Differences that matter (docs/compat.md):
// environment values travel in the exec request and an uploaded 0600 file, never in a command
// line; a missing remote folder fails at once instead of after a 5-minute retry; script, env file
// and cleanup go in one upload and one exec.
import { readFile, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { randomInt } from "node:crypto";
import type { Provisioner, ProvisionContext } from "../../run/types.js";
import { BuildError } from "../../run/types.js";
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
  return env;
}

function singleQuote(v: string): string {
  return `'${v.replace(/'/g, `'"'"'`)}'`;
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
        const abs = posix.isAbsolute(p) ? p : join(process.cwd(), p);
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
      const envFile = posix.join(folder, `.kiln-env-${randomInt(1e9)}.sh`);
      const envBody = Object.entries(env)
        .map(([k, v]) => `export ${k}=${singleQuote(v)}\n`)
        .join("");
      // {{.Vars}} sources the env file instead of inlining values, so that sudo-style
      // execute_commands still see the variables and no value ever appears in a command line.
      const vars = `. ${envFile} &&`;
      const command = ctx.render(c.execute_command, { Path: remotePath, Vars: vars, EnvVarFile: envFile });
      const files = [
        { name: posix.basename(remotePath), data: script.body, mode: 0o755 },
        { name: posix.basename(envFile), data: envBody, mode: 0o600 },
      ];
      const comm = ctx.comm as ProvisionContext["comm"] & {
        uploadFiles?: (dir: string, f: typeof files, s?: AbortSignal) => Promise<void>;
      };
      if (comm.uploadFiles && folder === posix.dirname(envFile)) {
        await comm.uploadFiles(folder, files, ctx.signal);
      } else {
        await comm.uploadData(remotePath, script.body, { mode: 0o755, signal: ctx.signal });
        await comm.uploadData(envFile, envBody, { mode: 0o600, signal: ctx.signal });
      }
      const cleanup = c.skip_clean ? `rm -f ${envFile}` : `rm -f ${remotePath} ${envFile}`;
      // Cleanup rides in the same exec: one round trip per script, and it runs whatever the exit code.
      const full = `${command}\n__kiln_rc=$?; ${cleanup}; exit $__kiln_rc`;
      let code: number;
      try {
        code = await ctx.comm.run({
          command: full,
          env,
          onStdout: (l) => ctx.ui.message(l),
          onStderr: (l) => ctx.ui.error(l),
          signal: ctx.signal,
        });
      } catch (e) {
        if (c.expect_disconnect && !ctx.signal.aborted) {
          ctx.ui.say("Remote end disconnected while executing the script (expect_disconnect is set)");
          continue;
        }
        throw e;
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
