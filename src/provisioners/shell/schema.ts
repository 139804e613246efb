// Options of Packer's `shell` provisioner (reference §c.1).
import { f, type ComponentSpec, type ConfigOf } from "../../template/schema.js";

export const shellSchema = {
  inline: f.strings("Commands, joined into one script."),
  script: f.string("A local script to upload and run."),
  scripts: f.strings("Local scripts, each uploaded and run in order."),
  inline_shebang: f.string("Shebang of the inline script.").default("/bin/sh -e"),
  environment_vars: f.strings("`KEY=value` pairs for the script's environment.").default([]),
  env: f.map("Environment map (Packer ≥ 1.8); wins over environment_vars.").default({}),
  env_var_format: f.string("Format of one variable in {{.Vars}}.").default("%s='%s' "),
  use_env_var_file: f.bool("Write variables to a file sourced by the script.").default(false),
  execute_command: f
    .string("How the script is run: {{.Path}}, {{.Vars}}, {{.EnvVarFile}}.")
    .default("chmod +x {{.Path}}; {{.Vars}} {{.Path}}")
    .lateRender(),
  remote_folder: f.string("Directory in the container for the script.").default("/tmp"),
  remote_file: f.string("File name of the script in the container."),
  remote_path: f.string("Full path of the script in the container."),
  binary: f.bool("Do not convert CRLF line endings.").default(false),
  valid_exit_codes: f.ints("Exit codes that count as success.").default([0]),
  expect_disconnect: f.bool("Tolerate the connection dropping.").default(false),
  skip_clean: f.bool("Leave the script in the container.").default(false),
  start_retry_timeout: f
    .duration("How long to retry starting the script (kiln fails at once on permanent errors).")
    .default(300_000),
  pause_after: f.duration("Pause after the provisioner.").default(0),
};
export type ShellConfig = ConfigOf<typeof shellSchema>;

export const shellSpec: ComponentSpec<typeof shellSchema> = {
  type: "shell",
  schema: shellSchema,
  check(c) {
    const p: [string, string][] = [];
    const sources = [c.inline && "inline", c.script && "script", c.scripts && "scripts"].filter(Boolean);
    if (sources.length === 0) p.push(["", "the shell provisioner needs one of inline, script or scripts"]);
    if (sources.length > 1)
      p.push([
        String(sources[1]),
        `only one of inline, script and scripts may be set; found ${sources.join(", ")}`,
      ]);
    for (const kv of c.environment_vars) {
      if (!/^[^=]+=/.test(kv))
        p.push(["environment_vars", `environment variable not in format 'key=value': ${JSON.stringify(kv)}`]);
    }
    return p;
  },
};
