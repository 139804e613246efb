// Reads ansible-playbook's default (human) output as it streams, to say in the build error which
// task failed and why, and to recognise the failures that have a known fix (no Python in the
// image, the docker connection plugin missing).

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const TASK = /^(?:TASK|RUNNING HANDLER) \[(.*)\] \**\s*$/;
const FAILED = /^(?:fatal|failed): \[([^\]]+)\](?: \(item=.*?\))?(?:: (FAILED|UNREACHABLE)!)? => (\{.*)$/;
const PYTHON_MISSING = [
  /No python interpreters found/i,
  /python[0-9.]*: (?:not found|No such file or directory)/,
  /python[0-9.]*['"]?: not found/,
  /you probably need to set the interpreter/,
];
const CONNECTION_PLUGIN_MISSING = /connection plugin '([^']+)' was not found/;

export interface AnsibleFailure {
  task: string | undefined;
  host: string;
  kind: "FAILED" | "UNREACHABLE";
  message: string;
}

export class AnsibleOutput {
  private task: string | undefined;
  readonly failures: AnsibleFailure[] = [];
  pythonMissing = false;
  missingConnectionPlugin: string | undefined;

  line(raw: string): void {
    const line = raw.replace(ANSI, "");
    const task = TASK.exec(line);
    if (task) {
      this.task = task[1];
      return;
    }
    if (PYTHON_MISSING.some((re) => re.test(line))) this.pythonMissing = true;
    const plugin = CONNECTION_PLUGIN_MISSING.exec(line);
    if (plugin) this.missingConnectionPlugin = plugin[1];
    const failed = FAILED.exec(line);
    if (failed) {
      this.failures.push({
        task: this.task,
        host: failed[1]!,
        kind: failed[2] === "UNREACHABLE" ? "UNREACHABLE" : "FAILED",
        message: failureMessage(failed[3]!),
      });
    }
  }

  /** `task "X" failed on default: msg`, for the first failure; undefined when none was seen. */
  summary(): string | undefined {
    const f = this.failures[0];
    if (!f) return undefined;
    const what = f.kind === "UNREACHABLE" ? "could not reach" : "failed on";
    const task = f.task === undefined ? "a task" : `task "${f.task}"`;
    return `${task} ${what} ${f.host}: ${f.message}`;
  }
}

/** The `msg` of a result (plus the first line of module_stderr when it explains more). */
export function failureMessage(json: string): string {
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trim();
  }
  const nested = result.failed_modules as Record<string, Record<string, unknown>> | undefined;
  const inner = nested ? Object.values(nested).find((m) => m.failed) : undefined;
  const src = inner ?? result;
  const msg =
    typeof src.msg === "string" ? src.msg.trim() : typeof result.msg === "string" ? result.msg.trim() : "";
  const stderr =
    typeof src.module_stderr === "string"
      ? src.module_stderr.trim().split("\n")[0]
      : typeof src.stderr === "string"
        ? src.stderr.trim().split("\n")[0]
        : "";
  const parts = [msg.split("\n")[0], stderr].filter((p): p is string => Boolean(p));
  if (parts.length === 0) return json.length > 300 ? `${json.slice(0, 300)}…` : json;
  return parts.join(": ");
}

export const PYTHON_HINT = [
  "the container has no Python, which Ansible's modules (and fact gathering) need.",
  'Install it first with the raw module, in a play that does not gather facts, as seed 003\'s "Setup Python" play does:',
  "  - hosts: all",
  "    gather_facts: false",
  "    tasks:",
  "      - name: Setup Python",
  "        raw: command -v python3 || (apt-get update && apt-get install -y --no-install-recommends python3)",
  "or install it with a shell provisioner before this one (and remove it in a cleanup play if the image should not keep it).",
].join("\n");
