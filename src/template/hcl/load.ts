// Loads an HCL2 template (one `.pkr.hcl` file, or every `*.pkr.hcl` of a directory in lexical
// order) into the same typed Template the JSON loader produces. Every problem found is collected
// and thrown together as one InvalidInputError, each with file:line:col and an excerpt.
import { readFileSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { InvalidInputError, sortByPosition } from "../diagnostic.js";
import { statTemplatePath } from "../template-path.js";
import type { LoadOptions, Template, VariableDecl } from "../types.js";
import type { SourceFile } from "./ast.js";
import { checkBody } from "./body.js";
import { readBuilds, readSources } from "./builds.js";
import { error, report, type HclLoadContext } from "./context.js";
import { HclError, diagnosticFromError } from "./diagnostics.js";
import { evaluate, type EvalContext } from "./evaluate.js";
import { ENV_HINT, FUNCTIONS } from "./functions/index.js";
import { FunctionError, type FnEnv } from "./functions/registry.js";
import { renderLateHcl } from "./late-render.js";
import { resolveLocals } from "./locals.js";
import { PACKER_VERSION, readPackerBlocks } from "./packer-block.js";
import { parseFile, parseTemplate } from "./parser.js";
import { STRING } from "./types.js";
import { convert } from "./convert.js";
import { isMapping, leafStrings, objectOf, str, type Value } from "./value.js";
import { resolveVariables, type VarFile } from "./variables.js";

const TOP_LEVEL = {
  attributes: [] as string[],
  blocks: ["packer", "variable", "variables", "locals", "local", "source", "build", "data"],
  where: "a template (top level)",
};

interface Discovered {
  /** Template files: [name for diagnostics, absolute path]. */
  files: [string, string][];
  autoVarFiles: [string, string][];
  jsonFiles: string[];
  dir: string;
  pathRoot: string;
}

async function discover(path: string, opts: LoadOptions): Promise<Discovered> {
  const { abs, isDir } = await statTemplatePath(
    path,
    opts.cwd,
    "give the path of a .pkr.hcl file or of a directory of them",
  );
  if (!isDir) {
    return {
      files: [[path, abs]],
      autoVarFiles: [],
      jsonFiles: path.endsWith(".pkr.json") ? [path] : [],
      dir: dirname(abs),
      pathRoot: dirname(path),
    };
  }
  const names = (await readdir(abs)).sort();
  const shown = (n: string): string => join(path, n);
  return {
    files: names.filter((n) => n.endsWith(".pkr.hcl")).map((n) => [shown(n), join(abs, n)]),
    autoVarFiles: names
      .filter((n) => /\.auto\.pkrvars\.(hcl|json)$/.test(n))
      .map((n) => [shown(n), join(abs, n)]),
    jsonFiles: names.filter((n) => n.endsWith(".pkr.json")).map(shown),
    dir: abs,
    pathRoot: path,
  };
}

export async function loadHclTemplate(path: string, opts: LoadOptions): Promise<Template> {
  const found = await discover(path, opts);
  const lctx: HclLoadContext = {
    opts,
    path,
    templateDir: found.dir,
    pathRoot: found.pathRoot,
    sources: new Map(),
    diagnostics: [],
    seen: new Set(),
    fnEnv: { cwd: opts.cwd, startTime: opts.startTime, env: opts.env },
  };
  lctx.fnEnv.renderTemplate = templateRenderer(lctx);

  for (const j of found.jsonFiles) {
    report(lctx, {
      severity: "error",
      pos: { file: j, line: 1, column: 1 },
      summary: "HCL's JSON syntax (*.pkr.json) is not supported by kiln",
      detail:
        "write the template in HCL native syntax (*.pkr.hcl), or use a Packer JSON template (template.json)",
    });
  }
  if (found.files.length === 0 && found.jsonFiles.length === 0) {
    throw new InvalidInputError([
      {
        severity: "error",
        summary: `no *.pkr.hcl files in ${path}`,
        detail: "a directory template is every *.pkr.hcl file in it",
      },
    ]);
  }

  const files: SourceFile[] = [];
  for (const [shown, abs] of found.files) {
    const text = await readText(shown, abs);
    lctx.sources.set(shown, text);
    const r = parseFile(text, shown);
    for (const e of r.errors) report(lctx, diagnosticFromError(lctx.sources, e));
    files.push(r.file);
  }
  const varFiles: VarFile[] = [];
  const readVarFile = async (shown: string, abs: string, auto: boolean): Promise<void> => {
    // Packer 1.6.6 picks the format by suffix and refuses any other ("Could not guess format").
    if (!shown.endsWith(".hcl") && !shown.endsWith(".json")) {
      error(
        lctx,
        undefined,
        `Could not guess the format of var-file ${shown}`,
        "A var-file's name must end in .hcl (HCL: name = value) or .json (a JSON object), as in Packer; rename it or copy it to e.g. vars.pkrvars.hcl.",
      );
      return;
    }
    const text = await readText(shown, abs);
    lctx.sources.set(shown, text);
    if (shown.endsWith(".json")) {
      varFiles.push({ path: shown, text, auto });
      return;
    }
    const r = parseFile(text, shown);
    for (const e of r.errors) report(lctx, diagnosticFromError(lctx.sources, e));
    varFiles.push({ path: shown, text, file: r.file, auto });
  };
  for (const [shown, abs] of found.autoVarFiles) await readVarFile(shown, abs, true);
  for (const vf of opts.varFiles) await readVarFile(vf, isAbsolute(vf) ? vf : resolve(opts.cwd, vf), false);

  const syntaxErrors = lctx.diagnostics.filter((d) => d.severity === "error");
  if (syntaxErrors.length > 0) throw new InvalidInputError(sortByPosition(syntaxErrors));

  // Block structure at the top level. Data sources are refused; references to them
  // (`data.amazon-ami.x.id`) are then not reported a second time.
  const dataTypes = new Set<string>();
  for (const f of files) {
    const literal: EvalContext = { variables: new Map(), env: lctx.fnEnv };
    for (const { item } of checkBody(
      lctx,
      f.body.items.map((item) => ({ item, ctx: literal })),
      TOP_LEVEL,
    )) {
      if (item.kind === "block" && item.type === "data") {
        if (item.labels[0]) dataTypes.add(item.labels[0].value);
        error(
          lctx,
          item.typeRange,
          "data sources are not supported by kiln",
          "Compute the value before the build and pass it with -var, or use a local value.",
        );
      }
    }
  }

  if (opts.syntaxOnly) {
    throwIfErrors(lctx);
    return template(lctx, found, declaredOnly(files), { builds: [], unsupportedBuilds: [] }, undefined, []);
  }

  const variables = resolveVariables(lctx, files, varFiles);
  for (const t of dataTypes) variables.poisoned.add(`data.${t}`);
  const pathObj = objectOf([
    ["root", str(found.pathRoot)],
    ["cwd", str(opts.cwd)],
  ]);
  const hints = new Map<string, string>([
    ["env()", ENV_HINT],
    ["source", "source.name and source.type are only available inside build blocks."],
    ["build", "build.* values are only available in provisioners and post-processors of a build block."],
    [
      "data",
      "data sources are not supported by kiln: compute the value before the build and pass it with -var.",
    ],
  ]);
  const base: EvalContext = {
    variables: new Map<string, Value>([
      ["var", variables.value],
      ["path", pathObj],
      ["packer", objectOf([["version", str(PACKER_VERSION)]])],
      ...(dataTypes.size > 0 ? [["data", objectOf([])] as [string, Value]] : []),
    ]),
    functions: FUNCTIONS,
    env: lctx.fnEnv,
    poisoned: variables.poisoned,
    hints,
  };
  const literal: EvalContext = {
    variables: new Map(),
    env: lctx.fnEnv,
    restriction: "only literal values are allowed here",
  };
  const locals = resolveLocals(lctx, files, base, literal);
  for (const v of locals.sensitive) for (const leaf of leafStrings(v)) opts.onSecret?.(leaf);
  const full: EvalContext = {
    ...base,
    variables: new Map([...base.variables, ["local", locals.value]]),
    poisoned: locals.poisoned,
  };
  readPackerBlocks(lctx, files, full);
  const sources = readSources(lctx, files);
  const { builds, unsupportedBuilds, description } = readBuilds(lctx, files, sources, full);
  throwIfErrors(lctx);
  const sensitive = [...variables.sensitive, ...locals.sensitive].flatMap(leafStrings);
  return template(lctx, found, variables.decls, { builds, unsupportedBuilds }, description, sensitive);
}

function template(
  lctx: HclLoadContext,
  found: Discovered,
  variables: VariableDecl[],
  { builds, unsupportedBuilds }: Pick<Template, "builds" | "unsupportedBuilds">,
  description: string | undefined,
  sensitiveValues: string[],
): Template {
  const t: Template = {
    format: "hcl",
    path: lctx.path,
    dir: found.dir,
    variables,
    builds,
    unsupportedBuilds,
    sensitiveValues: [...new Set(sensitiveValues)],
    warnings: sortByPosition(lctx.diagnostics.filter((d) => d.severity === "warning")),
    renderLate: renderLateHcl,
  };
  if (description !== undefined) t.description = description;
  return t;
}

async function readText(shown: string, abs: string): Promise<string> {
  try {
    return await readFile(abs, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvalidInputError([
      {
        severity: "error",
        summary: `cannot read ${shown}: ${code === "ENOENT" ? "no such file or directory" : (e as Error).message}`,
      },
    ]);
  }
}

function throwIfErrors(lctx: HclLoadContext): void {
  const errors = lctx.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new InvalidInputError(sortByPosition(errors));
}

function declaredOnly(files: SourceFile[]): VariableDecl[] {
  const out: VariableDecl[] = [];
  for (const f of files) {
    for (const item of f.body.items) {
      if (item.kind !== "block") continue;
      if (item.type === "variable" && item.labels[0]) {
        const hasDefault = item.body.items.some((i) => i.kind === "attribute" && i.name === "default");
        out.push({
          name: item.labels[0].value,
          value: undefined,
          required: !hasDefault,
          sensitive: false,
          pos: { file: f.path, line: item.range.start.line, column: item.range.start.column },
        });
      } else if (item.type === "variables") {
        for (const a of item.body.items) {
          if (a.kind === "attribute") {
            out.push({
              name: a.name,
              value: undefined,
              required: false,
              sensitive: false,
              pos: { file: f.path, line: a.range.start.line, column: a.range.start.column },
            });
          }
        }
      }
    }
  }
  return out;
}

/** templatefile(): the file as a bare template, with only the given variables and functions. */
function templateRenderer(lctx: HclLoadContext): NonNullable<FnEnv["renderTemplate"]> {
  return (path, vars) => {
    const abs = isAbsolute(path) ? path : resolve(lctx.opts.cwd, path);
    let text: string;
    try {
      text = readFileSync(abs, "utf8");
    } catch (e) {
      throw new FunctionError(`no file exists at ${JSON.stringify(path)}: ${(e as Error).message}`, 0);
    }
    const shown = path;
    lctx.sources.set(shown, text);
    const variables = new Map<string, Value>();
    if (isMapping(vars)) {
      for (const [k, v] of vars.entries) {
        if (!/^[\p{ID_Start}_][\p{ID_Continue}-]*$/u.test(k)) {
          throw new FunctionError(
            `invalid template variable name ${JSON.stringify(k)}: must start with a letter, followed by zero or more letters, digits, and underscores`,
            1,
          );
        }
        variables.set(k, v);
      }
    }
    const functions = new Map(FUNCTIONS);
    functions.delete("templatefile");
    const ctx: EvalContext = {
      variables,
      functions,
      env: lctx.fnEnv,
      hints: new Map([
        ["templatefile()", "templatefile() cannot be called from inside a template file (no recursion)."],
      ]),
    };
    try {
      const expr = parseTemplate(text, shown);
      return convert(evaluate(expr, ctx), STRING);
    } catch (e) {
      if (e instanceof HclError) {
        const where = e.range ? `${e.range.file}:${e.range.start.line}:${e.range.start.column}: ` : "";
        throw new FunctionError(`${where}${e.summary}${e.detail ? `; ${e.detail}` : ""}`, 0);
      }
      throw e;
    }
  };
}

/** Problems without a position first, then by file (in order of appearance), line, column. */
