// Packer's flags are Go-style (`-var k=v`, `-only=a,b`); commander wants `--var`. Rewrite known
// single-dash long flags before `--` so both spellings work.
const LONG_FLAGS = [
  "var",
  "var-file",
  "only",
  "except",
  "force",
  "on-error",
  "parallel-builds",
  "parallel",
  "color",
  "timestamp-ui",
  "machine-readable",
  "debug",
  "syntax-only",
  "check",
  "diff",
  "write",
  "recursive",
  "output-file",
  "help",
  "yes",
  "dry-run",
  "validate",
  "no-cache",
  "cache-max-age",
  "cache-from",
  "cache-to",
  "no-cache-step",
  "max-age",
  "all",
  "json",
  "graph",
  "fail-fast",
  "images",
  "skip-images",
  "images-files",
  "builder-args",
  "no-squash",
  "list",
  "generate-images",
  "packer-template",
  "docker-folder",
  "ansible-folder",
  "salt-folder",
  "engine",
  "transfer-registry",
  "node",
  "node-image",
  "record-digests",
  "emit",
  "emit-file",
  "report",
  "report-html",
  "progress",
];

/** Go booleans (`-color=false`) that map onto commander's `--no-x` / `--x`. */
const BOOLEAN_FLAGS = [
  "color",
  "force",
  "timestamp-ui",
  "machine-readable",
  "debug",
  "syntax-only",
  "check",
  "diff",
  "write",
  "recursive",
  "validate",
  "all",
  "fail-fast",
];
const DASHED_BOOLEAN = new RegExp(`^--(${BOOLEAN_FLAGS.join("|")})=(true|false)$`);

export function normalizeArgv(argv: string[]): string[] {
  const out: string[] = [];
  let passthrough = false;
  for (const arg of argv) {
    if (passthrough || arg === "--") {
      passthrough = true;
      out.push(arg);
      continue;
    }
    const m = /^-([a-z][a-z0-9_-]*)(=.*)?$/.exec(arg);
    if (m && LONG_FLAGS.includes(m[1]!)) {
      const value = m[2];
      // Go's `-color=false` / `-force=true` booleans map onto commander's --no-x / --x.
      if (value !== undefined && /^=(true|false)$/.test(value) && BOOLEAN_FLAGS.includes(m[1]!)) {
        out.push(value === "=false" ? `--no-${m[1]}` : `--${m[1]}`);
      } else out.push(`--${m[1]}${value ?? ""}`);
      continue;
    }
    const dm = DASHED_BOOLEAN.exec(arg);
    if (dm) {
      out.push(dm[2] === "false" ? `--no-${dm[1]}` : `--${dm[1]}`);
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** Packer-style `-only`/`-except` values: comma-separated globs (`*` and `?`). */
export function splitList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
