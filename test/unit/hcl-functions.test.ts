// HCL functions beyond the corpus: edge cases, the date/time, crypto, encoding and filesystem
// groups, unsupported functions, and the docs table (docs/hcl-functions.md) matching the code.
import assert from "node:assert/strict";
import { constants, generateKeyPairSync, publicEncrypt } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { HclError } from "../../src/template/hcl/diagnostics.js";
import { bcryptHash } from "../../src/template/hcl/functions/bcrypt.js";
import { FUNCTIONS } from "../../src/template/hcl/functions/index.js";
import { yamlDecode, yamlEncode } from "../../src/template/hcl/functions/yaml.js";
import { context, evalSnippet } from "./hcl-helpers.js";

const value = (expr: string, extra: Record<string, unknown> = {}): unknown =>
  evalSnippet(`x = ${expr}\n`, context(extra)).values.x;

const fails = (expr: string, message: RegExp): void => {
  assert.throws(
    () => value(expr),
    (e: unknown) => {
      assert.ok(e instanceof HclError, String(e));
      assert.match(`${e.summary}: ${e.detail ?? ""}`, message);
      return true;
    },
  );
};

describe("HCL functions: strings", () => {
  it("substr, trim, indent, chomp, formatlist", () => {
    assert.equal(value('substr("hello world", 1, 4)'), "ello");
    assert.equal(value('substr("hello", -3, -1)'), "llo");
    assert.equal(value('trim("?!hello?!", "!?")'), "hello");
    assert.equal(value('trimprefix("helloworld", "hello")'), "world");
    assert.equal(value('trimsuffix("helloworld", "world")'), "hello");
    assert.equal(value('indent(2, "a\\nb")'), "a\n  b");
    assert.equal(value('chomp("x\\n\\r\\n")'), "x");
    assert.deepEqual(value('formatlist("%s=%d", ["a", "b"], [1, 2])'), ["a=1", "b=2"]);
    assert.deepEqual(value('formatlist("%s-%s", "p", ["x", "y"])'), ["p-x", "p-y"]);
    assert.equal(value('startswith("kiln", "ki")'), true);
    assert.equal(value('endswith("kiln", "ki")'), false);
    assert.equal(value('strcontains("kiln", "il")'), true);
    assert.equal(value('length("héllo")'), 5);
  });

  it("format reports bad verbs and argument counts", () => {
    fails('format("%d", "x")', /unsupported value for "%d"/);
    fails('format("%s %s", "a")', /not enough arguments/);
  });

  it("regex reports a pattern that does not match", () => {
    fails('regex("^z", "abc")', /pattern did not match/);
  });
});

