// Options of the `ansible` provisioner (reference §c.6 for Packer 1.6.6, plus later plugin
// options). kiln runs ansible-playbook on the host against the build container through Ansible's
// docker connection, so the SSH proxy options are accepted and ignored.
import { f, type CheckProblem, type ComponentSpec, type ConfigOf } from "../../template/schema.js";

const NO_PROXY = "kiln drives Ansible through its docker connection; there is no SSH proxy";

export const ansibleSchema = {
  playbook_file: f.string("The playbook to run (a local file).").need(),
  command: f.string("The ansible-playbook executable.").default("ansible-playbook"),
  extra_arguments: f.strings("Extra arguments to ansible-playbook.").default([]),
  ansible_env_vars: f.strings("`KEY=value` environment for ansible-playbook.").default([]),
  groups: f.strings("Inventory groups the container is put in.").default([]),
  empty_groups: f.strings("Inventory groups created empty.").default([]),
  host_alias: f.string("The container's inventory host name.").default("default"),
  user: f.string("User Ansible runs tasks as inside the container (ansible_user)."),
  inventory_directory: f.string("Where the generated inventory is written (default: a temp dir)."),
  inventory_file: f.string("Use this inventory instead of generating one."),
  inventory_file_template: f
    .string("Template of the generated inventory ({{ .HostAlias }}, {{ .ID }}…).")
    .lateRender(),
  keep_inventory_file: f.bool("Keep the generated inventory after the run.").default(false),
  galaxy_file: f.string("A requirements file for ansible-galaxy.").default(""),
  galaxy_command: f.string("The ansible-galaxy executable.").default("ansible-galaxy"),
  galaxy_force_install: f.bool("Pass --force to ansible-galaxy.").default(false),
  galaxy_force_with_deps: f.bool("Pass --force-with-deps to ansible-galaxy.").default(false),
  roles_path: f.string("Where ansible-galaxy installs roles (ANSIBLE_ROLES_PATH).").default(""),
  collections_path: f.string("Where ansible-galaxy installs collections.").default(""),
  skip_version_check: f.bool("Do not run `ansible-playbook --version` first.").default(false),
  use_proxy: f.bool("Packer's SSH proxy adapter.").ignore(NO_PROXY),
  ansible_ssh_extra_args: f.strings("SSH arguments for the proxy connection.").ignore(NO_PROXY),
  local_port: f.int("Port of the SSH proxy.").ignore(NO_PROXY),
  ssh_host_key_file: f.string("Host key of the SSH proxy.").ignore(NO_PROXY),
  ssh_authorized_key_file: f.string("Authorized key for the SSH proxy.").ignore(NO_PROXY),
  sftp_command: f.string("SFTP server command of the proxy.").ignore(NO_PROXY),
  use_sftp: f.bool("Use SFTP through the proxy.").ignore(NO_PROXY),
  ansible_proxy_key_type: f.string("Key type of the SSH proxy.").ignore(NO_PROXY),
  ansible_winrm_use_http: f.bool("WinRM over HTTP.").ignore("kiln builds Linux containers only"),
};
export type AnsibleConfig = ConfigOf<typeof ansibleSchema>;

export function checkEnvPairs(field: string, values: string[]): CheckProblem[] {
  return values.flatMap((kv, i): CheckProblem[] =>
    /^[^=]+=/.test(kv)
      ? []
      : [[`${field}[${i}]`, `environment variable not in format 'key=value': ${JSON.stringify(kv)}`]],
  );
}

export const ansibleSpec: ComponentSpec<typeof ansibleSchema> = {
  type: "ansible",
  schema: ansibleSchema,
  check: (c) => checkEnvPairs("ansible_env_vars", c.ansible_env_vars),
};
