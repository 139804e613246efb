// Options of the post-processors kiln runs (reference §b.1). `type`, `name`, `only`, `except` and
// `keep_input_artifact` are core keys handled by the template loader, not listed here.
import { f, type ComponentSpec, type ConfigOf } from "../template/schema.js";

export const dockerTagSchema = {
  repository: f.string("Repository to tag into.").need(),
  tags: f.strings("Tags; each becomes repository:tag.").default([]).acceptSingle(),
  tag: f
    .strings('Deprecated: use "tags".')
    .acceptSingle()
    .deprecateFixable('"tag" option has been replaced with "tags": rename it'),
  force: f.bool("Ignored on Docker ≥ 1.12 (as Packer).").default(false),
  platform: f.string("Platform (accepted).").default(""),
  docker_path: f.string("Unused: kiln speaks the Engine API.").default("docker").ignore("Engine API"),
};
export type DockerTagConfig = ConfigOf<typeof dockerTagSchema>;

export const dockerImportSchema = {
  repository: f.string("Repository of the imported image.").need(),
  tag: f.string("Tag of the imported image.").default(""),
  changes: f.strings("Dockerfile instructions applied on import.").default([]),
  platform: f.string("Platform of the imported image.").default(""),
  docker_path: f.string("Unused: kiln speaks the Engine API.").default("docker").ignore("Engine API"),
};
export type DockerImportConfig = ConfigOf<typeof dockerImportSchema>;

export const dockerSaveSchema = {
  path: f.string("Where to write the `docker save` tar.").need(),
  docker_path: f.string("Unused: kiln speaks the Engine API.").default("docker").ignore("Engine API"),
};
export type DockerSaveConfig = ConfigOf<typeof dockerSaveSchema>;

export const dockerPushSchema = {
  login: f.bool("Authenticate to login_server for the push.").default(false),
  login_server: f.string("Registry the credentials are for.").default(""),
  login_username: f.string("Registry user name.").default(""),
  login_password: f.string("Registry password.").default(""),
  ecr_login: f.bool("Get an Amazon ECR token for login_server.").default(false),
  aws_access_key: f.string("AWS access key for ecr_login.").default(""),
  aws_secret_key: f.string("AWS secret key for ecr_login.").default(""),
  aws_token: f.string("AWS session token for ecr_login.").default(""),
  aws_profile: f.string("AWS profile for ecr_login.").default(""),
  aws_force_use_public_ecr: f.bool("Use ECR Public.").default(false),
  platform: f.string("Platform (accepted).").default(""),
  docker_path: f.string("Unused: kiln speaks the Engine API.").default("docker").ignore("Engine API"),
};
export type DockerPushConfig = ConfigOf<typeof dockerPushSchema>;

const ECR_PUBLIC_REFUSED =
  "aws_force_use_public_ecr (Amazon ECR Public) is not supported by kiln yet; log in with login_username/login_password instead";

export const manifestSchema = {
  output: f.string("Manifest file.").default("packer-manifest.json"),
  strip_path: f.bool("Strip directories from artifact file names.").default(false),
  strip_time: f.bool("Leave build_time out.").default(false),
  custom_data: f.map("Extra data recorded with each build.").default({}),
};
export type ManifestConfig = ConfigOf<typeof manifestSchema>;

export const artificeSchema = {
  files: f
    .strings("Files (Go glob patterns, relative to the working directory) that become the artifact.")
    .need(),
};
export type ArtificeConfig = ConfigOf<typeof artificeSchema>;

/** kiln's own (Packer has none by that name): see src/post-processors/squash/squash.ts. */
export const dockerSquashSchema = {
  all_layers: f
    .bool("Squash every layer, the base image's too, into one (like export + import, keeping the config).")
    .default(false),
};
export type DockerSquashConfig = ConfigOf<typeof dockerSquashSchema>;

export const dockerSquashSpec: ComponentSpec<typeof dockerSquashSchema> = {
  type: "docker-squash",
  schema: dockerSquashSchema,
};

export const dockerTagSpec: ComponentSpec<typeof dockerTagSchema> = {
  type: "docker-tag",
  schema: dockerTagSchema,
};
const LOGIN_EMAIL = "Remove it: Docker no longer takes an e-mail address at login";

export const dockerImportSpec: ComponentSpec<typeof dockerImportSchema> = {
  type: "docker-import",
  schema: dockerImportSchema,
  obsolete: { login_email: LOGIN_EMAIL },
};
export const dockerSaveSpec: ComponentSpec<typeof dockerSaveSchema> = {
  type: "docker-save",
  schema: dockerSaveSchema,
};
export const dockerPushSpec: ComponentSpec<typeof dockerPushSchema> = {
  type: "docker-push",
  schema: dockerPushSchema,
  obsolete: { login_email: LOGIN_EMAIL },
  check(c) {
    const problems: [string, string][] = [];
    if (c.ecr_login && !c.login_server)
      problems.push(["login_server", "ecr_login needs login_server (the ECR registry host)"]);
    if (c.ecr_login && c.aws_force_use_public_ecr)
      problems.push(["aws_force_use_public_ecr", ECR_PUBLIC_REFUSED]);
    return problems;
  },
};
export const manifestSpec: ComponentSpec<typeof manifestSchema> = {
  type: "manifest",
  schema: manifestSchema,
  obsolete: { filename: 'Rename it to "output"' },
};
export const artificeSpec: ComponentSpec<typeof artificeSchema> = {
  type: "artifice",
  schema: artificeSchema,
  check(c) {
    return c.files.length === 0 ? [["files", "No files specified in artifice configuration"]] : [];
  },
};
