// Small Packer JSON templates for the scenarios, written into the scenario's directory.
import { writeFileSync } from "node:fs";
import path from "node:path";

export const BUSYBOX = process.env.KILN_TEST_BUSYBOX ?? "kiln-test/busybox:1";
/** Printed by a provisioner once it is running, so a fault can be injected at that moment. */
export const RUNNING = "provisioner-is-running";

export interface TemplateOptions {
  image?: string;
  builder?: Record<string, unknown>;
  inline?: string[];
  provisioners?: Record<string, unknown>[];
  postProcessors?: unknown[];
  variables?: Record<string, string | null>;
  sensitive?: string[];
}

export function jsonTemplate(opts: TemplateOptions = {}): Record<string, unknown> {
  return {
    ...(opts.variables ? { variables: opts.variables } : {}),
    ...(opts.sensitive ? { "sensitive-variables": opts.sensitive } : {}),
    builders: [{ type: "docker", image: opts.image ?? BUSYBOX, pull: false, commit: true, ...opts.builder }],
    provisioners: opts.provisioners ?? [{ type: "shell", inline: opts.inline ?? ["echo hello"] }],
    ...(opts.postProcessors ? { "post-processors": opts.postProcessors } : {}),
  };
}

/** A provisioner that says it is running, then sleeps (the window for a fault). */
export function sleeper(seconds = 60): string[] {
  return [`echo ${RUNNING}`, `sleep ${seconds}`, "echo finished-sleeping"];
}

export function writeTemplate(dir: string, template: object | string, name = "template.json"): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof template === "string" ? template : JSON.stringify(template, null, 2));
  return file;
}
