// Packer hands `run_command` (default `-d -i -t --entrypoint=/bin/sh -- {{.Image}}`) to `docker run`.
// kiln has no docker CLI, so this file does the CLI's job: parse those arguments the way the CLI's
// flag parser (spf13/pflag, interspersed=false) does and map them onto the Engine API's
// POST /containers/create body, with the CLI's own validation, reporting every problem at once.
import { isIP } from "node:net";
import { isAbsolute, resolve } from "node:path";
import type { ContainerSpec, Mount } from "../../engine/types.js";
import { suggest } from "../../template/suggest.js";

type HostConfig = ContainerSpec["HostConfig"];
export type DeviceMapping = NonNullable<HostConfig["Devices"]>[number];
export type Ulimit = NonNullable<HostConfig["Ulimits"]>[number];

/** A parsed value or the reason it could not be parsed (worded for the user). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** One problem with the arguments: which argument (its index; `args.length` for "missing"). */
export interface RunCommandProblem {
  arg: number;
  message: string;
  /** did-you-mean candidates, best first. */
  suggestions?: string[];
}

export interface RunCommandMapping {
  spec: Partial<ContainerSpec> & { HostConfig: HostConfig };
  image: string;
  cmd: string[];
  /** Everything wrong with the arguments; the container must not be created when non-empty. */
  problems: string[];
  /** The same problems with the argument each is about. */
  located: RunCommandProblem[];
  /** Accepted flags that kiln deliberately ignores or treats differently, for the debug log. */
  notes: string[];
}

export interface RunCommandOptions {
  /** Where `-e NAME` (no value) looks NAME up, as the docker CLI does. Default: process.env. */
  hostEnv?: Readonly<Record<string, string | undefined>>;
  /** Base for `./relative` bind sources (docker ≥ 23 resolves them). Default: process.cwd(). */
  cwd?: string;
  /**
   * Arguments whose text is only known later (templates rendered at run time): their values are
   * not checked, and parsing stops where one could be a flag of unknown name or the image.
   */
  opaque?: (arg: string) => boolean;
}

interface State {
  spec: Partial<ContainerSpec> & { HostConfig: HostConfig };
  problems: RunCommandProblem[];
  notes: string[];
  options: RunCommandOptions;
  /** Index of the argument being parsed, for problem positions. */
  arg: number;
}

function problem(state: State, message: string, suggestions?: string[]): void {
  state.problems.push({ arg: state.arg, message, ...(suggestions?.length ? { suggestions } : {}) });
}

