// Options of the `ansible-local` provisioner (reference §c.6): the playbook and its roles and vars
// are uploaded into the container, where ansible-playbook must be installed.
import { f, type CheckProblem, type ComponentSpec, type ConfigOf } from "../../template/schema.js";

export const ansibleLocalSchema = {
  playbook_file: f.string("The playbook to upload and run."),
  playbook_files: f.strings("Several playbooks, run in order."),
  playbook_dir: f.string("A directory uploaded whole (roles, vars, files next to the playbook)."),
  playbook_paths: f.strings("Directories uploaded next to the playbook.").default([]),
  role_paths: f.strings("Role directories to upload.").default([]),
  collection_paths: f.strings("Collection directories to upload.").default([]),
  group_vars: f.string("A group_vars directory to upload."),
  host_vars: f.string("A host_vars directory to upload."),
  inventory_file: f.string("An inventory to upload instead of the generated one."),
  inventory_groups: f
    .strings("Groups of the generated inventory (a comma-separated string is accepted).")
    .default([])
    .acceptSingle(),
  extra_arguments: f.strings("Extra arguments to ansible-playbook.").default([]),
  staging_directory: f.string(
    "Where files are uploaded in the container (default: a fresh directory under /tmp).",
  ),
  clean_staging_directory: f
    .bool(
      "Remove the staging directory afterwards (kiln's default is true: nothing uploaded stays in the image).",
    )
    .default(true),
  galaxy_file: f.string("A requirements file for ansible-galaxy (run in the container).").default(""),
  galaxy_command: f.string("The ansible-galaxy executable in the container.").default("ansible-galaxy"),
  galaxy_roles_path: f.string("Where ansible-galaxy installs roles in the container.").default(""),
  galaxy_collections_path: f
    .string("Where ansible-galaxy installs collections in the container.")
    .default(""),
  galaxy_force_install: f.bool("Pass --force to ansible-galaxy.").default(false),
  command: f
    .string("The ansible-playbook command line in the container.")
    .default("ANSIBLE_FORCE_COLOR=1 PYTHONUNBUFFERED=1 ansible-playbook"),
};
export type AnsibleLocalConfig = ConfigOf<typeof ansibleLocalSchema>;

export const ansibleLocalSpec: ComponentSpec<typeof ansibleLocalSchema> = {
  type: "ansible-local",
  schema: ansibleLocalSchema,
  obsolete: { galaxycommand: 'Rename it to "galaxy_command"' },
  check(c) {
    const p: CheckProblem[] = [];
    if (c.playbook_file !== undefined && c.playbook_files !== undefined) {
      p.push(["playbook_files", "either playbook_file or playbook_files can be specified, not both"]);
    } else if (c.playbook_file === undefined && c.playbook_files === undefined) {
      p.push(["", "the ansible-local provisioner needs playbook_file or playbook_files"]);
    }
    return p;
  },
};
