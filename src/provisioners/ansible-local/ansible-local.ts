// The `ansible-local` provisioner: uploads the playbook(s), roles, vars and an inventory into a
// staging directory in the container and runs ansible-playbook there (`-c local`), through the
// Communicator. Differences from Packer (docs/compat.md): the staging directory is removed by
// default, extra vars travel in an uploaded file, and Ansible's temp dirs are redirected to a
// directory that is removed afterwards.
import { randomBytes, randomUUID } from "node:crypto";
import { basename, isAbsolute, posix, resolve } from "node:path";
import type { Provisioner, ProvisionContext } from "../../core/component.js";
import { BuildError } from "../../core/errors.js";
import { errorMessage } from "../../core/errors.js";
import { shellQuote } from "../../host/host-process.js";
import { rewriteExtraVars } from "../ansible/extra-vars.js";
import { AnsibleOutput } from "../ansible/output.js";
import type { AnsibleLocalConfig } from "./schema.js";

export const DEFAULT_STAGING_PARENT = "/tmp/packer-provisioner-ansible-local";
const NOT_IMPLEMENTED = /^ERR_.*_NOT_IMPLEMENTED_BY_BUILDER$/;

function abs(cwd: string, p: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}

/** Host path → POSIX path (Windows hosts: `C:\a\b` → `/C/a/b`), for placing files under staging. */
function toPosix(p: string): string {
  return p.replace(/\\/g, "/").replace(/^([A-Za-z]):/, "/$1");
}

/**
 * Splits a command-line fragment the way `sh` would, when that is certain: quotes and backslashes
 * only. Undefined when it uses expansions or operators (then the text is passed on unchanged).
 */
