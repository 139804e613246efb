// The engines of a `kiln chain` run: "default" (DOCKER_HOST / the docker context), those the native
// chain file declares (`engines`), and `-engine=NAME=DOCKER_HOST` (repeatable; overrides the file's
// by name). Pure: bad values are input errors (exit 2) before any engine is contacted.
import { EngineConfigError } from "../engine/errors.js";
import { parseEngineAddress, tlsFilesFromEnv, type EngineHost } from "../engine/host.js";
import { resolveEngineHost } from "../engine/endpoint.js";
import type { DeclaredEngine } from "../chain/model.js";
import { NODE_NAME_PATTERN } from "../chain/native-schema.js";
import { InvalidInputError, type Diagnostic } from "../template/diagnostic.js";

export interface ChainEngine {
  name: string;
  host: EngineHost;
  /** Nodes at once on it, when it differs from -parallel-builds. */
  parallel?: number;
}

/** `NAME=DOCKER_HOST` values of -engine, as given. */
export function engineFlagNames(values: readonly string[]): string[] {
  return values.map((v) => v.slice(0, Math.max(0, v.indexOf("="))));
}

export function chainEngines(
  flags: readonly string[],
  declared: readonly DeclaredEngine[],
  env: NodeJS.ProcessEnv,
): ChainEngine[] {
  const problems: Diagnostic[] = [];
  const fail = (summary: string, detail?: string, pos?: Diagnostic["pos"]): void =>
    void problems.push({
      severity: "error",
      summary,
      ...(detail ? { detail } : {}),
      ...(pos ? { pos } : {}),
    });
  const tls = tlsFilesFromEnv(env);
  const byName = new Map<string, ChainEngine>();
  const parse = (raw: string, source: string, pos?: Diagnostic["pos"]): EngineHost | undefined => {
    try {
      return parseEngineAddress(raw, source, tls);
    } catch (e) {
      if (!(e instanceof EngineConfigError)) throw e;
      fail(e.message, undefined, pos);
      return undefined;
    }
  };
  try {
    byName.set("default", { name: "default", host: resolveEngineHost(env) });
  } catch (e) {
    if (!(e instanceof EngineConfigError)) throw e;
    fail(e.message);
  }
  for (const d of declared) {
    const host = parse(d.host, `engines.${d.name} of the chain file`, d.pos);
    if (host) byName.set(d.name, { name: d.name, host, ...(d.parallel ? { parallel: d.parallel } : {}) });
  }
  const seen = new Set<string>();
  for (const value of flags) {
    const eq = value.indexOf("=");
    const name = eq < 0 ? value : value.slice(0, eq);
    if (eq < 0 || !new RegExp(NODE_NAME_PATTERN).test(name) || value.slice(eq + 1) === "") {
      fail(
        `-engine: expected NAME=DOCKER_HOST, got ${JSON.stringify(value)}`,
        "e.g. -engine=builder2=ssh://ci@builder2 or -engine=b=unix:///run/b/docker.sock; NAME: letters, digits, . _ -",
      );
      continue;
    }
    if (seen.has(name)) {
      fail(`-engine: ${name} is given twice`, "give each engine once");
      continue;
    }
    seen.add(name);
    const host = parse(value.slice(eq + 1), `-engine ${name}`);
    if (host) byName.set(name, { ...byName.get(name), name, host });
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return [...byName.values()];
}
