// Static checks on post-processor sequences that Packer only fails at the end of a build. The
// classic trap (Packer issues #4017 and #5526, seed 000): each sequence starts again from the
// builder's artifact, so a docker-push that is not preceded by a docker-tag or docker-import in
// its own sequence receives the committed image's `sha256:…` ID and Docker answers "An image does
// not exist locally with the tag: sha256". Pure: no engine, no I/O.
import type { Diagnostic } from "../template/diagnostic.js";
import { BUILD_DATA_SENTINEL_RE, type PostProcessorDef, type Template } from "../template/types.js";
import { loginMismatch, mismatchDiagnostic } from "../auth/explain.js";
import { ImageReference } from "../engine/reference.js";
import type { Schema } from "../template/schema.js";
import { dockerImportSchema, dockerPushSchema, dockerTagSchema } from "./schemas.js";

const PRODUCERS = new Set(["docker-tag", "docker-import"]);
const SECRET_KEYS = new Set(["login_password", "aws_secret_key", "aws_token", "aws_access_key"]);
const SCHEMAS: Record<string, Schema> = {
  "docker-tag": dockerTagSchema,
  "docker-import": dockerImportSchema,
  "docker-push": dockerPushSchema,
};

export function checkPushSequences(template: Template): Diagnostic[] {
  const out: Diagnostic[] = [];
  const show = displayer(template);
  for (const build of template.builds) {
    const seqs = build.postProcessors;
    const producerElsewhere = (exclude: number): PostProcessorDef | undefined => {
      for (const [i, seq] of seqs.entries()) {
        if (i === exclude) continue;
        const found = seq.find((p) => PRODUCERS.has(p.type));
        if (found) return found;
      }
      return undefined;
    };
    let validPushSeq = -1;
    for (const [si, seq] of seqs.entries()) {
      let producer: PostProcessorDef | undefined;
      for (const pp of seq) {
        if (PRODUCERS.has(pp.type)) producer = pp;
        if (pp.type !== "docker-push") continue;
        if (!producer) {
          out.push(trapDiagnostic(template, build.name, seqs.length, si, pp, producerElsewhere(si), show));
          continue;
        }
        validPushSeq = si;
        const mismatch = staticMismatch(producer, pp, template.format);
        if (mismatch) out.push({ severity: "warning", ...(pp.pos ? { pos: pp.pos } : {}), ...mismatch });
      }
    }
    if (validPushSeq === -1) continue;
    // A docker-tag whose sequence never pushes, next to a push elsewhere: its tags stay local.
    for (const [si, seq] of seqs.entries()) {
      if (si === validPushSeq) continue;
      const tagAt = seq.findIndex((p) => p.type === "docker-tag");
      if (tagAt === -1 || seq.slice(tagAt + 1).some((p) => p.type === "docker-push")) continue;
      const tag = seq[tagAt]!;
      out.push({
        severity: "warning",
        ...(tag.pos ? { pos: tag.pos } : {}),
        summary: `build ${JSON.stringify(build.name)}: this docker-tag and the docker-push are in separate post-processor sequences, so its tags are not pushed`,
        detail:
          "Each sequence starts again from the builder's artifact; a docker-push only pushes what a docker-tag earlier in its own sequence tagged. " +
          "If these tags should be pushed, move this docker-tag into the docker-push's sequence, before the push.",
      });
    }
  }
  return out;
}

function trapDiagnostic(
  template: Template,
  buildName: string,
  seqCount: number,
  seqIndex: number,
  push: PostProcessorDef,
  tagElsewhere: PostProcessorDef | undefined,
  show: (v: unknown) => string,
): Diagnostic {
  const why =
    `Each post-processor sequence starts again from the builder's artifact, so this docker-push would receive the committed image's ID (sha256:…) ` +
    `and Docker would answer "An image does not exist locally with the tag: sha256" (Packer issues #4017, #5526).`;
  const where = tagElsewhere
    ? ` The docker-tag${tagElsewhere.pos ? ` at line ${tagElsewhere.pos.line}` : ""} is in another sequence` +
      (template.format === "hcl"
        ? " (a post-processor block directly inside build {} is a sequence of its own)."
        : ".")
    : " No sequence of this build tags the image.";
  const fragment =
    template.format === "hcl"
      ? hclFragment(push, tagElsewhere, show)
      : jsonFragment(push, tagElsewhere, show);
  return {
    severity: "error",
    ...(push.pos ? { pos: push.pos } : {}),
    summary: `build ${JSON.stringify(buildName)}: docker-push (sequence ${seqIndex + 1} of ${seqCount}) has no docker-tag or docker-import before it in its sequence`,
    detail: `${why}${where} Put the docker-tag and the docker-push in one sequence, tag first:\n\n${fragment}`,
  };
}

