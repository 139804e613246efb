// Packer's JSON template functions (reference §d.3), for one rendering scope: the variables
// section (env allowed), a component's config (build name/type known) or a late field at run
// time. Functions that need outside services are refused with a clear message.
import { randomBytes } from "node:crypto";
import { FuncError } from "../gotemplate/errors.js";
import { fn, unavailable, type FuncMap } from "../gotemplate/func.js";
import { goBuiltins } from "../gotemplate/builtins.js";
import { BUILD_DATA_KEYS, buildDataSentinel } from "../types.js";
import { usableOutputName } from "../output-names.js";
import { suggest } from "../suggest.js";
import { formatGoTime, RFC3339 } from "./go-time.js";
import { strftime } from "./strftime.js";

export { BUILD_DATA_KEYS };
export const PACKER_VERSION = "1.6.6";

export interface FuncScope {
  /** Only the variables section may read the environment (Packer: "env vars are not allowed here"). */
  inVariables: boolean;
  env: NodeJS.ProcessEnv;
  startTime: Date;
  cwd: string;
  templateDir: string;
  buildName?: string;
  buildType?: string;
  /** Resolves `{{ user "x" }}`; throws FuncError (with suggestions) for an undefined variable. */
  user(name: string): string;
}

const NOT_SUPPORTED_DETAIL =
  "kiln does not talk to secret stores: fetch the value before the build and pass it with -var name=… or a -var-file (and list it in sensitive-variables)";

export function packerFuncs(scope: FuncScope): FuncMap {
  const start = scope.startTime;
  const envOnlyInVariables = "env: env vars are not allowed here";
  const envDetail =
    'read environment variables in the "variables" section, e.g. "home": "{{env `HOME`}}", then use {{user `home`}}';
  const funcs: FuncMap = {
    ...goBuiltins,
    user: fn('{{ user "name" }}', ["string"], (name: string) => scope.user(name)),
    env: scope.inVariables
      ? fn('{{ env "NAME" }}', ["string"], (name: string) => scope.env[name] ?? "")
      : unavailable('{{ env "NAME" }}', envOnlyInVariables, envDetail),
    timestamp: fn("{{ timestamp }}", [], () => String(Math.floor(start.getTime() / 1000))),
    isotime: fn(
      '{{ isotime "2006-01-02" }}',
      [],
      (...layout: string[]) => {
        if (layout.length > 1) throw new FuncError(`too many values, 1 needed: [${layout.join(" ")}]`);
        return formatGoTime(start, layout[0] ?? RFC3339);
      },
      { variadic: "string" },
    ),
    strftime: fn('{{ strftime "%Y-%m-%d" }}', ["string"], (format: string) => strftime(format, start)),
    uuid: fn("{{ uuid }}", [], () => timeOrderedUuid(start)),
    pwd: fn("{{ pwd }}", [], () => scope.cwd),
    template_dir: fn("{{ template_dir }}", [], () => scope.templateDir),
    packer_version: fn("{{ packer_version }}", [], () => PACKER_VERSION),
    build_name: fn("{{ build_name }}", [], () => {
      if (!scope.buildName)
        throw new FuncError("build_name not available", {
          detail: "it is only known inside a builder, provisioner or post-processor",
        });
      return scope.buildName;
    }),
    build_type: fn("{{ build_type }}", [], () => {
      if (!scope.buildType)
        throw new FuncError("build_type not available", {
          detail: "it is only known inside a builder, provisioner or post-processor",
        });
      return scope.buildType;
    }),
    build: scope.inVariables
      ? unavailable(
          '{{ build "ID" }}',
          "build: build data is not available in variables",
          "use {{ build `ID` }} in a provisioner or post-processor",
        )
      : fn('{{ build "ID" }}', ["string"], (key: string) => {
          // Any other valid name is a build output (core/build-outputs.ts), checked against the
          // steps that can produce it once the template is loaded (template/output-uses.ts).
          if (!(BUILD_DATA_KEYS as readonly string[]).includes(key) && !usableOutputName(key)) {
            throw new FuncError(`unknown build variable ${JSON.stringify(key)}`, {
              suggestions: suggest(key, BUILD_DATA_KEYS),
              detail: `available: ${BUILD_DATA_KEYS.join(", ")}, or a build output (letters, digits and _)`,
            });
          }
          return buildDataSentinel(key);
        }),
    clean_resource_name: fn('{{ clean_resource_name "Name" }}', ["string"], (s: string) =>
      cleanResourceName(s),
    ),
    lower: fn('{{ lower "S" }}', ["string"], (s: string) => s.toLowerCase()),
    upper: fn('{{ upper "s" }}', ["string"], (s: string) => s.toUpperCase()),
    split: fn(
      '{{ split "a-b-c" "-" 1 }}',
      ["string", "string", "int"],
      (s: string, sep: string, n: number) => {
        const parts = goSplit(s, sep);
        if (n < 0 || parts.length <= n) {
          throw new FuncError(
            `the substring ${n} was unavailable using the separator value, ${sep}, only ${parts.length} values were found`,
          );
        }
        return parts[n]!;
      },
    ),
    replace: fn(
      '{{ replace "old" "new" 1 "string" }}',
      ["string", "string", "int", "string"],
      (o: string, n: string, count: number, s: string) => goReplace(s, o, n, count),
    ),
    replace_all: fn(
      '{{ replace_all "old" "new" "string" }}',
      ["string", "string", "string"],
      (o: string, n: string, s: string) => goReplace(s, o, n, -1),
    ),
    sed: unavailable(
      '{{ sed "s/a/b/" "text" }}',
      "template function `sed` is deprecated",
      "use `replace` or `replace_all` instead",
    ),
    consul_key: unavailable(
      '{{ consul_key "key" }}',
      'function "consul_key" is not supported by kiln',
      NOT_SUPPORTED_DETAIL,
    ),
    vault: unavailable(
      '{{ vault "path" "key" }}',
      'function "vault" is not supported by kiln',
      NOT_SUPPORTED_DETAIL,
    ),
    aws_secretsmanager: unavailable(
      '{{ aws_secretsmanager "name" "key" }}',
      'function "aws_secretsmanager" is not supported by kiln',
      NOT_SUPPORTED_DETAIL,
    ),
  };
  return funcs;
}

