// `kiln help [topic|command]`: a topic page (help/<topic>.txt, shipped in the package, ending
// with the path of the full document under docs/), or a command's --help, or the overview.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { suggest } from "../../template/suggest.js";

/** Topic → the document in docs/ that has the whole story. */
export const HELP_TOPICS: Readonly<Record<string, string>> = {
  cache: "cache.md",
  chains: "chains.md",
  compat: "compat.md",
};

/** The package's root: one level up from the bundle (dist/), two from dist/cli/commands… */
function packageRoot(): string | undefined {
  for (const rel of ["../", "../../", "../../../"]) {
    const dir = new URL(rel, import.meta.url);
    if (existsSync(new URL("help/", dir)) && existsSync(new URL("package.json", dir)))
      return fileURLToPath(dir);
  }
  return undefined;
}

export function topicText(topic: string): string {
  const root = packageRoot();
  if (!root) throw new Error("help/ is missing from kiln's package");
  const page = readFileSync(`${root}help/${topic}.txt`, "utf8");
  return `${page}  ${root}docs/${HELP_TOPICS[topic]}\n`;
}

export function registerHelp(program: Command, setExit: (code: number) => void): void {
  program.helpCommand(false);
  program
    .command("help")
    .argument("[topic]", `a command, or a topic: ${Object.keys(HELP_TOPICS).join(", ")}`)
    .description(`Help on a command, or on a topic: ${Object.keys(HELP_TOPICS).join(", ")}.`)
    .action((topic: string | undefined) => {
      if (topic === undefined) {
        program.outputHelp();
        process.stdout.write(`\nTopics (kiln help TOPIC): ${Object.keys(HELP_TOPICS).join(", ")}\n`);
        return;
      }
      if (Object.prototype.hasOwnProperty.call(HELP_TOPICS, topic)) {
        process.stdout.write(topicText(topic));
        return;
      }
      const command = program.commands.find((c) => c.name() === topic && c.name() !== "help");
      if (command) {
        command.outputHelp();
        return;
      }
      const known = [...Object.keys(HELP_TOPICS), ...program.commands.map((c) => c.name())];
      const near = suggest(topic, new Set(known));
      process.stderr.write(
        `kiln help: no command or topic ${JSON.stringify(topic)}${near.length ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(" or ")}?` : ""}\n` +
          `topics: ${Object.keys(HELP_TOPICS).join(", ")}; commands: ${program.commands.map((c) => c.name()).join(", ")}\n`,
      );
      setExit(2);
    });
}
