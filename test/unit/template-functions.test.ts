import { test } from "node:test";
import assert from "node:assert/strict";
import { formatGoTime } from "../../src/template/functions/go-time.js";
import { strftime } from "../../src/template/functions/strftime.js";
import { packerFuncs, type FuncScope } from "../../src/template/functions/packer-funcs.js";
import { renderTemplate } from "../../src/template/gotemplate/exec.js";
import { TemplateError } from "../../src/template/gotemplate/errors.js";
import { FuncError } from "../../src/template/gotemplate/errors.js";
import { buildDataSentinel } from "../../src/template/types.js";
import { parseDuration } from "../../src/template/duration.js";

const t1 = new Date(Date.UTC(2026, 10, 22, 5, 17, 6, 42)); // Sunday
const t2 = new Date(Date.UTC(2021, 2, 5, 14, 9, 8, 500)); // Friday, day 64

test("isotime: Go reference-time layout tokens", () => {
  const cases: [Date, string, string][] = [
    [t1, "2006-01-02T15:04:05Z07:00", "2026-11-22T05:17:06Z"],
    [t1, "2006-01-02", "2026-11-22"],
    [t1, "Jan 2, 2006 at 3:04pm (MST)", "Nov 22, 2026 at 5:17am (UTC)"],
    [t1, "Monday January _2 15:04:05.000 -0700", "Sunday November 22 05:17:06.042 +0000"],
    [t1, "06/1/2 03:4:5 PM", "26/11/22 05:17:6 AM"],
    [t2, "Mon Jan _2 15:04:05.999 Z07:00", "Fri Mar  5 14:09:08.5 Z"],
    [t2, "15:04:05.000000 .999999 ,000", "14:09:08.500000 .5 ,500"],
    [t2, "002 __2", "064  64"],
    [t2, "-07:00 -07 Z0700 -070000", "+00:00 +00 Z +000000"],
    [t2, "20060102150405", "20210305140908"],
    [t2, "3PM 03pm", "2PM 02pm"],
    [t2, "_2006", "_2021"],
    [t2, "January Monday", "March Friday"],
    [t2, "literal text: x", "literal text: x"],
  ];
  for (const [t, layout, want] of cases) assert.equal(formatGoTime(t, layout), want, layout);
});

test("strftime: C conversions in UTC", () => {
  assert.equal(strftime("%Y-%m-%d %H:%M:%S", t2), "2021-03-05 14:09:08");
  assert.equal(strftime("%a %b %e", t2), "Fri Mar  5");
  assert.equal(strftime("%j %I%p %% %A %B %y", t2), "064 02PM % Friday March 21");
  assert.equal(strftime("%F %T %Z %z", t2), "2021-03-05 14:09:08 UTC +0000");
});

function scope(over: Partial<FuncScope> = {}): FuncScope {
  return {
    inVariables: false,
    env: { HOME: "/home/me" },
    startTime: t1,
    cwd: "/work",
    templateDir: "/work/tpl",
    buildName: "app",
    buildType: "docker",
    user: (k) => {
      if (k === "name") return "Web Server";
      throw new FuncError(`undefined variable "${k}"`);
    },
    ...over,
  };
}

const r = (text: string, s = scope()) => renderTemplate(text, { funcs: packerFuncs(s) });

function fails(text: string, s = scope()): TemplateError {
  try {
    r(text, s);
  } catch (e) {
    assert.ok(e instanceof TemplateError, String(e));
    return e;
  }
  assert.fail(`expected ${text} to fail`);
}

test("timestamp, isotime, strftime use the run's start time", () => {
  assert.equal(r("{{timestamp}}"), String(Math.floor(t1.getTime() / 1000)));
  assert.equal(r("{{isotime}}"), "2026-11-22T05:17:06Z");
  assert.equal(r('{{isotime "2006"}}'), "2026");
  assert.equal(r('{{strftime "%Y"}}'), "2026");
  assert.match(fails('{{isotime "a" "b"}}').message, /too many values/);
});

test("uuid is time-ordered: unix seconds in hex, then random", () => {
  const u = r("{{uuid}}");
  assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(u.slice(0, 8), Math.floor(t1.getTime() / 1000).toString(16));
});

test("user, build_name, build_type, pwd, template_dir, packer_version", () => {
  assert.equal(
    r("{{user `name`}}|{{build_name}}|{{build_type}}|{{pwd}}|{{template_dir}}|{{packer_version}}"),
    "Web Server|app|docker|/work|/work/tpl|1.6.6",
  );
  assert.match(fails("{{build_name}}", scope({ buildName: undefined })).message, /build_name not available/);
});

test("string functions: lower, upper, split, replace, replace_all, clean_resource_name", () => {
  assert.equal(r("{{user `name` | lower}} {{upper `x`}}"), "web server X");
  assert.equal(r('{{split "a-b-c" "-" 2}}'), "c");
  assert.match(
    fails('{{split "a-b" "-" 5}}').message,
    /the substring 5 was unavailable using the separator value, -, only 2 values were found/,
  );
  assert.equal(r('{{replace "a" "o" 2 "banana"}}'), "bonona");
  assert.equal(r('{{replace "a" "o" -1 "banana"}}'), "bonono");
  assert.equal(r('{{ "banana" | replace_all "an" "AN" }}'), "bANANa");
  assert.equal(r('{{ clean_resource_name "My Image_v1.2" }}'), "my-image-v1-2");
});

test("build renders a sentinel the runner substitutes; case variants have did-you-mean; other names are outputs", () => {
  assert.equal(r("id={{ build `ID` }}"), `id=${buildDataSentinel("ID")}`);
  const e = fails("{{ build `Id` }}");
  assert.match(e.message, /unknown build variable "Id"/);
  assert.deepEqual(e.extras.suggestions, ["ID"]);
  // Any other valid name is a build output, checked against the steps at validate (output-uses.ts).
  assert.equal(r("{{ build `chrome_version` }}"), buildDataSentinel("chrome_version"));
  assert.match(fails("{{ build `chrome-version` }}").message, /unknown build variable "chrome-version"/);
  assert.match(fails("{{ build `ID` }}", scope({ inVariables: true })).message, /not available in variables/);
});

test("env only inside variables", () => {
  assert.equal(r("{{env `HOME`}}", scope({ inVariables: true })), "/home/me");
  assert.equal(r("{{env `NOPE`}}", scope({ inVariables: true })), "");
  assert.match(fails("{{env `HOME`}}").message, /env vars are not allowed here/);
});

test("sed is deprecated; consul_key, vault and aws_secretsmanager are not supported", () => {
  assert.match(fails('{{ sed "s/a/b/" "a" }}').message, /`sed` is deprecated/);
  for (const f of ["consul_key `k`", "vault `p` `k`", "aws_secretsmanager `n`"]) {
    const name = f.split(" ")[0]!;
    const e = fails(`x {{ ${f} }}`, scope({ inVariables: true }));
    assert.equal(e.message, `function "${name}" is not supported by kiln`);
    assert.equal(e.offset, 5);
  }
});

test("undefined function: did-you-mean", () => {
  const e = fails("{{usr `x`}}");
  assert.deepEqual(e.extras.suggestions, ["user"]);
  assert.equal(fails("{{ uper `x` }}").extras.suggestions?.[0], "upper");
});

test("durations: Go syntax and bare seconds, in milliseconds", () => {
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  assert.equal(parseDuration("30"), 30_000);
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration("soon"), undefined);
  assert.equal(parseDuration("10 minutes"), undefined);
});