describe("HCL functions: collections and types", () => {
  it("sets are deduplicated and sorted", () => {
    assert.deepEqual(value('setunion(["b", "a"], ["c", "a"])'), ["a", "b", "c"]);
    assert.deepEqual(value("setintersection([1, 2, 3], [2, 3, 4])"), [2, 3]);
    assert.deepEqual(value('setproduct(["a", "b"], [1, 2])'), [
      ["a", 1],
      ["a", 2],
      ["b", 1],
      ["b", 2],
    ]);
  });

  it("chunklist, sort, sum, alltrue, anytrue", () => {
    assert.deepEqual(value("chunklist([1, 2, 3, 4, 5], 2)"), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(value('sort(["b", "c", "a"])'), ["a", "b", "c"]);
    assert.equal(value("sum([1, 2.5, 3])"), 6.5);
    assert.equal(value('alltrue([true, "true"])'), true);
    assert.equal(value("anytrue([false])"), false);
  });

  it("lookup without default fails with the key", () => {
    fails('lookup({ a = 1 }, "b")', /lookup failed to find key "b"/);
  });

  it("convert follows HCL's conversions", () => {
    assert.equal(value('convert("true", bool)'), true);
    assert.deepEqual(value('convert({ a = 1, b = "x" }, object({ a = string, c = optional(number) }))'), {
      a: "1",
      c: null,
    });
    fails('convert("x", number)', /"x" is not a number/);
    fails('convert(["a", ["b"]], list(string))', /all elements must have the same type|a string is required/);
  });

  it("try returns the first value that evaluates; can tells whether one does", () => {
    assert.equal(value('try(var.obj.nope, var.obj.name, "z")'), "o");
    assert.equal(value('can(regex("^[a-z]+$", var.name))'), true);
  });
});

describe("HCL functions: encoding", () => {
  it("csvdecode, yamlencode/yamldecode, base64gzip, text encodings", () => {
    assert.deepEqual(value('csvdecode("a,b\\n1,\\"x,y\\"\\n")'), [{ a: "1", b: "x,y" }]);
    assert.equal(
      value('yamlencode({ a = [1, "two"], b = { c = true } })'),
      '"a":\n- 1\n- "two"\n"b":\n  "c": true\n',
    );
    assert.deepEqual(value('yamldecode("a: 1\\nb: [x, y]\\nc:\\n  - k: v\\n")'), {
      a: 1,
      b: ["x", "y"],
      c: [{ k: "v" }],
    });
    assert.equal(value('textencodebase64("hé", "UTF-16LE")'), "aADpAA==");
    assert.equal(value('textdecodebase64("aADpAA==", "UTF-16LE")'), "hé");
    assert.equal(typeof value('base64gzip("x")'), "string");
    fails('base64decode("%%%")', /not valid base64/);
  });

  it("the YAML codec round-trips block and flow styles", () => {
    const doc = `# comment\nname: kiln\nlist:\n  - 1\n  - two\nnested:\n  deep: {a: 1, b: [true, null]}\ntext: |\n  line 1\n  line 2\nfolded: >-\n  a\n  b\nquoted: 'it''s'\n`;
    const data = yamlDecode(doc);
    assert.deepEqual(data, {
      name: "kiln",
      list: [1, "two"],
      nested: { deep: { a: 1, b: [true, null] } },
      text: "line 1\nline 2\n",
      folded: "a b",
      quoted: "it's",
    });
    assert.deepEqual(yamlDecode(yamlEncode(data)), data);
  });
});

describe("HCL functions: date and time", () => {
  it("formatdate covers the specification letters", () => {
    assert.equal(
      value('formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZZZ", "2024-03-05T06:07:08+02:00")'),
      "Tuesday, 05-Mar-24 06:07:08 +02:00",
    );
    assert.equal(value('formatdate("H:mm AA", "2024-03-05T15:04:05Z")'), "3:04 PM");
    assert.equal(value('formatdate("YYYY\'T\'MM", "2024-03-05T15:04:05Z")'), "2024T03");
    fails('formatdate("Q", "2024-03-05T15:04:05Z")', /invalid date format verb "Q"/);
  });

  it("legacy_isotime and legacy_strftime format the run's start time", () => {
    assert.equal(
      value('legacy_isotime("2006-01-02T15:04:05Z07:00 Mon Jan _2")'),
      "2024-03-05T06:07:08Z Tue Mar  5",
    );
    assert.equal(value('legacy_strftime("%Y%m%d-%H%M%S %a %j")'), "20240305-060708 Tue 065");
  });

  it("rfc3339_parse and unix_timestamp_parse return the date parts", () => {
    assert.deepEqual(value('rfc3339_parse("2023-07-25T23:43:16Z")'), {
      year: 2023,
      year_day: 206,
      month: 7,
      month_name: "July",
      day: 25,
      weekday: 2,
      weekday_name: "Tuesday",
      hour: 23,
      minute: 43,
      second: 16,
      unix: 1690328596,
      iso_year: 2023,
      iso_week: 30,
    });
    assert.equal((value("unix_timestamp_parse(1690328596)") as { hour: number }).hour, 23);
  });

  it("timeadd keeps the offset and accepts Go durations", () => {
    assert.equal(value('timeadd("2024-01-01T00:00:00+01:00", "-1h30m")'), "2023-12-31T22:30:00+01:00");
    fails('timeadd("2024-01-01T00:00:00Z", "1 day")', /invalid duration "1 day"/);
  });
});

describe("HCL functions: crypto and network", () => {
  it("bcrypt matches published test vectors", () => {
    assert.equal(
      bcryptHash("U*U", 5, "CCCCCCCCCCCCCCCCCCCCC."),
      "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
    );
    assert.equal(
      bcryptHash("", 6, "DCq7YPn5Rq63x1Lad4cll."),
      "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",
    );
    assert.match(String(value('bcrypt("pw", 4)')), /^\$2a\$04\$[./A-Za-z0-9]{53}$/);
  });

  it("rsadecrypt decrypts PKCS #1 v1.5 ciphertexts", () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 1024,
      publicKeyEncoding: { type: "pkcs1", format: "pem" },
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
    });
    const cipher = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from("s3cret"),
    ).toString("base64");
    assert.equal(value("rsadecrypt(var.c, var.k)", { var: { c: cipher, k: privateKey } }), "s3cret");
  });

  it("uuidv4 is random and well-formed; sha1/sha512 are hex", () => {
    assert.match(
      String(value("uuidv4()")),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(value('sha1("abc")'), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert.equal(String(value('sha512("")')).length, 128);
  });

  it("cidr functions handle IPv6", () => {
    assert.equal(value('cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)'), "fd00:fd12:3456:7800:a200::/72");
    assert.equal(value('cidrhost("fd00::/64", 1)'), "fd00::1");
    fails('cidrsubnet("10.0.0.0/30", 8, 1)', /insufficient address space/);
  });
});

