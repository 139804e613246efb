// How one job of an emitted CI pipeline (docs/chains.md, "CI pipelines") hands its node's image to
// the jobs that need it: after the build, the image is pushed to the transfer registry and its
// digest reference written as `KILN_IMAGE_<JOB>=repo@sha256:…` (a GitLab dotenv report, GitHub's
// $GITHUB_OUTPUT); a dependent job gets it back with `--node-image NODE=repo@sha256:…`: pulled by
// digest and tagged with what that node produces, so its template or Dockerfile finds the name it
// expects. Checking the values is pure; only the two async functions talk to the engine.
import { appendFile } from "node:fs/promises";
import { errorMessage } from "../core/errors.js";
import { ImageReference } from "../engine/reference.js";
import type { Engine, RegistryAuth } from "../engine/types.js";
import type { Diagnostic } from "../template/diagnostic.js";
import { InvalidInputError } from "../template/diagnostic.js";
import { suggest } from "../template/suggest.js";
import { ciNames } from "./emit/ci-names.js";

export interface NodeImage {
  node: string;
  /** `repo@sha256:…`. */
  ref: string;
}

/** `--node-image NODE=REPO@sha256:…` values, checked against the chain's nodes (all problems at once). */
export function parseNodeImages(values: readonly string[], nodes: readonly string[]): NodeImage[] {
  const problems: Diagnostic[] = [];
  const out: NodeImage[] = [];
  for (const value of values) {
    const eq = value.lastIndexOf("=");
    const node = eq < 0 ? "" : value.slice(0, eq);
    const ref = eq < 0 ? "" : value.slice(eq + 1);
    if (eq <= 0) {
      problems.push({
        severity: "error",
        summary: `--node-image ${JSON.stringify(value)}: expected NODE=REPOSITORY@sha256:DIGEST`,
        detail:
          "e.g. --node-image base=registry.example.com/kiln-transfer@sha256:… (what the node's job recorded)",
      });
      continue;
    }
    if (!nodes.includes(node)) {
      problems.push({
        severity: "error",
        summary: `--node-image: the chain has no node ${JSON.stringify(node)}`,
        detail: "kiln chain --list shows the node names",
        suggestions: suggest(node, nodes),
      });
      continue;
    }
    if (ref.trim() === "") {
      problems.push({
        severity: "error",
        summary: `--node-image ${node}=: no image reference`,
        detail: `the variable that should carry it is empty: did the job of node ${node} run, with --record-digests, and is it listed in this job's needs?`,
      });
      continue;
    }
    let parsed: ImageReference | undefined;
    try {
      parsed = ImageReference.parse(ref);
    } catch (e) {
      problems.push({
        severity: "error",
        summary: `--node-image ${node}=${ref}: ${errorMessage(e)}`,
        detail: "expected REPOSITORY@sha256:DIGEST",
      });
      continue;
    }
    if (parsed.digest === undefined) {
      problems.push({
        severity: "error",
        summary: `--node-image ${node}=${ref}: not a digest reference`,
        detail:
          "images pass between jobs by digest (REPOSITORY@sha256:…), never by a tag another run could move",
      });
      continue;
    }
    out.push({ node, ref });
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return out;
}

export interface ExchangeOptions {
  auth?: (registry: string) => Promise<RegistryAuth | undefined>;
  signal: AbortSignal;
  say(message: string): void;
}

/** Pulls each image by digest and tags it as its node's products (`tags`: what the node produces). */
export async function bringNodeImages(
  engine: Engine,
  images: readonly (NodeImage & { tags: readonly string[] })[],
  opts: ExchangeOptions,
): Promise<void> {
  for (const image of images) {
    const ref = ImageReference.parse(image.ref);
    try {
      const auth = await opts.auth?.(ref.registry);
      await engine.pullImage(image.ref, { ...(auth ? { auth } : {}), signal: opts.signal });
      const pulled = await engine.inspectImage(image.ref);
      if (pulled === undefined) throw new Error(`the engine has no ${image.ref} after pulling it`);
      for (const t of image.tags) {
        const tag = ImageReference.parse(t);
        await engine.tagImage(pulled.Id, tag.familiarName, tag.tagOrLatest);
      }
      opts.say(
        `Pulled ${image.ref} for node ${image.node}` +
          (image.tags.length > 0 ? `, tagged ${image.tags.join(", ")}` : ""),
      );
    } catch (e) {
      throw new Error(`pulling node ${image.node}'s image ${image.ref} failed: ${errorMessage(e)}`, {
        cause: e,
      });
    }
  }
}

export interface Published {
  node: string;
  variable: string;
  /** `repo@sha256:…`. */
  ref: string;
}

/**
 * Pushes each built node's image to `registry` (`host[:port]/repo`, one tag per image ID, removed
 * locally once pushed) and appends `VARIABLE=repo@digest` lines to `file`.
 */
export async function publishNodeImages(
  engine: Engine,
  built: readonly { node: string; imageId: string }[],
  allNodes: readonly string[],
  registry: string,
  file: string,
  opts: ExchangeOptions,
): Promise<Published[]> {
  const names = ciNames(allNodes);
  const repo = ImageReference.parse(registry);
  const name = repo.familiarName;
  const auth = await opts.auth?.(repo.registry);
  const published: Published[] = [];
  for (const b of built) {
    const tag = `kiln-transfer-${b.imageId.replace(/^sha256:/, "").slice(0, 32)}`;
    let digest: string;
    try {
      await engine.tagImage(b.imageId, name, tag);
      try {
        ({ digest } = await engine.pushImage(name, tag, { ...(auth ? { auth } : {}), signal: opts.signal }));
      } finally {
        await engine.removeImage(`${name}:${tag}`, { noprune: true }).catch(() => undefined);
      }
    } catch (e) {
      throw new Error(`pushing node ${b.node}'s image to ${name} failed: ${errorMessage(e)}`, { cause: e });
    }
    const ref = `${name}@${digest}`;
    const variable = names.get(b.node)!.variable;
    published.push({ node: b.node, variable, ref });
    opts.say(`Pushed node ${b.node}'s image as ${ref} (${variable})`);
  }
  if (published.length > 0) await appendFile(file, published.map((p) => `${p.variable}=${p.ref}\n`).join(""));
  return published;
}
