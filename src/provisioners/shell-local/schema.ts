// Options of Packer's `shell-local` provisioner (reference §c.4; packer-plugin-sdk
// shell-local/config.go). The post-processor of the same name takes the same options.
import { f, type CheckProblem, type ComponentSpec, type ConfigOf } from "../../template/schema.js";

export const shellLocalSchema = {
  command: f.string("A single command line, run through execute_command."),
  inline: f.strings("Commands, written to a temporary script (one per line) and run."),
  script: f.string("A local script to run."),
  scripts: f.strings("Local scripts, run in order."),
  environment_vars: f.strings("`KEY=value` pairs for the commands' environment.").default([]),
  env: f.map("Environment map (Packer ≥ 1.8); wins over environment_vars.").default({}),
  env_var_format: f.string("Format of one variable in {{.Vars}}.").default("%s='%s' "),
  execute_command: f
    .strings("How the script is run (program and arguments): {{.Vars}} and {{.Script}} are available.")
    .default(["/bin/sh", "-c", "{{.Vars}} {{.Script}}"])
    .lateRender()
    .acceptSingle(),
  inline_shebang: f.string("Shebang of the inline script.").default("/bin/sh -e"),
  only_on: f.strings("Run only on these host OSes (Go names: linux, darwin, windows, freebsd…).").default([]),
  tempfile_extension: f.string("Extension of the temporary inline script.").default(""),
  use_linux_pathing: f.bool("Windows only: use Linux paths for WSL.").default(false),
  valid_exit_codes: f.ints("Exit codes that count as success.").default([0]),
};
export type ShellLocalConfig = ConfigOf<typeof shellLocalSchema>;

const HOST_OSES = [
  "aix",
  "android",
  "darwin",
  "dragonfly",
  "freebsd",
  "illumos",
  "ios",
  "js",
  "linux",
  "netbsd",
  "openbsd",
  "plan9",
  "solaris",
  "windows",
];

/** Shared by the provisioner and the post-processor. */
export function checkShellLocal(c: ShellLocalConfig, what: string): CheckProblem[] {
  const p: CheckProblem[] = [];
  const given = (["command", "inline", "script", "scripts"] as const).filter((k) => c[k] !== undefined);
  if (given.length === 0) p.push(["", `the ${what} needs one of command, inline, script or scripts`]);
  if (given.length > 1)
    p.push([
      given[1]!,
      `only one of command, inline, script and scripts may be set; found ${given.join(", ")}`,
    ]);
  c.environment_vars.forEach((kv, i) => {
    if (!/^[^=]+=/.test(kv))
      p.push([
        `environment_vars[${i}]`,
        `environment variable not in format 'key=value': ${JSON.stringify(kv)}`,
      ]);
  });
  c.only_on.forEach((os, i) => {
    if (!HOST_OSES.includes(os))
      p.push([
        `only_on[${i}]`,
        `unknown OS ${JSON.stringify(os)}`,
        { detail: `known: ${HOST_OSES.join(", ")}` },
      ]);
  });
  if (c.execute_command.length < 2) {
    p.push([
      "execute_command",
      "execute_command needs the program and its arguments as a list of at least two strings",
      { detail: 'e.g. ["/bin/sh", "-c", "{{.Vars}} {{.Script}}"]' },
    ]);
  }
  return p;
}

export const shellLocalSpec: ComponentSpec<typeof shellLocalSchema> = {
  type: "shell-local",
  schema: shellLocalSchema,
  check: (c) => checkShellLocal(c, "shell-local provisioner"),
};
