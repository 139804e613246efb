// What an ansible step reads on the host: the playbook and the folder it lives in (vars files,
// templates, roles/ beside it), roles and collections paths, the galaxy requirements, the
// inventory file, `@file` extra vars, and the version of ansible-playbook that runs it.
import { dirname } from "node:path";
import type { DeclaredInputs, LocalInput } from "../../core/step-inputs.js";
import type { AnsibleConfig } from "./schema.js";

/** Options that cannot change the result: ignored SSH-proxy settings and the version check. */
const VOLATILE_KEYS = [
  "skip_version_check",
  "use_proxy",
  "ansible_ssh_extra_args",
  "local_port",
  "ssh_host_key_file",
  "ssh_authorized_key_file",
  "sftp_command",
  "use_sftp",
  "ansible_proxy_key_type",
  "ansible_winrm_use_http",
  "keep_inventory_file",
  "inventory_directory",
];

/** `-e @vars.yml`, `--extra-vars=@vars.yml`, `-e@vars.yml`: files ansible reads. */
export function extraVarFiles(args: readonly string[]): string[] {
  const files: string[] = [];
  for (const [i, a] of args.entries()) {
    const joined = /^(?:-e|--extra-vars)=?@(.+)$/.exec(a);
    if (joined) files.push(joined[1]!);
    else if ((a === "-e" || a === "--extra-vars") && args[i + 1]?.startsWith("@")) {
      files.push(args[i + 1]!.slice(1));
    }
  }
  return files;
}

export function ansibleInputs(config: Record<string, unknown>): DeclaredInputs {
  const c = config as unknown as AnsibleConfig;
  const files: LocalInput[] = [
    { role: "playbook", path: c.playbook_file, required: true },
    { role: "playbook_dir", path: dirname(c.playbook_file), required: true },
  ];
  const paths = (role: string, value: string | undefined) => {
    for (const p of (value ?? "").split(":").filter(Boolean)) files.push({ role, path: p });
  };
  paths("roles_path", c.roles_path);
  paths("collections_path", c.collections_path);
  if (c.galaxy_file) files.push({ role: "galaxy_file", path: c.galaxy_file, required: true });
  if (c.inventory_file) files.push({ role: "inventory_file", path: c.inventory_file, required: true });
  for (const f of extraVarFiles(c.extra_arguments ?? [])) files.push({ role: "extra_vars_file", path: f });
  return {
    files,
    tools: [c.command || "ansible-playbook"],
    volatileKeys: VOLATILE_KEYS,
    changesContainer: true,
  };
}