interface FlagDef {
  long: string;
  short?: string;
  takesValue: boolean;
  apply(state: State, value: string, flag: string): void;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

function push<T>(list: T[] | undefined, item: T): T[] {
  return [...(list ?? []), item];
}

/** Runs a parser and either applies its value or records its problem. */
function withParsed<T>(state: State, parsed: Parsed<T>, apply: (value: T) => void): void {
  if (parsed.ok) apply(parsed.value);
  else problem(state, parsed.problem);
}

// ---------------------------------------------------------------------------------------------
// Value parsers (exported ones also serve the builder's `device` / `tmpfs` options).

/** `--device /dev/host[:/dev/container][:rwm]`, as the docker CLI's parseLinuxDevice. */
export function mapDevice(spec: string): Parsed<DeviceMapping> {
  if (spec.includes("=") && !spec.startsWith("/")) {
    return fail(`device "${spec}": CDI device names are not supported by kiln; use a /dev path`);
  }
  const parts = spec.split(":");
  if (parts.length > 3 || parts[0] === "") return fail(`invalid device specification: "${spec}"`);
  const [src = "", second, third] = parts;
  let dst = src;
  let permissions = "rwm";
  if (second !== undefined) {
    if (third === undefined && validDeviceMode(second)) permissions = second;
    else dst = second;
  }
  if (third !== undefined) {
    if (!validDeviceMode(third)) return fail(`device "${spec}": bad mode "${third}" (use a mix of r, w, m)`);
    permissions = third;
  }
  if (!src.startsWith("/")) return fail(`device "${spec}": the host path "${src}" must be absolute`);
  if (!dst.startsWith("/")) return fail(`device "${spec}": the container path "${dst}" must be absolute`);
  return ok({ PathOnHost: src, PathInContainer: dst, CgroupPermissions: permissions });
}

function validDeviceMode(mode: string): boolean {
  return mode !== "" && /^[rwm]+$/.test(mode) && new Set(mode).size === mode.length;
}

/** `--tmpfs /path[:mount options]` → an entry of HostConfig.Tmpfs. */
export function parseTmpfs(spec: string): Parsed<{ target: string; options: string }> {
  const colon = spec.indexOf(":");
  const target = colon < 0 ? spec : spec.slice(0, colon);
  const options = colon < 0 ? "" : spec.slice(colon + 1);
  if (!target.startsWith("/")) return fail(`tmpfs "${spec}": the mount point must be an absolute path`);
  return ok({ target, options });
}

/** docker's RAMInBytes: `64m`, `1.5g`, `512kb`, `2GiB`, plain bytes; binary units. */
export function parseBytes(spec: string): Parsed<number> {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(spec);
  if (!m) return fail(`invalid size "${spec}" (use a number with an optional unit: b, k, m, g)`);
  const power = m[2] ? "kmgtp".indexOf(m[2].toLowerCase()) + 1 : 0;
  return ok(Math.floor(Number(m[1]) * 1024 ** power));
}

const BIND_MODES = new Set(
  "ro rw z Z nocopy shared rshared slave rslave private rprivate consistent cached delegated".split(" "),
);
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

type VolumeMapping = { kind: "bind"; bind: string } | { kind: "anonymous"; mount: Mount };

/** `-v [source:]target[:mode]` → a Binds entry, or an anonymous volume for a lone target. */
export function parseVolume(spec: string, cwd: string = process.cwd()): Parsed<VolumeMapping> {
  const parts = spec.split(":");
  if (parts.length === 1) {
    if (!isAbsolute(spec)) return fail(`volume "${spec}": the container path must be absolute`);
    return ok({ kind: "anonymous", mount: { Type: "volume", Target: spec } });
  }
  if (parts.length > 3) return fail(`invalid volume specification: "${spec}"`);
  const [rawSource = "", target = "", mode] = parts;
  if (rawSource === "") return fail(`volume "${spec}": empty source`);
  if (!isAbsolute(target)) return fail(`volume "${spec}": the container path "${target}" must be absolute`);
  const source = resolveSource(rawSource, cwd);
  if (source === undefined) {
    return fail(
      `volume "${spec}": "${rawSource}" is neither an absolute path, a ./relative path nor a volume name`,
    );
  }
  const badModes = mode === undefined ? [] : mode.split(",").filter((m) => !BIND_MODES.has(m));
  if (badModes.length > 0) return fail(`volume "${spec}": unknown mode "${badModes.join(",")}"`);
  return ok({ kind: "bind", bind: [source, target, ...(mode === undefined ? [] : [mode])].join(":") });
}

function resolveSource(source: string, cwd: string): string | undefined {
  if (isAbsolute(source)) return source;
  if (source === "." || source === ".." || source.startsWith("./") || source.startsWith("../")) {
    return resolve(cwd, source);
  }
  return VOLUME_NAME.test(source) ? source : undefined;
}

type MountMapping = { kind: "mount"; mount: Mount } | { kind: "tmpfs"; target: string; options: string };

const MOUNT_TYPES = new Set(["bind", "volume", "tmpfs"]);

/** `--mount type=bind|volume|tmpfs,source=…,target=…[,readonly][,tmpfs-size=…][,tmpfs-mode=…]`. */
export function parseMount(spec: string, cwd: string = process.cwd()): Parsed<MountMapping> {
  let type = "volume"; // the docker CLI's default
  let source: string | undefined;
  let target: string | undefined;
  let readOnly = false;
  const tmpfsOptions: string[] = [];
  for (const field of spec.split(",")) {
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    switch (key) {
      case "type":
        if (value === undefined || !MOUNT_TYPES.has(value)) {
          return fail(`mount "${spec}": type must be bind, volume or tmpfs`);
        }
        type = value;
        break;
      case "source":
      case "src":
        source = value;
        break;
      case "target":
      case "destination":
      case "dst":
        target = value;
        break;
      case "readonly":
      case "ro": {
        const flag = value === undefined ? true : parseGoBool(value);
        if (flag === undefined) return fail(`mount "${spec}": invalid value for ${key}: "${value}"`);
        readOnly = flag;
        break;
      }
      case "tmpfs-size": {
        const size = parseBytes(value ?? "");
        if (!size.ok) return fail(`mount "${spec}": ${size.problem}`);
        tmpfsOptions.push(`size=${size.value}`);
        break;
      }
      case "tmpfs-mode":
        if (value === undefined || !/^[0-7]{1,4}$/.test(value)) {
          return fail(`mount "${spec}": tmpfs-mode must be octal, e.g. 1777`);
        }
        tmpfsOptions.push(`mode=${value}`);
        break;
      case "consistency":
        break; // Docker Desktop only; the Linux daemon ignores it too.
      default:
        return fail(`mount "${spec}": option "${key}" is not supported by kiln`);
    }
  }
  if (target === undefined || target === "") return fail(`mount "${spec}": target is required`);
  if (!isAbsolute(target)) return fail(`mount "${spec}": target "${target}" must be an absolute path`);
  if (type !== "tmpfs" && tmpfsOptions.length > 0) {
    return fail(`mount "${spec}": tmpfs-size and tmpfs-mode need type=tmpfs`);
  }
  if (type === "tmpfs") {
    if (source !== undefined) return fail(`mount "${spec}": a tmpfs mount takes no source`);
    return ok({ kind: "tmpfs", target, options: [...(readOnly ? ["ro"] : []), ...tmpfsOptions].join(",") });
  }
  if (type === "bind") {
    if (source === undefined || source === "") return fail(`mount "${spec}": a bind mount needs a source`);
    const resolved = resolveSource(source, cwd);
    if (resolved === undefined || !isAbsolute(resolved)) {
      return fail(`mount "${spec}": bind source "${source}" must be an absolute or ./relative path`);
    }
    source = resolved;
  } else if (source !== undefined && !VOLUME_NAME.test(source)) {
    return fail(`mount "${spec}": "${source}" is not a valid volume name`);
  }
  const mount: Mount = { Type: type as Mount["Type"], Target: target };
  if (source !== undefined && source !== "") mount.Source = source;
  if (readOnly) mount.ReadOnly = true;
  return ok({ kind: "mount", mount });
}

function parsePortRange(spec: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  return start <= end && end <= 65535 ? [start, end] : undefined;
}

function splitProto(spec: string): { port: string; proto: string } {
  const slash = spec.indexOf("/");
  if (slash < 0) return { port: spec, proto: "tcp" };
  return { port: spec.slice(0, slash), proto: spec.slice(slash + 1).toLowerCase() };
}

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);

