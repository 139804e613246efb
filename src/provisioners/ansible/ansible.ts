// The `ansible` provisioner: ansible-playbook runs on the host against the build container through
// Ansible's community.docker.docker connection (it runs `docker exec` / `docker cp` itself), so
// there is no SSH proxy, no keys and no ssh-rsa negotiation (Packer pain point #5). Extra vars go
// through files, secrets through the environment; Ansible's temporary files in the container live
// in a directory kiln removes afterwards. Differences from Packer: docs/compat.md.
import { randomBytes, randomInt } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { Provisioner, ProvisionContext } from "../../core/component.js";
import { BuildError } from "../../core/errors.js";
import { errorMessage } from "../../core/errors.js";
import { findOnPath, runHostProcess, shellQuote } from "../../host/host-process.js";
import type { AnsibleConfig } from "./schema.js";
import { envPairs, rewriteExtraVars, SENSITIVE_KEY } from "./extra-vars.js";
import { AnsibleOutput, PYTHON_HINT } from "./output.js";
import { optionName } from "../../template/option-text.js";

export const DOCKER_CONNECTION = "community.docker.docker";
const NOT_IMPLEMENTED = /^ERR_.*_NOT_IMPLEMENTED_BY_BUILDER$/;
const SAFE_USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function abs(cwd: string, p: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}

export class AnsibleProvisioner implements Provisioner {
  constructor(private readonly c: AnsibleConfig) {}

  async provision(ctx: ProvisionContext): Promise<void> {
    const c = this.c;
    ctx.ui.say("Provisioning with Ansible...");
    const containerId = ctx.buildData.ID;
    if (!(await findOnPath("docker", ctx.hostEnv))) {
      throw new BuildError(
        `Error executing Ansible: kiln reaches the container through Ansible's ${DOCKER_CONNECTION} connection, which runs the docker CLI, and "docker" is not on PATH; install the docker CLI (Debian: docker.io or docker-ce-cli) or add it to PATH`,
      );
    }
    const userEnv = envPairs(c.ansible_env_vars);
    for (const [k, v] of userEnv) if (SENSITIVE_KEY.test(k) && v) ctx.addSecret(v);
    const env: NodeJS.ProcessEnv = {
      ...ctx.hostEnv,
      ANSIBLE_HOST_KEY_CHECKING: "False",
      // kiln's Ui prefixes and colours every line as Packer does; Ansible's own colour codes inside
      // would clash (set ANSIBLE_FORCE_COLOR in ansible_env_vars to have them anyway).
      ANSIBLE_NOCOLOR: "1",
      PYTHONUNBUFFERED: "1",
      ...Object.fromEntries(userEnv),
      // Build outputs: the file's path in the container, for tasks there (docs/outputs.md).
      ...(ctx.outputFile ? { KILN_OUTPUT: ctx.outputFile } : {}),
    };

    const local: string[] = [];
    const remoteTmp = `/tmp/.kiln-ansible-${randomBytes(6).toString("hex")}`;
    let cleanHomes: string[] | undefined;
    try {
      const probe = await this.probe(ctx);
      cleanHomes = probe.homes;
      // Without `user`, tasks run as the Communicator's user (exec_user, else the image's USER),
      // as they do through Packer's proxy.
      const user = c.user ?? probe.user;
      if (c.galaxy_file) await this.galaxy(ctx, env);

      const inventory =
        c.inventory_file !== undefined
          ? abs(ctx.cwd, c.inventory_file)
          : await this.writeInventory(ctx, containerId, user, local);

      const kilnVars: Record<string, string> = {
        packer_build_name: ctx.sourceName,
        packer_builder_type: ctx.builderType,
        ansible_remote_tmp: remoteTmp,
        ansible_async_dir: `${remoteTmp}/async`,
      };
      if (!NOT_IMPLEMENTED.test(ctx.buildData.PackerHTTPAddr))
        kilnVars.packer_http_addr = ctx.buildData.PackerHTTPAddr;
      if (c.inventory_file !== undefined) {
        // A user inventory knows nothing of the container: every host in it is the container.
        kilnVars.ansible_connection = DOCKER_CONNECTION;
        kilnVars.ansible_host = containerId;
        if (user) kilnVars.ansible_user = user;
      }
      const stem = join(ctx.tempDir, `packer-extra-vars-${randomInt(1e9)}`);
      const kilnVarsFile = `${stem}.json`;
      local.push(kilnVarsFile);
      await writeFile(kilnVarsFile, JSON.stringify(kilnVars, null, 2) + "\n", { mode: 0o600 });
      const rewritten = rewriteExtraVars(c.extra_arguments, (i, ext) => `${stem}-${i + 1}.${ext}`);
      for (const s of rewritten.secrets) ctx.addSecret(s);
      for (const f of rewritten.files) {
        const path = `${stem}-${f.index + 1}.${f.ext}`;
        local.push(path);
        await writeFile(path, f.content, { mode: 0o600 });
      }

      const args = [
        "-e",
        `@${kilnVarsFile}`,
        ...rewritten.args,
        "-i",
        inventory,
        abs(ctx.cwd, c.playbook_file),
      ];
      ctx.ui.say(`Executing Ansible: ${[c.command, ...args].map(shellQuote).join(" ")}`);
      const output = new AnsibleOutput();
      let result;
      try {
        result = await runHostProcess(c.command, args, {
          env,
          cwd: ctx.cwd,
          signal: ctx.signal,
          onStdout: (l) => (output.line(l), ctx.ui.message(l)),
          onStderr: (l) => (output.line(l), ctx.ui.error(l)),
          what: "ansible",
        });
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        throw new BuildError(
          `Error executing Ansible: ${errorMessage(e)}; install Ansible (Debian: apt-get install ansible) or set ${optionName(ctx.templateFormat, "command")}`,
          { cause: e },
        );
      }
      if (result.code !== 0) throw new BuildError(failureText(result, output));
    } finally {
      for (const f of local) await rm(f, { force: true });
      if (!ctx.signal.aborted && cleanHomes !== undefined)
        await this.cleanContainer(ctx, remoteTmp, cleanHomes);
    }
  }

