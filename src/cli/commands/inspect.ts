// `kiln inspect`: Packer's layout (variables, builders, provisioners) plus post-processors.
import type { Command } from "commander";
import { loadForCli, maskedStderr, reportError } from "../load.js";
import { SecretMasker } from "../../ui/mask.js";
import type { Template } from "../../template/types.js";

export function renderInspect(t: Template): string {
  const lines: string[] = [`Packer Inspect: ${t.format === "json" ? "JSON" : "HCL2"} mode`];
  if (t.description) lines.push("Description:", "", t.description, "");
  const optional = t.variables.filter((v) => !v.required);
  const required = t.variables.filter((v) => v.required);
  const show = (v: Template["variables"][number]) =>
    v.sensitive ? "<sensitive>" : JSON.stringify(v.value ?? "");
  lines.push("Optional variables and their defaults:", "");
  for (const v of optional) lines.push(`  ${v.name} = ${show(v)}`);
  if (optional.length === 0) lines.push("  <No optional variables>");
  lines.push("", "Required variables:", "");
  for (const v of required) lines.push(`  ${v.name}`);
  if (required.length === 0) lines.push("  <No required variables>");
  lines.push("", "Builders:", "");
  for (const b of t.builds) lines.push(`  ${b.name}${b.name !== b.type ? ` (${b.type})` : ""}`);
  for (const b of t.unsupportedBuilds) lines.push(`  ${b.name} (${b.type}: not supported by kiln)`);
  lines.push("", "Provisioners:", "");
  const provs = t.builds[0]?.provisioners ?? [];
  for (const p of provs) lines.push(`  ${p.type}`);
  if (provs.length === 0) lines.push("  <No provisioners>");
  lines.push("", "Post-processors:", "");
  const seqs = t.builds[0]?.postProcessors ?? [];
  for (const [i, seq] of seqs.entries())
    lines.push(`  ${i}: ${seq.map((p) => (p.named ? `${p.name} (${p.type})` : p.type)).join(" → ")}`);
  if (seqs.length === 0) lines.push("  <No post-processors>");
  lines.push(
    "",
    "Note: If your build names contain user variables or template",
    "functions such as 'timestamp', these are processed at build time,",
    "and therefore only show in their raw form here.",
  );
  return lines.join("\n") + "\n";
}

/** Packer's `inspect -machine-readable` records (reference §f.4), sensitive values masked. */
export function renderInspectMachine(t: Template, now = Math.floor(Date.now() / 1000)): string {
  const esc = (v: string) => v.replace(/,/g, "%!(PACKER_COMMA)").replace(/\r/g, "\\r").replace(/\n/g, "\\n");
  const line = (target: string, type: string, ...data: string[]) =>
    `${now},${target},${type},${data.map(esc).join(",")}`;
  const lines: string[] = [];
  if (t.description) lines.push(line("", "template-description", t.description));
  for (const v of t.variables) {
    const value = v.sensitive ? "<sensitive>" : v.required ? "" : displayValue(v.value);
    lines.push(line("", "template-variable", v.name, value, v.required ? "1" : "0"));
  }
  for (const b of [...t.builds, ...t.unsupportedBuilds])
    lines.push(line("", "template-builder", b.name, b.type));
  for (const p of t.builds[0]?.provisioners ?? []) lines.push(line("", "template-provisioner", p.type));
  for (const [i, seq] of (t.builds[0]?.postProcessors ?? []).entries()) {
    for (const pp of seq) lines.push(line("", "template-post-processor", String(i), pp.type, pp.name));
  }
  return lines.join("\n") + "\n";
}

export function registerInspect(program: Command, setExit: (code: number) => void): void {
  program
    .command("inspect")
    .description("Show a template's variables, builds, provisioners and post-processors.")
    .argument("<template>", "template file or directory")
    .option("--machine-readable", "Packer's machine-readable records")
    .action(async (template: string, flags: { machineReadable?: boolean }) => {
      const masker = new SecretMasker();
      try {
        const t = await loadForCli(template, { allowUnsetRequired: true }, masker);
        process.stdout.write(flags.machineReadable ? renderInspectMachine(t) : renderInspect(t));
        setExit(0);
      } catch (e) {
        setExit(reportError(e, maskedStderr(masker)));
      }
    });
}

/** A variable's value as text: strings as they are, anything else (lists, maps) as JSON. */
function displayValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}