export interface PortMapping {
  port: string;
  binding: { HostIp: string; HostPort: string };
}

/** `-p [ip:][hostPort:]containerPort[/proto]` with ranges, as docker's nat.ParsePortSpec. */
export function parsePublish(spec: string): Parsed<PortMapping[]> {
  const parts = spec.split(":");
  const n = parts.length;
  const containerPart = parts[n - 1] ?? "";
  const hostPart = n >= 2 ? (parts[n - 2] ?? "") : "";
  let ip = n >= 3 ? parts.slice(0, n - 2).join(":") : "";
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  if (ip !== "" && isIP(ip) === 0) return fail(`publish "${spec}": invalid IP address "${ip}"`);
  const { port, proto } = splitProto(containerPart);
  if (!PROTOCOLS.has(proto)) return fail(`publish "${spec}": invalid protocol "${proto}"`);
  const container = parsePortRange(port);
  if (!container) return fail(`publish "${spec}": invalid container port "${port}"`);
  const host = hostPart === "" ? undefined : parsePortRange(hostPart);
  if (hostPart !== "" && !host) return fail(`publish "${spec}": invalid host port "${hostPart}"`);
  const [start, end] = container;
  const [hostStart, hostEnd] = host ?? [0, 0];
  if (host && end - start !== hostEnd - hostStart && end > start) {
    return fail(`publish "${spec}": container and host port ranges differ in size`);
  }
  const mappings: PortMapping[] = [];
  for (let p = start; p <= end; p++) {
    let hostPort = host ? String(hostStart + (p - start)) : "";
    // One container port with a host range: the daemon picks a free port in the range.
    if (host && start === end && hostStart !== hostEnd) hostPort = `${hostStart}-${hostEnd}`;
    mappings.push({ port: `${p}/${proto}`, binding: { HostIp: ip, HostPort: hostPort } });
  }
  return ok(mappings);
}