function tagFields(tag: PostProcessorDef | undefined): [string, unknown][] {
  if (!tag)
    return [
      ["repository", "<registry>/<repository>"],
      ["tags", ["<tag>"]],
    ];
  const fields: [string, unknown][] = [];
  for (const [k, v] of Object.entries(tag.config)) {
    if (k === "tag") continue;
    if (k === "tags") {
      const merged = [
        ...((v as string[] | undefined) ?? []),
        ...((tag.config.tag as string[] | undefined) ?? []),
      ];
      if (merged.length > 0) fields.push(["tags", merged]);
    } else if (isSet(v) && !isDefault(tag.type, k, v)) {
      fields.push([k, v]);
    }
  }
  return fields;
}

function pushFields(push: PostProcessorDef): [string, unknown][] {
  const fields: [string, unknown][] = [];
  for (const [k, v] of Object.entries(push.config)) {
    if (!isSet(v) || isDefault("docker-push", k, v)) continue;
    fields.push([k, SECRET_KEYS.has(k) ? "<as before>" : v]);
  }
  if (push.keepInputArtifact !== undefined) fields.push(["keep_input_artifact", push.keepInputArtifact]);
  return fields;
}

function jsonFragment(
  push: PostProcessorDef,
  tag: PostProcessorDef | undefined,
  show: (v: unknown) => string,
): string {
  const obj = (type: string, fields: [string, unknown][]): string =>
    `      { ${[`"type": "${type}"`, ...fields.map(([k, v]) => `"${k}": ${show(v)}`)].join(", ")} }`;
  const tagType = tag?.type ?? "docker-tag";
  return [
    '  "post-processors": [',
    "    [",
    `${obj(tagType, tagFields(tag))},`,
    obj("docker-push", pushFields(push)),
    "    ]",
    "  ]",
  ].join("\n");
}

function hclFragment(
  push: PostProcessorDef,
  tag: PostProcessorDef | undefined,
  show: (v: unknown) => string,
): string {
  const block = (type: string, fields: [string, unknown][]): string[] => {
    const width = Math.max(0, ...fields.map(([k]) => k.length));
    return [
      `    post-processor "${type}" {`,
      ...fields.map(([k, v]) => `      ${k.padEnd(width)} = ${show(v)}`),
      "    }",
    ];
  };
  const tagType = tag?.type ?? "docker-tag";
  return [
    "  post-processors {",
    ...block(tagType, tagFields(tag)),
    ...block("docker-push", pushFields(push)),
    "  }",
  ].join("\n");
}

/** Values as the user would write them, with sensitive values masked and build data re-spelled. */
function displayer(template: Template): (v: unknown) => string {
  const secrets = template.sensitiveValues.filter((s) => s.length >= 4);
  const fix = (s: string): string => {
    let out = s.replace(BUILD_DATA_SENTINEL_RE, (_, key: string) =>
      template.format === "hcl" ? `\${build.${key}}` : `{{ build \`${key}\` }}`,
    );
    for (const secret of secrets) out = out.split(secret).join("<sensitive>");
    return out;
  };
  const show = (v: unknown): string => {
    if (typeof v === "string") return JSON.stringify(fix(v));
    if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
    return JSON.stringify(v);
  };
  return show;
}

/** Options left at their schema default are noise in a fragment meant to be pasted. */
function isDefault(type: string, key: string, v: unknown): boolean {
  const field = SCHEMAS[type]?.[key];
  return field !== undefined && field.hasDefault && JSON.stringify(field.defaultValue) === JSON.stringify(v);
}

function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** login_server naming another registry than the repository, when both are known statically. */
function staticMismatch(
  producer: PostProcessorDef,
  push: PostProcessorDef,
  format: Template["format"],
): { summary: string; detail: string } | undefined {
  const c = push.config;
  const option = c.ecr_login === true ? "ecr_login" : c.login === true ? "login" : undefined;
  const server = typeof c.login_server === "string" ? c.login_server : "";
  const repository = producer.config.repository;
  if (
    !option ||
    typeof repository !== "string" ||
    /\{\{/.test(repository + server) ||
    (repository + server).includes("\u0001")
  )
    return undefined;
  const ref = ImageReference.tryParse(repository);
  if (!ref) return undefined;
  if (loginMismatch({ option, server }, ref.registry) === undefined) return undefined;
  return mismatchDiagnostic({ option, server }, repository, ref.registry, ref.path, format);
}