/** strings.Split: an empty separator splits into UTF-8 characters. */
function goSplit(s: string, sep: string): string[] {
  return sep === "" ? [...s] : s.split(sep);
}

/** strings.Replace: n < 0 replaces all; an empty `old` matches between characters. */
function goReplace(s: string, old: string, replacement: string, n: number): string {
  if (n === 0 || old === replacement) return s;
  if (old === "") {
    // Insert `replacement` before each character and at the end, up to n times.
    const chars = [...s];
    let out = "";
    let done = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (n < 0 || done < n) {
        out += replacement;
        done++;
      }
      out += chars[i] ?? "";
    }
    return out;
  }
  const parts = s.split(old);
  if (n < 0 || n >= parts.length - 1) return parts.join(replacement);
  return parts.slice(0, n + 1).join(replacement) + old + parts.slice(n + 1).join(old);
}

/** Lower-case, only [a-z0-9-], at most 63 characters: a name most clouds accept. */
export function cleanResourceName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 63);
}

/** Packer's time-ordered UUID: 8 hex digits of unix seconds, then random bits. */
function timeOrderedUuid(start: Date): string {
  const secs = (Math.floor(start.getTime() / 1000) >>> 0).toString(16).padStart(8, "0");
  const r = randomBytes(12).toString("hex");
  return `${secs}-${r.slice(0, 4)}-${r.slice(4, 8)}-${r.slice(8, 12)}-${r.slice(12, 24)}`;
}
