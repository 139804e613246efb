// What an ansible-local step uploads: playbooks, their folders, roles, collections, group and
// host vars, inventory and galaxy files. Ansible itself runs in the image, which the chain of
// image IDs already pins.
import type { DeclaredInputs, LocalInput } from "../../core/step-inputs.js";
import type { AnsibleLocalConfig } from "./schema.js";

export function ansibleLocalInputs(config: Record<string, unknown>): DeclaredInputs {
  const c = config as unknown as AnsibleLocalConfig;
  const files: LocalInput[] = [];
  const one = (role: string, path: string | undefined) => {
    if (path !== undefined && path !== "") files.push({ role, path, required: true });
  };
  const many = (role: string, list: string[] | undefined) => {
    for (const p of list ?? []) one(role, p);
  };
  one("playbook_file", c.playbook_file);
  many("playbook_files", c.playbook_files);
  one("playbook_dir", c.playbook_dir);
  many("playbook_paths", c.playbook_paths);
  many("role_paths", c.role_paths);
  many("collection_paths", c.collection_paths);
  one("group_vars", c.group_vars);
  one("host_vars", c.host_vars);
  one("inventory_file", c.inventory_file);
  one("galaxy_file", c.galaxy_file);
  return { files, changesContainer: true };
}
