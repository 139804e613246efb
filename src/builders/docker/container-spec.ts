// The build container's create body, from the builder's options and run_command (mapped onto the
// Engine API), and the `docker run` line kiln prints for it. Pure: no engine, no I/O.
import type { ContainerSpec, ImageConfig } from "../../engine/types.js";
import type { DockerBuilderConfig } from "./schema.js";
import { mapRunCommand, mapDevice, parseTmpfs } from "./run-command.js";
import { shellAsCmd } from "./commit-changes.js";

export interface ContainerPlan {
  spec: ContainerSpec;
  /** run_command as rendered: the cache key and the "Run command" line use it. */
  runArgs: string[];
  /** What kiln prints: the equivalent `docker run` line. */
  display: string;
  notes: string[];
  problems: string[];
}

export interface ContainerPlanInput {
  config: DockerBuilderConfig;
  /** The base image's config: its Entrypoint decides how the build container runs /bin/sh. */
  base: ImageConfig | null | undefined;
  render: (text: string, data?: Record<string, string>) => string;
  hostEnv: NodeJS.ProcessEnv;
  cwd: string;
  name: string;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_\-./:=@%+,]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}

export function planContainer(input: ContainerPlanInput): ContainerPlan {
  const c = input.config;
  const image = c.image ?? "";
  const runArgs = c.run_command.map((a) => input.render(a, { Image: image }));
  const mapped = mapRunCommand(runArgs, { hostEnv: input.hostEnv, cwd: input.cwd });
  const tmpfs = c.tmpfs.map(parseTmpfs);
  const devices = c.device.map(mapDevice);
  const problems = [
    ...mapped.problems.map((p) => `run_command: ${p}`),
    ...tmpfs.flatMap((t) => (t.ok ? [] : [`tmpfs: ${t.problem}`])),
    ...devices.flatMap((d) => (d.ok ? [] : [`device: ${d.problem}`])),
  ];
  // With a base image that has no entrypoint, `--entrypoint=/bin/sh` and no arguments is the same
  // process as Cmd ["/bin/sh"]; running it that way keeps the container's (and so the committed
  // image's) Entrypoint null, exactly as the base image had it (see commit-changes.ts).
  const keepNullEntrypoint =
    shellAsCmd(input.base, c.changes) && mapped.spec.Entrypoint?.length === 1 && mapped.cmd.length === 0;
  const home = input.hostEnv.HOME ?? "~";
  const spec: ContainerSpec = {
    ...mapped.spec,
    Image: mapped.image,
    Entrypoint: keepNullEntrypoint ? undefined : mapped.spec.Entrypoint,
    Cmd: keepNullEntrypoint ? mapped.spec.Entrypoint! : mapped.cmd,
    // Ownership is in the name: labels would be merged into the committed image (see ownership.ts).
    name: mapped.spec.name ?? input.name,
    Labels: { ...(mapped.spec.Labels ?? {}) },
    platform: c.platform || mapped.spec.platform || undefined,
    HostConfig: {
      ...mapped.spec.HostConfig,
      Privileged: c.privileged || mapped.spec.HostConfig.Privileged,
      CapAdd: [...(mapped.spec.HostConfig.CapAdd ?? []), ...c.cap_add],
      CapDrop: [...(mapped.spec.HostConfig.CapDrop ?? []), ...c.cap_drop],
      Binds: [
        ...(mapped.spec.HostConfig.Binds ?? []),
        ...Object.entries(c.volumes).map(([h, ctr]) => `${h.replace(/^~(?=\/)/, home)}:${ctr}`),
      ],
      Tmpfs: {
        ...(mapped.spec.HostConfig.Tmpfs ?? {}),
        ...Object.fromEntries(tmpfs.flatMap((t) => (t.ok ? [[t.value.target, t.value.options]] : []))),
      },
      Devices: [
        ...(mapped.spec.HostConfig.Devices ?? []),
        ...devices.flatMap((d) => (d.ok ? [d.value] : [])),
      ],
      Runtime: c.runtime || mapped.spec.HostConfig.Runtime,
    },
  };
  const flags = [
    ...c.device.flatMap((d) => ["--device", d]),
    ...c.cap_add.flatMap((x) => ["--cap-add", x]),
    ...c.cap_drop.flatMap((x) => ["--cap-drop", x]),
    ...(c.privileged ? ["--privileged"] : []),
    ...(c.runtime ? ["--runtime", c.runtime] : []),
    ...(c.platform ? ["--platform", c.platform] : []),
    ...c.tmpfs.flatMap((t) => ["--tmpfs", t]),
    ...Object.entries(c.volumes).flatMap(([h, ctr]) => ["-v", `${h}:${ctr}`]),
  ];
  return {
    spec,
    runArgs,
    display: `docker run ${[...flags, ...runArgs].map(shellQuote).join(" ")}`,
    notes: mapped.notes,
    problems,
  };
}

/**
 * What shapes the container beyond its image, for the first step's cache key: the create body
 * without its per-run name.
 */
export function containerSettings(plan: ContainerPlan, config: DockerBuilderConfig): Record<string, unknown> {
  const { name: _name, ...spec } = plan.spec;
  return {
    spec,
    exec_user: config.exec_user,
    pty: config.pty,
    // Step images that are not the build's last keep the directory (container-dir.ts).
    container_dir: config.container_dir,
    fix_upload_owner: config.fix_upload_owner,
  };
}