/** `--expose 80`, `--expose 7000-7010/udp`. */
export function parseExpose(spec: string): Parsed<string[]> {
  const { port, proto } = splitProto(spec);
  if (!PROTOCOLS.has(proto)) return fail(`expose "${spec}": invalid protocol "${proto}"`);
  const range = parsePortRange(port);
  if (!range) return fail(`expose "${spec}": invalid port "${port}"`);
  const ports: string[] = [];
  for (let p = range[0]; p <= range[1]; p++) ports.push(`${p}/${proto}`);
  return ok(ports);
}

const ULIMITS = new Set(
  "core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime sigpending stack".split(
    " ",
  ),
);

/** `--ulimit nofile=1024[:2048]` (a lone value sets soft and hard). */
export function parseUlimit(spec: string): Parsed<Ulimit> {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(spec);
  if (!m) return fail(`invalid ulimit "${spec}" (use name=soft[:hard])`);
  const name = m[1] ?? "";
  if (!ULIMITS.has(name)) {
    const hint = suggest(name, ULIMITS);
    return fail(`unknown ulimit "${name}"${hint.length > 0 ? ` (did you mean "${hint[0]}"?)` : ""}`);
  }
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (soft !== -1 && hard !== -1 && soft > hard)
    return fail(`ulimit "${spec}": soft limit exceeds hard limit`);
  return ok({ Name: name, Soft: soft, Hard: hard });
}

