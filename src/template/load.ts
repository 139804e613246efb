// Entry point of template loading: JSON templates here, HCL2 (`*.pkr.hcl`, `*.pkr.json`, or a
// directory of them) through the HCL loader. The only I/O is reading files.
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { statTemplatePath } from "./template-path.js";
import type { LoadOptions, Template } from "./types.js";
import { loadJsonTemplate } from "./json/load-json.js";

export async function loadTemplate(path: string, opts: LoadOptions): Promise<Template> {
  const { abs, isDir } = await statTemplatePath(
    path,
    opts.cwd,
    "give the path of a Packer JSON template (template.json) or of HCL2 files (*.pkr.hcl, or their directory)",
  );
  if (isDir || /\.pkr\.(hcl|json)$/.test(path)) return loadHcl(path, opts);
  const text = await readFile(abs, "utf8");
  if (path.endsWith(".json") || /^\uFEFF?\s*\{/.test(text)) {
    return loadJsonTemplate(path, dirname(abs), text, opts);
  }
  return loadHcl(path, opts);
}

async function loadHcl(path: string, opts: LoadOptions): Promise<Template> {
  // Loaded on demand: JSON users do not pay for the HCL parser and its function library.
  const { loadHclTemplate } = await import("./hcl/load.js");
  return loadHclTemplate(path, opts);
}
