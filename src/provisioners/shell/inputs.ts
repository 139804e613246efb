// What a shell step reads: its scripts. Inline commands, execute_command and the environment are
// part of its configuration; the pauses and retry window cannot change what it does.
import type { DeclaredInputs } from "../../core/step-inputs.js";
import type { ShellConfig } from "./schema.js";

const VOLATILE_KEYS = ["pause_after", "start_retry_timeout", "expect_disconnect"];

export function shellInputs(config: Record<string, unknown>): DeclaredInputs {
  const c = config as unknown as ShellConfig;
  const scripts = c.script !== undefined ? [c.script] : (c.scripts ?? []);
  return {
    files: scripts.map((path) => ({ role: "script", path, required: true })),
    volatileKeys: VOLATILE_KEYS,
    changesContainer: true,
  };
}