/** strconv.ParseBool, which pflag uses for `--flag=value` on boolean flags. */
function parseGoBool(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Flag table.

function valueFlag(long: string, short: string | undefined, apply: FlagDef["apply"]): FlagDef {
  return { long, ...(short ? { short } : {}), takesValue: true, apply };
}

/** Boolean flags receive "true" or "false" (already validated). */
function boolFlag(long: string, short: string | undefined, apply: (s: State, on: boolean) => void): FlagDef {
  return { long, ...(short ? { short } : {}), takesValue: false, apply: (s, v) => apply(s, v === "true") };
}

function ignoredFlag(long: string, short: string | undefined, takesValue: boolean, why: string): FlagDef {
  return {
    long,
    ...(short ? { short } : {}),
    takesValue,
    apply: (s, _v, flag) => s.notes.push(`${flag}: ${why}`),
  };
}

function unsupportedFlag(long: string, short: string | undefined, takesValue: boolean, hint = ""): FlagDef {
  return {
    long,
    ...(short ? { short } : {}),
    takesValue,
    apply: (s, _v, flag) =>
      problem(s, `docker run flag ${flag} is not supported by kiln${hint === "" ? "" : `: ${hint}`}`),
  };
}

const hc = (s: State): HostConfig => s.spec.HostConfig;

function nonEmptyValue(s: State, flag: string, value: string): boolean {
  if (value !== "") return true;
  problem(s, `${flag} needs a non-empty value`);
  return false;
}

const SUPPORTED: FlagDef[] = [
  boolFlag("--detach", "d", () => undefined), // kiln always starts the container detached
  boolFlag("--interactive", "i", (s, on) => (s.spec.OpenStdin = on)),
  boolFlag("--tty", "t", (s, on) => (s.spec.Tty = on)),
  valueFlag("--entrypoint", undefined, (s, v) => {
    // The docker CLI sends [""] for an empty --entrypoint; the daemon then drops the image's
    // entrypoint instead of inheriting it.
    s.spec.Entrypoint = [v];
  }),
  valueFlag("--env", "e", (s, v, flag) => {
    const eq = v.indexOf("=");
    if (eq === 0 || v === "") problem(s, `${flag}: invalid environment variable "${v}"`);
    else if (eq > 0) s.spec.Env = push(s.spec.Env, v);
    else {
      const hostValue = (s.options.hostEnv ?? process.env)[v];
      if (hostValue !== undefined) s.spec.Env = push(s.spec.Env, `${v}=${hostValue}`);
      else s.notes.push(`${flag} ${v}: not set in kiln's environment, so not passed (as docker run)`);
    }
  }),
  unsupportedFlag(
    "--env-file",
    undefined,
    true,
    "kiln does not read host files named in run_command; use -e NAME=VALUE",
  ),
  valueFlag("--user", "u", (s, v) => (s.spec.User = v)),
  valueFlag("--workdir", "w", (s, v, flag) => {
    if (!v.startsWith("/")) problem(s, `${flag} "${v}": the working directory must be an absolute path`);
    else s.spec.WorkingDir = v;
  }),
  valueFlag("--hostname", "h", (s, v) => (s.spec.Hostname = v)),
  valueFlag("--name", undefined, (s, v, flag) => {
    if (!/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(v)) {
      problem(s, `${flag} "${v}": invalid container name (allowed: [a-zA-Z0-9][a-zA-Z0-9_.-]+)`);
      return;
    }
    s.spec.name = v;
    s.notes.push(`${flag} ${v}: a fixed name makes concurrent builds of this template collide`);
  }),
  valueFlag("--volume", "v", (s, v) =>
    withParsed(s, parseVolume(v, s.options.cwd), (m) => {
      if (m.kind === "bind") hc(s).Binds = push(hc(s).Binds, m.bind);
      else hc(s).Mounts = push(hc(s).Mounts, m.mount);
    }),
  ),
  valueFlag("--mount", undefined, (s, v) =>
    withParsed(s, parseMount(v, s.options.cwd), (m) => {
      if (m.kind === "mount") hc(s).Mounts = push(hc(s).Mounts, m.mount);
      else hc(s).Tmpfs = { ...hc(s).Tmpfs, [m.target]: m.options };
    }),
  ),
  valueFlag("--tmpfs", undefined, (s, v) =>
    withParsed(
      s,
      parseTmpfs(v),
      ({ target, options }) => (hc(s).Tmpfs = { ...hc(s).Tmpfs, [target]: options }),
    ),
  ),
  boolFlag("--privileged", undefined, (s, on) => (hc(s).Privileged = on)),
  valueFlag("--cap-add", undefined, (s, v, flag) => {
    if (nonEmptyValue(s, flag, v)) hc(s).CapAdd = push(hc(s).CapAdd, v);
  }),
  valueFlag("--cap-drop", undefined, (s, v, flag) => {
    if (nonEmptyValue(s, flag, v)) hc(s).CapDrop = push(hc(s).CapDrop, v);
  }),
  valueFlag("--device", undefined, (s, v) =>
    withParsed(s, mapDevice(v), (d) => (hc(s).Devices = push(hc(s).Devices, d))),
  ),
  valueFlag("--network", undefined, (s, v, flag) => setNetwork(s, v, flag)),
  valueFlag("--net", undefined, (s, v, flag) => setNetwork(s, v, flag)),
  valueFlag("--runtime", undefined, (s, v, flag) => {
    if (nonEmptyValue(s, flag, v)) hc(s).Runtime = v;
  }),
  valueFlag("--security-opt", undefined, (s, v, flag) => {
    const why = checkSecurityOpt(v);
    if (why) problem(s, `${flag} "${v}": ${why}`);
    else hc(s).SecurityOpt = push(hc(s).SecurityOpt, v);
  }),
  valueFlag("--shm-size", undefined, (s, v, flag) =>
    withParsed(s, prefixed(flag, parseBytes(v)), (n) => (hc(s).ShmSize = n)),
  ),
  valueFlag("--memory", "m", (s, v, flag) =>
    withParsed(s, prefixed(flag, parseBytes(v)), (n) => (hc(s).Memory = n)),
  ),
  valueFlag("--cpu-shares", "c", (s, v, flag) => {
    if (/^\d+$/.test(v)) hc(s).CpuShares = Number(v);
    else problem(s, `${flag} "${v}": must be a whole number`);
  }),
  valueFlag("--dns", undefined, (s, v, flag) => {
    if (isIP(v) === 0) problem(s, `${flag} "${v}": not an IP address`);
    else hc(s).Dns = push(hc(s).Dns, v);
  }),
  valueFlag("--add-host", undefined, (s, v, flag) => {
    const entry = parseExtraHost(v);
    if (entry === undefined) problem(s, `${flag} "${v}": use host:ip or host=ip (ip may be host-gateway)`);
    else hc(s).ExtraHosts = push(hc(s).ExtraHosts, entry);
  }),
  valueFlag("--publish", "p", (s, v) =>
    withParsed(s, parsePublish(v), (mappings) => {
      for (const { port, binding } of mappings) {
        s.spec.ExposedPorts = { ...s.spec.ExposedPorts, [port]: {} };
        hc(s).PortBindings = { ...hc(s).PortBindings, [port]: push(hc(s).PortBindings?.[port], binding) };
      }
    }),
  ),
  valueFlag("--expose", undefined, (s, v) =>
    withParsed(s, parseExpose(v), (ports) => {
      for (const port of ports) s.spec.ExposedPorts = { ...s.spec.ExposedPorts, [port]: {} };
    }),
  ),
  valueFlag("--label", "l", (s, v, flag) => {
    const eq = v.indexOf("=");
    const key = eq < 0 ? v : v.slice(0, eq);
    if (key === "") problem(s, `${flag} "${v}": empty label name`);
    else s.spec.Labels = { ...s.spec.Labels, [key]: eq < 0 ? "" : v.slice(eq + 1) };
  }),
  boolFlag("--init", undefined, (s, on) => (hc(s).Init = on)),
  ignoredFlag("--rm", undefined, false, "ignored: kiln removes the container itself after commit/export"),
  valueFlag("--ulimit", undefined, (s, v, flag) =>
    withParsed(s, prefixed(flag, parseUlimit(v)), (u) => {
      hc(s).Ulimits = [...(hc(s).Ulimits ?? []).filter((x) => x.Name !== u.Name), u];
    }),
  ),
  valueFlag("--sysctl", undefined, (s, v, flag) => {
    const eq = v.indexOf("=");
    if (eq <= 0) problem(s, `${flag} "${v}": use name=value`);
    else hc(s).Sysctls = { ...hc(s).Sysctls, [v.slice(0, eq)]: v.slice(eq + 1) };
  }),
  valueFlag("--ipc", undefined, (s, v, flag) => {
    if (/^(|none|private|shareable|host|container:.+)$/.test(v)) hc(s).IpcMode = v;
    else problem(s, `${flag} "${v}": use none, private, shareable, host or container:<name>`);
  }),
  valueFlag("--pid", undefined, (s, v, flag) => {
    if (/^(|host|container:.+)$/.test(v)) hc(s).PidMode = v;
    else problem(s, `${flag} "${v}": use host or container:<name>`);
  }),
  valueFlag("--cgroupns", undefined, (s, v, flag) => {
    if (v === "host" || v === "private") hc(s).CgroupnsMode = v;
    else problem(s, `${flag} "${v}": use host or private`);
  }),
  valueFlag("--platform", undefined, (s, v, flag) => {
    if (nonEmptyValue(s, flag, v)) s.spec.platform = v;
  }),
  // Accepted because they only change how the docker CLI attaches, which kiln never does.
  ignoredFlag("--attach", "a", true, "ignored: kiln does not attach to the container"),
  ignoredFlag("--sig-proxy", undefined, false, "ignored: kiln does not attach to the container"),
  ignoredFlag("--detach-keys", undefined, true, "ignored: kiln does not attach to the container"),
  ignoredFlag("--quiet", "q", false, "ignored: kiln pulls before creating the container"),
  ignoredFlag("--pull", undefined, true, "ignored: kiln pulls according to the builder's `pull` option"),
  ignoredFlag("--disable-content-trust", undefined, false, "ignored: kiln does not verify content trust"),
];

// Real docker run flags whose Engine API fields kiln does not map (yet): a clear refusal beats a
// silently different container.
const UNSUPPORTED_VALUE = (
  "annotation blkio-weight blkio-weight-device cgroup-parent cidfile cpu-count cpu-percent " +
  "cpu-period cpu-quota cpu-rt-period cpu-rt-runtime cpus cpuset-cpus cpuset-mems " +
  "device-cgroup-rule device-read-bps device-read-iops device-write-bps device-write-iops " +
  "dns-option dns-search domainname gpus group-add health-cmd health-interval health-retries " +
  "health-start-interval health-start-period health-timeout io-maxbandwidth io-maxiops ip ip6 " +
  "isolation kernel-memory label-file link link-local-ip log-driver log-opt mac-address " +
  "memory-reservation memory-swap memory-swappiness network-alias oom-score-adj pids-limit restart " +
  "stop-signal stop-timeout storage-opt userns uts volume-driver volumes-from"
)
  .split(" ")
  .map((name) => `--${name}`);
const UNSUPPORTED_BOOL: [string, string | undefined][] = [
  ["--publish-all", "P"],
  ["--read-only", undefined],
  ["--no-healthcheck", undefined],
  ["--oom-kill-disable", undefined],
  ["--help", undefined],
];

const FLAGS: FlagDef[] = [
  ...SUPPORTED,
  ...UNSUPPORTED_VALUE.map((long) => unsupportedFlag(long, undefined, true)),
  ...UNSUPPORTED_BOOL.map(([long, short]) => unsupportedFlag(long, short, false)),
];
const BY_LONG = new Map(FLAGS.map((f) => [f.long, f]));
const BY_SHORT = new Map(FLAGS.filter((f) => f.short !== undefined).map((f) => [f.short!, f]));

function prefixed<T>(flag: string, parsed: Parsed<T>): Parsed<T> {
  return parsed.ok ? parsed : fail(`${flag}: ${parsed.problem}`);
}

function setNetwork(s: State, v: string, flag: string): void {
  if (!nonEmptyValue(s, flag, v)) return;
  const current = hc(s).NetworkMode;
  if (current !== undefined && current !== v) {
    problem(s, `${flag} "${v}": kiln connects the container to one network only (already "${current}")`);
    return;
  }
  hc(s).NetworkMode = v;
}

function checkSecurityOpt(opt: string): string | undefined {
  if (opt === "no-new-privileges") return undefined;
  const sep = opt.includes("=") ? "=" : ":";
  const at = opt.indexOf(sep);
  const key = at < 0 ? opt : opt.slice(0, at);
  const value = at < 0 ? "" : opt.slice(at + 1);
  if (value === "" && key !== "no-new-privileges") return "expected key=value";
  if (key === "seccomp" && value !== "unconfined" && value !== "builtin") {
    return "seccomp profile files are not supported by kiln (the docker CLI inlines the file); use seccomp=unconfined or builtin";
  }
  return undefined;
}

function parseExtraHost(spec: string): string | undefined {
  const eq = spec.indexOf("=");
  const at = eq >= 0 ? eq : spec.indexOf(":");
  if (at <= 0) return undefined;
  const host = spec.slice(0, at);
  let ip = spec.slice(at + 1);
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  if (ip !== "host-gateway" && isIP(ip) === 0) return undefined;
  return `${host}:${ip}`;
}

// ---------------------------------------------------------------------------------------------
// Parsing.

function applyFlag(state: State, def: FlagDef, flag: string, value: string | undefined): void {
  // A value only known at run time: the flag is known, its value is checked then.
  if (value !== undefined && state.options.opaque?.(value)) return;
  if (def.takesValue) {
    def.apply(state, value ?? "", flag);
    return;
  }
  const on = value === undefined ? true : parseGoBool(value);
  if (on === undefined) problem(state, `${flag}: invalid boolean value "${value}"`);
  else def.apply(state, String(on), flag);
}

function unknownLong(state: State, name: string): void {
  problem(state, `unknown docker run flag "${name}"`, suggest(name, BY_LONG.keys()));
}

/** A problem as one line of text, with its did-you-mean. */
function problemText(p: RunCommandProblem): string {
  const hints = p.suggestions ?? [];
  return hints.length > 0
    ? `${p.message} (did you mean ${hints.map((h) => `"${h}"`).join(" or ")}?)`
    : p.message;
}

/**
 * Maps rendered `run_command` arguments (as for `docker run`, without the `run` itself) onto a
 * container-create body. Flags stop at `--` or at the first non-flag, which is the image; what
 * follows is the command. Packer's own additions (temp-dir volume, builder `device`/`tmpfs`/…) are
 * merged by the caller.
 */
export function mapRunCommand(args: readonly string[], options: RunCommandOptions = {}): RunCommandMapping {
  const state: State = { spec: { HostConfig: {} }, problems: [], notes: [], options, arg: 0 };
  const opaque = options.opaque ?? (() => false);
  const result = (image: string, cmd: string[]): RunCommandMapping => ({
    spec: state.spec,
    image,
    cmd,
    problems: state.problems.map(problemText),
    located: state.problems,
    notes: state.notes,
  });
  let i = 0;
  for (; i < args.length; i++) {
    state.arg = i;
    const arg = args[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg : arg.slice(0, eq);
      // `--{{user "flag"}}`: which flag, and whether it takes the next argument, is unknown.
      if (opaque(name)) return result("", []);
      const def = BY_LONG.get(name);
      if (!def) {
        unknownLong(state, name);
        continue;
      }
      let value = eq < 0 ? undefined : arg.slice(eq + 1);
      if (def.takesValue && value === undefined) {
        if (i + 1 >= args.length) {
          problem(state, `flag needs an argument: ${name}`);
          break;
        }
        value = args[++i];
        state.arg = i;
      }
      applyFlag(state, def, name, value);
    } else if (arg.startsWith("-") && arg.length > 1) {
      // Which shorthand letters a template expands to is unknown.
      if (opaque(arg)) return result("", []);
      i = parseShortGroup(state, args, i);
    } else {
      // A template here may be the image, or expand to more flags: nothing further can be told.
      if (opaque(arg)) return result("", []);
      break;
    }
  }
  state.arg = i;
  const image = args[i] ?? "";
  const cmd = args.slice(i + 1);
  if (image === "") problem(state, 'no image in run_command: add "{{.Image}}" after the flags');
  state.spec.Image = image;
  if (cmd.length > 0) state.spec.Cmd = cmd;
  return result(image, cmd);
}

/** pflag shorthands: `-dit`, `-uroot`, `-e=K=V`, `-e K=V`. Returns the index of the last arg used. */
function parseShortGroup(state: State, args: readonly string[], index: number): number {
  const arg = args[index]!;
  for (let j = 1; j < arg.length; j++) {
    const c = arg[j]!;
    const def = BY_SHORT.get(c);
    const flag = `-${c}`;
    if (!def) {
      problem(state, `unknown shorthand flag '${c}' in ${arg}`);
      return index;
    }
    const rest = arg.slice(j + 1);
    if (rest.startsWith("=")) {
      applyFlag(state, def, flag, rest.slice(1));
      return index;
    }
    if (!def.takesValue) {
      applyFlag(state, def, flag, undefined);
      continue;
    }
    if (rest !== "") {
      applyFlag(state, def, flag, rest);
      return index;
    }
    if (index + 1 >= args.length) {
      problem(state, `flag needs an argument: '${c}' in ${arg}`);
      return index;
    }
    state.arg = index + 1;
    applyFlag(state, def, flag, args[index + 1]);
    return index + 1;
  }
  return index;
}

const IMAGE_PLACEHOLDER = /\{\{-?\s*\.Image\s*-?\}\}/g;

/**
 * Checks run_command at validate time, before any side effect. `{{.Image}}` stands for an image;
 * arguments holding any other template (or build data) are only known at run time: their values
 * are not checked, and checking stops where such an argument could be a flag or the image.
 * Host-dependent lookups (`-e NAME`) are not performed.
 */
export function validateRunCommandStatically(args: readonly string[]): RunCommandProblem[] {
  const rendered = args.map((a) => a.replace(IMAGE_PLACEHOLDER, "kiln-validate/image:latest"));
  // \u0001 delimits build data (template/types.ts buildDataSentinel), filled in at run time.
  const opaque = (a: string): boolean => a.includes("{{") || a.includes("\u0001");
  return mapRunCommand(rendered, { hostEnv: {}, cwd: "/", opaque }).located;
}
