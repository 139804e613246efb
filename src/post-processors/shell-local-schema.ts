// The `shell-local` post-processor: the provisioner's options, run once per artifact on the host.
import type { ComponentSpec } from "../template/schema.js";
import {
  checkShellLocal,
  shellLocalSchema,
  type ShellLocalConfig,
} from "../provisioners/shell-local/schema.js";

export const shellLocalPostProcessorSchema = shellLocalSchema;
export type ShellLocalPostProcessorConfig = ShellLocalConfig;

export const shellLocalPostProcessorSpec: ComponentSpec<typeof shellLocalSchema> = {
  type: "shell-local",
  schema: shellLocalPostProcessorSchema,
  // Before the post-processor shared the provisioner's code, execute_command was one string run
  // with `sh -c`; Packer still reads a single string that way, and so does kiln.
  normalize(c) {
    if (c.execute_command.length === 1) c.execute_command = ["sh", "-c", c.execute_command[0]!];
  },
  check: (c) => checkShellLocal(c, "shell-local post-processor"),
};
