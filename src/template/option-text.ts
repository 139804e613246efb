// Options as the user writes them in the template being run, for hints and fixes: `"pull": false`
// in a JSON template, `pull = false` in HCL2. A hint in the other syntax is one more thing to
// translate before the fix can be pasted.
import type { Template } from "./types.js";

export type TemplateFormat = Template["format"];

/** `"key": value` (JSON) or `key = value` (HCL2); the value is JSON, which HCL2 reads alike. */
export function optionSetting(format: TemplateFormat | undefined, key: string, value: unknown): string {
  const text = JSON.stringify(value);
  return format === "hcl" ? `${key} = ${text}` : `"${key}": ${text}`;
}

/** The option's name as it appears in the template: `"pull"` (JSON) or `pull` (HCL2). */
export function optionName(format: TemplateFormat | undefined, key: string): string {
  return format === "hcl" ? key : `"${key}"`;
}
