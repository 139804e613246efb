// Reads the chain's files: one or more IMAGES.json (corpusops' format, unchanged) or one native
// chain file, told apart by their top-level key (`images` / `nodes`). Every problem of every file
// is reported at once (exit 2); nothing here contacts an engine.
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { InvalidInputError } from "../template/diagnostic.js";
import { readImagesJson, type ImagesEntry, type ImagesJsonOptions } from "./images-json.js";
import { Problems } from "./json-input.js";
import type { ChainSpec, DeclaredEngine } from "./model.js";
import { readNativeChain, type NativeOptions } from "./native-file.js";
import { parseJson } from "../template/json/parse-json.js";
import { member } from "./json-input.js";

export interface ReadChainOptions extends ImagesJsonOptions, NativeOptions {
  cwd: string;
}

export interface ReadChain {
  spec: ChainSpec;
  /** IMAGES.json entries as the original computes them (for --list and --generate-images). */
  entries: ImagesEntry[];
  warnings: Problems["list"];
}

/** `files` are absolute. */
export async function readChain(files: readonly string[], opts: ReadChainOptions): Promise<ReadChain> {
  const problems = new Problems();
  const texts: { file: string; text: string }[] = [];
  for (const file of files) {
    try {
      texts.push({ file, text: await readFile(file, "utf8") });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.error(
        undefined,
        `${relative(opts.cwd, file) || file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : String(e)}`,
        "kiln chain reads docker/IMAGES.json (or .docker/IMAGES.json; --images-files / IMAGES_FILE choose others) or a native chain file given as an argument",
      );
    }
  }
  if (problems.hasErrors) throw new InvalidInputError(problems.list);
  const native = texts.filter((t) => isNative(t.file, t.text));
  const entries: ImagesEntry[] = [];
  let spec: ChainSpec;
  if (native.length > 0) {
    if (texts.length > 1) {
      throw new InvalidInputError([
        {
          severity: "error",
          summary: `a native chain file is read alone: got ${texts.length} files`,
          detail: "give one native chain file, or IMAGES.json files only",
        },
      ]);
    }
    const engines: DeclaredEngine[] = [];
    const nodes = readNativeChain(native[0]!.file, native[0]!.text, opts, problems, engines);
    spec = { files: [native[0]!.file], format: "native", nodes, engines };
  } else {
    for (const t of texts) entries.push(...readImagesJson(t.file, t.text, opts, problems, entries.length));
    spec = { files: texts.map((t) => t.file), format: "images-json", nodes: entries.map((e) => e.node) };
    // Keys identify entries (--images, --list): two entries with one key would be one to the original.
    const seen = new Map<string, ImagesEntry>();
    for (const e of entries) {
      const first = seen.get(e.node.name);
      if (first) {
        problems.error(
          e.node.pos,
          `two entries are both ${e.node.name}`,
          `the first is at ${first.node.pos ? `${first.node.pos.file}:${first.node.pos.line}` : "an earlier entry"}; entries are told apart by packer__<file> and dockerfile__<tag>: give them different files or tags`,
        );
      } else seen.set(e.node.name, e);
    }
  }
  if (problems.hasErrors) throw new InvalidInputError(problems.list);
  return { spec, entries, warnings: problems.list };
}

/** A native chain file has `nodes` (and no `images`) at the top; syntax errors surface here. */
function isNative(file: string, text: string): boolean {
  const root = parseJson(text, file).root;
  return member(root, "nodes") !== undefined && member(root, "images") === undefined;
}
