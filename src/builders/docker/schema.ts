// Options of Packer's `docker` builder (reference: packer-docker-reference.md §a.1).
import { f, type CheckProblem, type ComponentSpec, type ConfigOf } from "../../template/schema.js";
import { mapDevice, parseTmpfs, validateRunCommandStatically, type Parsed } from "./run-command.js";

export const dockerBuilderSchema = {
  image: f.string("Base image, pulled unless `pull` is false."),
  pull: f.bool("Pull the image before running, even when it is present locally.").default(true),
  commit: f.bool("Commit the container to an image (artifact: image id).").default(false),
  discard: f.bool("Throw the container away.").default(false),
  export_path: f.string("Export the container's filesystem as a tar to this path."),
  changes: f
    .strings(
      "Dockerfile instructions applied at commit: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR.",
    )
    .default([]),
  author: f.string("Author recorded in the committed image.").default(""),
  message: f.string("Commit message recorded in the committed image.").default(""),
  run_command: f
    .strings("`docker run` arguments; `{{.Image}}` is the image. Mapped onto the Engine API.")
    .default(["-d", "-i", "-t", "--entrypoint=/bin/sh", "--", "{{.Image}}"])
    .lateRender(),
  volumes: f.map("Host path → container path bind mounts.").default({}),
  container_dir: f.string("Directory in the container for kiln's uploads.").default("/packer-files"),
  privileged: f.bool("Run the container privileged.").default(false),
  cap_add: f.strings("Linux capabilities to add.").default([]),
  cap_drop: f.strings("Linux capabilities to drop.").default([]),
  tmpfs: f.strings("tmpfs mounts, `path[:options]`.").default([]),
  device: f.strings("Host devices, `host[:container[:perms]]`.").default([]),
  exec_user: f.string("User for every provisioner command (`docker exec -u`).").default(""),
  fix_upload_owner: f.bool("Chown uploaded files to the container's user.").default(true),
  platform: f.string("Platform for pull and run, e.g. linux/amd64.").default(""),
  runtime: f.string("OCI runtime for the container.").default(""),
  pty: f.bool("Allocate a TTY for provisioner commands.").default(false),
  windows_container: f.bool("Windows containers (not supported by kiln).").default(false),
  login: f.bool("Log in to `login_server` for the pull.").default(false),
  login_server: f.string("Registry to log in to for the pull.").default(""),
  login_username: f.string("Registry user name.").default(""),
  login_password: f.string("Registry password.").default(""),
  ecr_login: f.bool("Get an Amazon ECR token for `login_server`.").default(false),
  aws_access_key: f.string("AWS access key for `ecr_login`.").default(""),
  aws_secret_key: f.string("AWS secret key for `ecr_login`.").default(""),
  aws_token: f.string("AWS session token for `ecr_login`.").default(""),
  aws_profile: f.string("AWS profile for `ecr_login`.").default(""),
  aws_force_use_public_ecr: f.bool("Use ECR Public.").default(false),
  communicator: f.string("Only `docker` is supported.").default("docker").choices(["docker", "none"]),
  docker_path: f
    .string("Path of the docker CLI (unused: kiln speaks the Engine API).")
    .default("docker")
    .ignore("kiln talks to the Engine API, not the docker CLI"),
};
export type DockerBuilderConfig = ConfigOf<typeof dockerBuilderSchema>;

export const ECR_PUBLIC_REFUSED =
  "aws_force_use_public_ecr (Amazon ECR Public) is not supported by kiln yet; log in with login_username/login_password instead";

/** Instructions the daemon accepts in `changes` (MAINTAINER is documented by Packer but refused by Docker). */
export const CHANGE_INSTRUCTIONS = [
  "CMD",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "LABEL",
  "ONBUILD",
  "USER",
  "VOLUME",
  "WORKDIR",
] as const;

export const dockerBuilderSpec: ComponentSpec<typeof dockerBuilderSchema> = {
  type: "docker",
  schema: dockerBuilderSchema,
  obsolete: { login_email: "Remove it: Docker no longer takes an e-mail address at login" },
  check(c) {
    const problems: [string, string][] = [];
    if (!c.image) problems.push(["", "the docker builder needs `image`: the base image to start from"]);
    const modes = [c.commit && "commit", c.discard && "discard", c.export_path && "export_path"].filter(
      Boolean,
    );
    if (modes.length > 1) {
      problems.push([
        String(modes[1]),
        `only one of commit, discard and export_path may be set; found ${modes.join(", ")}`,
      ]);
    } else if (modes.length === 0) {
      problems.push([
        "",
        "no instructions for the result: set exactly one of commit, discard or export_path",
      ]);
    }
    if (c.windows_container)
      problems.push(["windows_container", "Windows containers are not supported by kiln"]);
    if (c.ecr_login && !c.login_server)
      problems.push(["login_server", "ecr_login needs login_server (the ECR registry host)"]);
    if (c.ecr_login && c.aws_force_use_public_ecr)
      problems.push(["aws_force_use_public_ecr", ECR_PUBLIC_REFUSED]);
    return [...problems, ...checkRunOptions(c)];
  },
};

/**
 * run_command and the options that become `docker run` flags, checked as the build would check
 * them, but before anything runs. A run_command problem is placed at the argument it is about
 * (past the last one: at the option itself).
 */
function checkRunOptions(c: DockerBuilderConfig): CheckProblem[] {
  const out: CheckProblem[] = [];
  const args = Array.isArray(c.run_command) ? c.run_command : [];
  for (const p of validateRunCommandStatically(args)) {
    const field = p.arg < args.length ? `run_command[${p.arg}]` : "run_command";
    out.push([
      field,
      `run_command: ${p.message}`,
      p.suggestions ? { suggestions: p.suggestions } : undefined,
    ]);
  }
  const each = <T>(key: "tmpfs" | "device", values: unknown, parse: (v: string) => Parsed<T>): void => {
    if (!Array.isArray(values)) return;
    values.forEach((v, i) => {
      // Build data (\u0001…) is only known at run time.
      if (typeof v !== "string" || v.includes("\u0001")) return;
      const parsed = parse(v);
      if (!parsed.ok) out.push([`${key}[${i}]`, `${key}: ${parsed.problem}`]);
    });
  };
  // `-v :` fails at container create, after the engine was contacted; refuse it here.
  for (const [host, ctr] of Object.entries(c.volumes ?? {})) {
    if (typeof ctr !== "string" || host.includes("\u0001") || ctr.includes("\u0001")) continue;
    if (host.trim() === "" || ctr.trim() === "")
      out.push([
        "volumes",
        `volumes: ${JSON.stringify(host)} = ${JSON.stringify(ctr)} needs a host path and a container path, e.g. "/srv/data" = "/data"`,
      ]);
  }
  each("tmpfs", c.tmpfs, parseTmpfs);
  each("device", c.device, mapDevice);
  return out;
}
