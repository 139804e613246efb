// Podman 4's commit/import `changes` parser takes one item per line: `ENV A=1 B=2` becomes the
// variable A with the value "1 B=2", `LABEL a=1 b=2` one label, `ENV LANG C.UTF-8` (the legacy
// form) a variable named "LANG C.UTF-8", and `EXPOSE 80 443` fails. Docker parses these lines as
// a Dockerfile does; kiln rewrites them into the one-item lines both engines read the same way.

/** Docker's reading of the line, as one-item-per-line changes Podman reads identically. */
export function podmanChanges(lines: readonly string[]): string[] {
  return lines.flatMap(rewriteLine);
}

/**
 * Docker applies `changes` as a Dockerfile does: an ENTRYPOINT clears the Cmd unless the changes
 * also set a CMD. Podman 4.3 keeps the Cmd (the base's, or the build container's `/bin/sh`), so
 * an explicit empty CMD follows such changes there.
 */
export function podmanEntrypointResetsCmd(changes: readonly string[]): string[] {
  const sets = (name: string) =>
    changes.some((c) => (c.trimStart().split(/\s/, 1)[0] ?? "").toUpperCase() === name);
  return sets("ENTRYPOINT") && !sets("CMD") ? ["CMD []"] : [];
}

function rewriteLine(line: string): string[] {
  const match = /^\s*(\S+)\s+(.*?)\s*$/s.exec(line);
  if (!match) return [line];
  const instruction = match[1]!.toUpperCase();
  const args = match[2]!;
  switch (instruction) {
    case "EXPOSE":
      return args.split(/\s+/).map((port) => `EXPOSE ${port}`);
    case "ENV":
    case "LABEL": {
      const pairs = keyValuePairs(args, instruction === "ENV");
      if (pairs === undefined) return [line];
      return pairs.map(([key, value]) =>
        instruction === "ENV" ? `ENV ${key}=${value}` : `LABEL ${quote(key)}=${quote(value)}`,
      );
    }
    default:
      return [line];
  }
}

/**
 * `k=v k2="v 2"` pairs, or the legacy `ENV key the value` form (Dockerfile rules: quotes group,
 * backslash escapes). Undefined when the line is neither (left for the engine to refuse).
 */
function keyValuePairs(args: string, legacyAllowed: boolean): [string, string][] | undefined {
  const words = splitWords(args);
  if (words === undefined || words.length === 0) return undefined;
  if (!words[0]!.includes("=")) {
    // The legacy form: the first word is the name, the rest of the line the value.
    const legacy = /^(\S+)\s+(.*)$/s.exec(args);
    return legacyAllowed && legacy ? [[legacy[1]!, legacy[2]!]] : undefined;
  }
  const pairs: [string, string][] = [];
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq <= 0) return undefined;
    pairs.push([word.slice(0, eq), word.slice(eq + 1)]);
  }
  return pairs;
}

/** Whitespace-separated words with quotes removed and escapes applied. */
function splitWords(text: string): string[] | undefined {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else if (c === "\\" && i + 1 < text.length) current += text[++i];
    else current += c;
  }
  if (quote !== undefined) return undefined;
  if (inWord) words.push(current);
  return words;
}

function quote(text: string): string {
  return /^[^\s"'\\=]+$/.test(text) ? text : `"${text}"`;
}
