// The `shell-local` post-processor: the provisioner's options, run once per artifact on the host.
import type { ComponentSpec } from "../template/schema.js";
import { checkShellLocal, shellLocalSchema, type ShellLocalConfig } from "../provisioners/shell-local/schema.js";

export const shellLocalPostProcessorSchema = shellLocalSchema;
export type ShellLocalPostProcessorConfig = ShellLocalConfig;

export const shellLocalPostProcessorSpec: ComponentSpec<typeof shellLocalSchema> = {
  type: "shell-local",
  schema: shellLocalPostProcessorSchema,
  check: (c) => checkShellLocal(c, "shell-local post-processor"),
};