describe("HCL functions: filesystem", () => {
  it("file, fileexists, fileset, basename, dirname, abspath, pathexpand", () => {
    assert.equal(
      value('file("load/single/motd.tpl")'),
      readFileSync(fileURLToPath(new URL("../fixtures/hcl/load/single/motd.tpl", import.meta.url)), "utf8"),
    );
    assert.equal(value('fileexists("load/single/motd.tpl")'), true);
    assert.equal(value('fileexists("load/single/nope")'), false);
    assert.deepEqual(value('fileset("load/multi", "*.pkrvars.{hcl,json}")'), [
      "a.auto.pkrvars.hcl",
      "extra.pkrvars.hcl",
      "extra.pkrvars.json",
    ]);
    assert.deepEqual(value('fileset("load", "**/*.tpl")'), ["single/motd.tpl"]);
    assert.equal(value('basename("/a/b/c.txt")'), "c.txt");
    assert.equal(value('dirname("/a/b/c.txt")'), "/a/b");
    assert.equal(value('dirname("c.txt")'), ".");
    assert.match(String(value('abspath("x")')), /fixtures\/hcl\/x$/);
    assert.equal(value('pathexpand("~/x")'), "/home/kiln/x");
    fails('file("nope.txt")', /no file exists at "nope.txt"/);
  });
});

describe("HCL functions: table and docs", () => {
  it("names secret-store functions as unsupported, with what to do instead", () => {
    for (const name of ["vault", "consul_key", "aws_secretsmanager", "aws_secretsmanager_raw"]) {
      assert.match(FUNCTIONS.get(name)?.unsupported ?? "", /pass it with -var/);
    }
  });

  it("has every function of Packer 1.6.6 and the later additions", () => {
    const packer166 =
      "abs abspath aws_secretsmanager basename base64decode base64encode bcrypt can ceil chomp chunklist cidrhost cidrnetmask cidrsubnet cidrsubnets coalesce coalescelist compact concat consul_key contains convert csvdecode dirname distinct element file fileexists fileset flatten floor format formatdate formatlist indent index join jsondecode jsonencode keys length log lookup lower max md5 merge min parseint pathexpand pow range reverse replace regex_replace rsadecrypt setintersection setproduct setunion sha1 sha256 sha512 signum slice sort split strrev substr timestamp timeadd title trim trimprefix trimspace trimsuffix try upper urlencode uuidv4 uuidv5 values vault yamldecode yamlencode zipmap";
    const later =
      "alltrue anytrue aws_secretsmanager_raw base64gzip endswith filebase64 legacy_isotime legacy_strftime regex regexall rfc3339_parse startswith strcontains sum templatefile textdecodebase64 textencodebase64 unix_timestamp_parse";
    const expected = [...packer166.split(" "), ...later.split(" ")].sort();
    assert.deepEqual([...FUNCTIONS.keys()].sort(), expected);
  });

  it("docs/hcl-functions.md lists each function with its status", () => {
    const doc = readFileSync(fileURLToPath(new URL("../../docs/hcl-functions.md", import.meta.url)), "utf8");
    const rows = new Map<string, string>();
    for (const m of doc.matchAll(/^\| `([a-z0-9_]+)` \| ([^|]+) \|/gm)) rows.set(m[1]!, m[2]!.trim());
    for (const [name, def] of FUNCTIONS) {
      assert.ok(rows.has(name), `${name} is missing from docs/hcl-functions.md`);
      assert.equal(rows.get(name)!.startsWith("not supported"), !!def.unsupported, `status of ${name}`);
    }
    assert.ok(rows.has("env"), "env (variable defaults only) is documented");
  });
});