  /**
   * The Communicator's user (name, or uid when it has none), and the home directories (of that
   * user and of `user`) that have no ~/.ansible yet, so that one created by the run can go.
   */
  private async probe(ctx: ProvisionContext): Promise<{ user: string | undefined; homes: string[] }> {
    const named = this.c.user && SAFE_USER.test(this.c.user) ? this.c.user : undefined;
    const homes = ['"$HOME"', ...(named ? [`"$(eval echo ~${named})"`] : [])].join(" ");
    const found: string[] = [];
    let user: string | undefined;
    const code = await ctx.comm.run({
      command:
        `echo "user:$(id -un 2>/dev/null || id -u)"; ` +
        `for h in ${homes}; do [ -n "$h" ] && [ "$h" != / ] && [ ! -e "$h/.ansible" ] && echo "home:$h"; done; true`,
      onStdout: (l) => {
        if (l.startsWith("home:")) found.push(l.slice(5));
        else if (l.startsWith("user:") && SAFE_USER.test(l.slice(5))) user = l.slice(5);
      },
      signal: ctx.signal,
    });
    return code === 0 ? { user, homes: found } : { user: undefined, homes: [] };
  }

  /** Removes Ansible's temp dir, and ~/.ansible where the run created it. */
  private async cleanContainer(ctx: ProvisionContext, remoteTmp: string, homes: string[]): Promise<void> {
    const targets = [remoteTmp, ...homes.map((h) => `${h}/.ansible`)].map(shellQuote).join(" ");
    const errors: string[] = [];
    try {
      const code = await ctx.comm.run({
        command: `rm -rf ${targets}`,
        onStderr: (l) => errors.push(l),
        signal: ctx.signal,
      });
      if (code !== 0)
        ctx.ui.error(`Could not remove Ansible's temporary files from the container: ${errors.join("; ")}`);
    } catch (e) {
      ctx.ui.error(`Could not remove Ansible's temporary files from the container: ${errorMessage(e)}`);
    }
  }

