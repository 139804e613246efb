// Options of kiln's `docker-test` post-processor (Packer has none by that name): commands run in a
// fresh container from the image artifact; see docker-test.ts.
import { f, type ComponentSpec, type ConfigOf } from "../../template/schema.js";

export const dockerTestSchema = {
  inline: f.strings("Commands, each run in the test container in order; each must succeed."),
  script: f.string("A local script, run in the test container as one command."),
  valid_exit_codes: f.ints("Exit codes that count as success.").default([0]),
  expect_stdout: f
    .string("A regular expression the standard output of the commands (together) must match.")
    .default(""),
  env: f.map("Environment of the commands.").default({}),
  user: f.string("User the commands run as (default: the image's).").default(""),
  working_dir: f.string("Directory the commands run in (default: the image's).").default(""),
  entrypoint: f
    .strings("How each command is run: these arguments, then the command as the last one.")
    .default(["/bin/sh", "-c"]),
};
export type DockerTestConfig = ConfigOf<typeof dockerTestSchema>;

export const dockerTestSpec: ComponentSpec<typeof dockerTestSchema> = {
  type: "docker-test",
  schema: dockerTestSchema,
  check(c) {
    const p: [string, string][] = [];
    if (!c.inline && !c.script) p.push(["", "docker-test needs inline (a list of commands) or script"]);
    if (c.inline && c.script) p.push(["script", "only one of inline and script may be set"]);
    if (c.inline?.length === 0) p.push(["inline", "inline needs at least one command"]);
    if (c.entrypoint.length === 0)
      p.push(["entrypoint", 'entrypoint needs a program, e.g. ["/bin/sh", "-c"]']);
    if (c.expect_stdout) {
      try {
        new RegExp(c.expect_stdout, "m");
      } catch (e) {
        p.push(["expect_stdout", `not a valid regular expression: ${(e as Error).message}`]);
      }
    }
    return p;
  },
};
