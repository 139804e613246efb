// Packer's `shell-local` provisioner: commands and scripts on the host, during the build (the
// container exists: `{{ build `ID` }}` is its id).
import type { Provisioner, ProvisionContext } from "../../core/component.js";
import type { ShellLocalConfig } from "./schema.js";
import { runShellLocal } from "../../host/run-shell-local.js";

export class ShellLocalProvisioner implements Provisioner {
  constructor(private readonly c: ShellLocalConfig) {}

  provision(ctx: ProvisionContext): Promise<void> {
    return runShellLocal(this.c, ctx);
  }
}

export function createShellLocalProvisioner(config: Record<string, unknown>): Provisioner {
  return new ShellLocalProvisioner(config as unknown as ShellLocalConfig);
}
