// Which nodes run: the original's filters (`--images`, positional names, IMAGES / BUILD_IMAGES,
// `--skip-images`, SKIP_IMAGES: an entry's key or tag) and selection by graph (`-only=node+`: it
// and everything that needs it; `-only=+node`: it and everything it needs; `*`/`?` globs). Unknown
// names are errors with a did-you-mean. Nodes left out are not built: a selected node that needs
// one uses the image already in the engine, as the original did.
import type { Diagnostic } from "../template/diagnostic.js";
import { InvalidInputError } from "../template/diagnostic.js";
import { globToRegExp } from "../plan/glob.js";
import { suggest } from "../template/suggest.js";
import { dependenciesOf, dependentsOf } from "./graph.js";
import type { ChainNodeSpec, Edge } from "./model.js";

export interface Selection {
  /** `--images`, positional names, IMAGES/BUILD_IMAGES, `-only` (with `+` forms): the union. */
  include: string[];
  /** `--skip-images`, SKIP_IMAGES: removed from the result. */
  skip: string[];
}

export function selectNodes(
  nodes: readonly ChainNodeSpec[],
  edges: readonly Edge[],
  sel: Selection,
): Set<string> {
  const problems: Diagnostic[] = [];
  const names = nodes.flatMap((n) => [n.name, ...n.aliases]);
  const match = (pattern: string, flag: string): string[] => {
    const re = /[*?]/.test(pattern) ? globToRegExp(pattern) : undefined;
    const found = nodes
      .filter((n) => [n.name, ...n.aliases].some((x) => (re ? re.test(x) : x === pattern)))
      .map((n) => n.name);
    if (found.length === 0) {
      problems.push({
        severity: "error",
        summary: `${flag} ${JSON.stringify(pattern)}: no node of the chain has that name`,
        detail: `kiln chain --list shows the names (IMAGES.json: packer__<file>, dockerfile__<tag>, or the tag)`,
        suggestions: suggest(pattern, names),
      });
    }
    return found;
  };
  let selected: Set<string>;
  if (sel.include.length === 0) selected = new Set(nodes.map((n) => n.name));
  else {
    selected = new Set();
    for (const item of sel.include) {
      const withDependents = item.endsWith("+") && item.length > 1;
      const withDependencies = item.startsWith("+") && item.length > 1;
      const pattern = item.slice(withDependencies ? 1 : 0, withDependents ? -1 : undefined);
      for (const name of match(pattern, "-only/--images")) {
        selected.add(name);
        if (withDependents) for (const d of dependentsOf(name, edges)) selected.add(d);
        if (withDependencies) for (const d of dependenciesOf(name, edges)) selected.add(d);
      }
    }
  }
  for (const item of sel.skip) for (const name of match(item, "--skip-images")) selected.delete(name);
  if (problems.length > 0) throw new InvalidInputError(problems);
  return selected;
}

/** Splits env and CLI values as the original did: on whitespace (`IMAGES="a b"`) and commas. */
export function splitNames(values: readonly (string | undefined)[]): string[] {
  return values.flatMap((v) => (v ?? "").split(/[\s,]+/)).filter((s) => s !== "");
}