export function shellWords(text: string): string[] | undefined {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return undefined;
      cur += text.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j]!;
        if (d === "$" || d === "`") return undefined;
        if (d === "\\" && j + 1 < text.length && '"\\$`\n'.includes(text[j + 1]!)) {
          j++;
          cur += text[j];
        } else {
          cur += d;
        }
      }
      if (j >= text.length) return undefined;
      i = j;
    } else if (ch === "\\") {
      if (i + 1 >= text.length) return undefined;
      i++;
      cur += text[i];
    } else if ("$`;&|<>()*?[]~#{}!".includes(ch)) {
      return undefined;
    } else {
      cur += ch;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

export class AnsibleLocalProvisioner implements Provisioner {
  constructor(private readonly c: AnsibleLocalConfig) {}

  async provision(ctx: ProvisionContext): Promise<void> {
    const c = this.c;
    const staging = c.staging_directory ?? `${DEFAULT_STAGING_PARENT}/${randomUUID()}`;
    const tmp = `/tmp/.kiln-ansible-${randomBytes(6).toString("hex")}`;
    ctx.ui.say("Provisioning with Ansible...");
    let homes: string[] | undefined;
    let ok = false;
    try {
      homes = await this.homesWithoutAnsibleDir(ctx);
      if (c.playbook_dir !== undefined) {
        ctx.ui.message("Uploading Playbook directory to Ansible staging directory...");
        await this.uploadDir(ctx, staging, c.playbook_dir);
      } else {
        ctx.ui.message("Creating Ansible staging directory...");
        await this.mkdir(ctx, staging);
      }

      const playbooks: string[] = [];
      if (c.playbook_file !== undefined) {
        ctx.ui.message("Uploading main Playbook file...");
        const dst = posix.join(staging, basename(c.playbook_file));
        await this.uploadFile(ctx, dst, c.playbook_file, "main playbook");
        playbooks.push(dst);
      } else {
        const dir = c.playbook_dir !== undefined ? abs(ctx.cwd, c.playbook_dir) : undefined;
        for (const f of (c.playbook_files ?? []).map((p) => abs(ctx.cwd, p))) {
          if (dir !== undefined && f.startsWith(dir + "/")) {
            playbooks.push(posix.join(staging, toPosix(f.slice(dir.length))));
            continue;
          }
          ctx.ui.message(`Uploading playbook file: ${f}`);
          const dst = posix.join(staging, toPosix(f));
          await this.mkdir(ctx, posix.dirname(dst));
          await this.uploadFile(ctx, dst, f, "playbook");
          playbooks.push(dst);
        }
      }

      if (c.galaxy_file) {
        ctx.ui.message("Uploading galaxy file...");
        await this.uploadFile(
          ctx,
          posix.join(staging, basename(c.galaxy_file)),
          c.galaxy_file,
          "galaxy file",
        );
      }
      ctx.ui.message("Uploading inventory file...");
      let inventory: string;
      if (c.inventory_file !== undefined) {
        inventory = posix.join(staging, basename(c.inventory_file));
        await this.uploadFile(ctx, inventory, c.inventory_file, "inventory file");
      } else {
        const text =
          c.inventory_groups.length > 0
            ? c.inventory_groups.map((g) => `[${g}]\n127.0.0.1\n`).join("")
            : "127.0.0.1";
        inventory = posix.join(staging, `packer-provisioner-ansible-local${randomBytes(4).readUInt32BE()}`);
        await ctx.comm.uploadData(inventory, text, { mode: 0o644, signal: ctx.signal });
      }

      if (c.group_vars !== undefined) {
        ctx.ui.message("Uploading group_vars directory...");
        await this.uploadDir(ctx, posix.join(staging, "group_vars"), c.group_vars);
      }
      if (c.host_vars !== undefined) {
        ctx.ui.message("Uploading host_vars directory...");
        await this.uploadDir(ctx, posix.join(staging, "host_vars"), c.host_vars);
      }
      if (c.role_paths.length > 0) {
        ctx.ui.message("Uploading role directories...");
        for (const src of c.role_paths)
          await this.uploadDir(ctx, posix.join(staging, "roles", basename(src)), src);
      }
      if (c.collection_paths.length > 0) {
        ctx.ui.message("Uploading collection directories...");
        for (const src of c.collection_paths)
          await this.uploadDir(ctx, posix.join(staging, "collections", basename(src)), src);
      }
      if (c.playbook_paths.length > 0) {
        ctx.ui.message("Uploading additional Playbooks...");
        const dir = posix.join(staging, "playbooks");
        await this.mkdir(ctx, dir);
        for (const src of c.playbook_paths) await this.uploadDir(ctx, posix.join(dir, basename(src)), src);
      }

      const extra = await this.extraArguments(ctx, staging);
      const env: Record<string, string> = {
        // Ansible's temporary files (and async status) in a directory removed afterwards.
        ANSIBLE_REMOTE_TMP: `${tmp}/remote`,
        ANSIBLE_LOCAL_TEMP: `${tmp}/local`,
        ANSIBLE_ASYNC_DIR: `${tmp}/async`,
        PYTHONDONTWRITEBYTECODE: "1",
        // Build outputs: tasks append `name=value` to this file (docs/outputs.md).
        ...(ctx.outputFile ? { KILN_OUTPUT: ctx.outputFile } : {}),
      };
      if (c.collection_paths.length > 0) env.ANSIBLE_COLLECTIONS_PATH = posix.join(staging, "collections");
      if (c.galaxy_file) await this.galaxy(ctx, staging, env);
      for (const playbook of playbooks) await this.runPlaybook(ctx, staging, playbook, extra, inventory, env);
      ok = true;
    } finally {
      if (!ctx.signal.aborted && homes !== undefined) await this.clean(ctx, staging, tmp, homes, ok);
    }
  }

  /** `-e @<staging>/…` for Packer's variables and for every `-e k=v` in extra_arguments. */
  private async extraArguments(ctx: ProvisionContext, staging: string): Promise<string> {
    const c = this.c;
    const vars: Record<string, string> = {
      packer_build_name: ctx.sourceName,
      packer_builder_type: ctx.builderType,
    };
    if (!NOT_IMPLEMENTED.test(ctx.buildData.PackerHTTPAddr))
      vars.packer_http_addr = ctx.buildData.PackerHTTPAddr;
    const varsFile = posix.join(staging, "packer-extra-vars.json");
    await ctx.comm.uploadData(varsFile, JSON.stringify(vars, null, 2) + "\n", {
      mode: 0o600,
      signal: ctx.signal,
    });
    let rest = c.extra_arguments.join(" ");
    // Packer joins extra_arguments into the shell command line unquoted; kiln does too, except
    // that `-e k=v` values move into uploaded files when the text can be split without a shell.
    const words = shellWords(rest);
    if (words) {
      const pathFor = (i: number, ext: string): string =>
        posix.join(staging, `packer-extra-vars-${i + 1}.${ext}`);
      const rewritten = rewriteExtraVars(words, pathFor);
      if (rewritten.files.length > 0) {
        for (const s of rewritten.secrets) ctx.addSecret(s);
        for (const f of rewritten.files) {
          await ctx.comm.uploadData(pathFor(f.index, f.ext), f.content, { mode: 0o600, signal: ctx.signal });
        }
        rest = rewritten.args.map(shellQuote).join(" ");
      }
    }
    return `-e @${shellQuote(varsFile)}${rest ? ` ${rest}` : ""}`;
  }

  private async runPlaybook(
    ctx: ProvisionContext,
    staging: string,
    playbook: string,
    extra: string,
    inventory: string,
    env: Record<string, string>,
  ): Promise<void> {
    const c = this.c;
    const command = `cd ${shellQuote(staging)} && ${c.command} ${shellQuote(playbook)} ${extra} -c local -i ${shellQuote(inventory)}`;
    ctx.ui.message(`Executing Ansible: ${command}`);
    const output = new AnsibleOutput();
    const code = await ctx.comm.run({
      command,
      env,
      onStdout: (l) => (output.line(l), ctx.ui.message(l)),
      onStderr: (l) => (output.line(l), ctx.ui.error(l)),
      signal: ctx.signal,
    });
    if (code === 0) return;
    if (code === 127) {
      throw new BuildError(
        `Error executing Ansible: ${c.command} could not be found. Verify that it is available on the\nPATH after connecting to the machine (ansible-local runs Ansible inside the container: install it first, e.g. a shell provisioner running "apt-get update && apt-get install -y ansible-core")`,
      );
    }
    const summary = output.summary();
    throw new BuildError(
      `Error executing Ansible: Non-zero exit status: ${code}${summary ? ` (${summary})` : ""}`,
    );
  }

  private async galaxy(ctx: ProvisionContext, staging: string, env: Record<string, string>): Promise<void> {
    const c = this.c;
    const file = posix.join(staging, basename(c.galaxy_file));
    const roles = c.galaxy_roles_path || posix.join(staging, "roles");
    const force = c.galaxy_force_install ? " --force" : "";
    const commands = [
      `cd ${shellQuote(staging)} && ${c.galaxy_command} install -r ${shellQuote(file)} -p ${shellQuote(roles)}${force}`,
    ];
    if (c.galaxy_collections_path) {
      commands.push(
        `cd ${shellQuote(staging)} && ${c.galaxy_command} collection install -r ${shellQuote(file)} -p ${shellQuote(c.galaxy_collections_path)}${force}`,
      );
    }
    for (const command of commands) {
      ctx.ui.message(`Executing Ansible Galaxy: ${command}`);
      const code = await ctx.comm.run({
        command,
        env,
        onStdout: (l) => ctx.ui.message(l),
        onStderr: (l) => ctx.ui.error(l),
        signal: ctx.signal,
      });
      if (code !== 0)
        throw new BuildError(
          `Error executing Ansible: Error executing Ansible Galaxy: Non-zero exit status: ${code}`,
        );
    }
  }

  private async mkdir(ctx: ProvisionContext, dir: string): Promise<void> {
    ctx.ui.message(`Creating directory: ${dir}`);
    const errors: string[] = [];
    const code = await ctx.comm.run({
      command: `mkdir -p ${shellQuote(dir)}`,
      onStderr: (l) => errors.push(l),
      signal: ctx.signal,
    });
    if (code !== 0)
      throw new BuildError(
        `Error creating directory ${dir} in the container: ${errors.join("; ") || `exit status ${code}`}`,
      );
  }

  private async uploadFile(ctx: ProvisionContext, dst: string, src: string, what: string): Promise<void> {
    try {
      await ctx.comm.uploadPath(abs(ctx.cwd, src), dst, ctx.signal);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      throw new BuildError(`Error uploading ${what} ${src}: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Packer's uploadDir: create `dst`, then copy the contents of `src` into it. */
  private async uploadDir(ctx: ProvisionContext, dst: string, src: string): Promise<void> {
    await this.mkdir(ctx, dst);
    try {
      await ctx.comm.uploadPath(`${abs(ctx.cwd, src).replace(/\/+$/, "")}/`, dst, ctx.signal);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      throw new BuildError(`Error uploading directory ${src}: ${errorMessage(e)}`, { cause: e });
    }
  }

  private async homesWithoutAnsibleDir(ctx: ProvisionContext): Promise<string[]> {
    const found: string[] = [];
    const code = await ctx.comm.run({
      command: `h="$HOME"; [ -n "$h" ] && [ "$h" != / ] && [ ! -e "$h/.ansible" ] && echo "$h"; true`,
      onStdout: (l) => l && found.push(l),
      signal: ctx.signal,
    });
    return code === 0 ? found : [];
  }

  private async clean(
    ctx: ProvisionContext,
    staging: string,
    tmp: string,
    homes: string[],
    ok: boolean,
  ): Promise<void> {
    const c = this.c;
    const targets = [tmp, ...homes.map((h) => `${h}/.ansible`)];
    if (c.clean_staging_directory) {
      if (ok) {
        ctx.ui.message("Removing staging directory...");
        ctx.ui.message(`Removing directory: ${staging}`);
      }
      targets.push(staging);
    }
    // The default staging parent goes too when nothing else is in it.
    const parent =
      c.clean_staging_directory && c.staging_directory === undefined
        ? `; rmdir ${shellQuote(posix.dirname(staging))} 2>/dev/null`
        : "";
    const errors: string[] = [];
    try {
      const code = await ctx.comm.run({
        command: `rm -rf ${targets.map(shellQuote).join(" ")}${parent}; true`,
        onStderr: (l) => errors.push(l),
        signal: ctx.signal,
      });
      if (code !== 0 || errors.length > 0)
        ctx.ui.error(`Could not remove the staging directory: ${errors.join("; ")}`);
    } catch (e) {
      ctx.ui.error(`Could not remove the staging directory: ${errorMessage(e)}`);
    }
  }
}

export function createAnsibleLocalProvisioner(config: Record<string, unknown>): Provisioner {
  return new AnsibleLocalProvisioner(config as unknown as AnsibleLocalConfig);
}