  private async writeInventory(
    ctx: ProvisionContext,
    containerId: string,
    user: string | undefined,
    local: string[],
  ): Promise<string> {
    const c = this.c;
    let host: string;
    if (c.inventory_file_template !== undefined) {
      host = ctx.render(c.inventory_file_template, {
        ...ctx.buildData,
        HostAlias: c.host_alias,
        Host: containerId,
        ID: containerId,
        User: user ?? "",
        Port: "",
      });
    } else {
      const vars = [`ansible_connection=${DOCKER_CONNECTION}`, `ansible_host=${containerId}`];
      if (user) vars.push(`ansible_user=${user}`);
      host = `${c.host_alias} ${vars.join(" ")}`;
    }
    if (!host.endsWith("\n")) host += "\n";
    let text = host;
    for (const g of c.groups) text += `[${g}]\n${host}`;
    for (const g of c.empty_groups) text += `[${g}]\n`;
    // Packer's default is the system temp dir; kiln's per-build temp dir is removed with the build,
    // so a kept inventory goes to the system temp dir as in Packer.
    const dir =
      c.inventory_directory !== undefined
        ? abs(ctx.cwd, c.inventory_directory)
        : c.keep_inventory_file
          ? tmpdir()
          : ctx.tempDir;
    const path = join(dir, `packer-provisioner-ansible${randomInt(1e9)}`);
    await writeFile(path, text, { mode: 0o600 });
    if (!c.keep_inventory_file) local.push(path);
    return path;
  }

  private async galaxy(ctx: ProvisionContext, env: NodeJS.ProcessEnv): Promise<void> {
    const c = this.c;
    const file = abs(ctx.cwd, c.galaxy_file);
    const text = await readFile(file, "utf8").catch((e: unknown) => {
      throw new BuildError(
        `Error executing Ansible: Error executing Ansible Galaxy: cannot read ${c.galaxy_file}: ${errorMessage(e)}`,
      );
    });
    const force = [
      ...(c.galaxy_force_install ? ["-f"] : []),
      ...(c.galaxy_force_with_deps ? ["--force-with-deps"] : []),
    ];
    const runs: string[][] = [];
    const hasRoles = /^roles:/m.test(text);
    const hasCollections = /^collections:/m.test(text);
    if (hasRoles || !hasCollections)
      runs.push(["install", "-r", file, ...force, ...(c.roles_path ? ["-p", c.roles_path] : [])]);
    if (hasCollections)
      runs.push([
        "collection",
        "install",
        "-r",
        file,
        ...force,
        ...(c.collections_path ? ["-p", c.collections_path] : []),
      ]);
    for (const args of runs) {
      ctx.ui.message("Executing Ansible Galaxy");
      let result;
      try {
        result = await runHostProcess(c.galaxy_command, args, {
          env,
          cwd: ctx.cwd,
          signal: ctx.signal,
          onStdout: (l) => ctx.ui.message(l),
          onStderr: (l) => ctx.ui.error(l),
          what: "ansible-galaxy",
        });
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        throw new BuildError(`Error executing Ansible: Error executing Ansible Galaxy: ${errorMessage(e)}`, {
          cause: e,
        });
      }
      if (result.code !== 0) {
        throw new BuildError(
          `Error executing Ansible: Error executing Ansible Galaxy: Non-zero exit status: ${status(result)}`,
        );
      }
    }
  }
}

function status(r: { code: number | undefined; signal: NodeJS.Signals | undefined }): string {
  return r.code === undefined ? `signal: ${r.signal}` : `exit status ${r.code}`;
}

function failureText(
  r: { code: number | undefined; signal: NodeJS.Signals | undefined },
  out: AnsibleOutput,
): string {
  const base = `Error executing Ansible: Non-zero exit status: ${status(r)}`;
  if (out.pythonMissing) return `${base}\n${PYTHON_HINT}`;
  if (out.missingConnectionPlugin) {
    return `${base}\nAnsible has no ${out.missingConnectionPlugin} connection plugin, which kiln uses to reach the container: install the community.docker collection (Debian's "ansible" package includes it, or: ansible-galaxy collection install community.docker)`;
  }
  const summary = out.summary();
  return summary ? `${base} (${summary})` : base;
}

export function createAnsibleProvisioner(config: Record<string, unknown>): Provisioner {
  return new AnsibleProvisioner(config as unknown as AnsibleConfig);
}
