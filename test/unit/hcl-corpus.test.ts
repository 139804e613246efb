// A corpus of HCL snippets: each is evaluated and compared with hand-written expectations, and,
// wherever HashiCorp's parser (the @cdktn/hcl2json reference) evaluates the attribute itself
// (literals, heredocs, escapes, collections), with the reference's value too. The reference loses
// block order, so block order is asserted from kiln's parser separately.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evalSnippet, hasExpression, referenceParse } from "./hcl-helpers.js";

interface Case {
  name: string;
  src: string;
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  // ---- literals -------------------------------------------------------------------------
  { name: "integers", src: "a = 1\nb = 0\nc = 1234567890\n", expect: { a: 1, b: 0, c: 1234567890 } },
  {
    name: "decimals and exponents",
    src: "a = 1.5\nb = 1e3\nc = 2.5E-2\n",
    expect: { a: 1.5, b: 1000, c: 0.025 },
  },
  {
    name: "booleans and null",
    src: "t = true\nf = false\nn = null\n",
    expect: { t: true, f: false, n: null },
  },
  { name: "plain string", src: 'a = "hello world"\n', expect: { a: "hello world" } },
  { name: "empty string", src: 'a = ""\n', expect: { a: "" } },
  {
    name: "escapes",
    src: 'a = "tab\\tnl\\nquote\\"back\\\\"\nb = "\\u00e9\\U0001F600"\nc = "cr\\r"\n',
    expect: { a: 'tab\tnl\nquote"back\\', b: "é😀", c: "cr\r" },
  },
  {
    name: "literal dollar and percent braces",
    src: 'a = "$${x} %%{y}"\nb = "$ and % alone"\n',
    expect: { a: "${x} %{y}", b: "$ and % alone" },
  },
  { name: "unicode text", src: 'a = "日本語 ünïcödé"\n', expect: { a: "日本語 ünïcödé" } },
  // ---- collections ------------------------------------------------------------------------
  { name: "tuple", src: 'a = [1, "two", true, null]\n', expect: { a: [1, "two", true, null] } },
  { name: "empty tuple and object", src: "a = []\nb = {}\n", expect: { a: [], b: {} } },
  { name: "trailing commas", src: "a = [1, 2,]\nb = { x = 1, }\n", expect: { a: [1, 2], b: { x: 1 } } },
  {
    name: "multi-line tuple",
    src: 'a = [\n  "x",\n  "y",\n]\n',
    expect: { a: ["x", "y"] },
  },
  {
    name: "object with newlines and commas",
    src: 'a = {\n  one = 1\n  two = "2", three = [3]\n}\n',
    expect: { a: { one: 1, two: "2", three: [3] } },
  },
  {
    name: "quoted object keys",
    src: 'a = { "key with space" = 1, "k.v" = 2 }\n',
    expect: { a: { "key with space": 1, "k.v": 2 } },
  },
  { name: "colon key separator", src: "a = { x: 1, y: 2 }\n", expect: { a: { x: 1, y: 2 } } },
  {
    name: "nested collections",
    src: "a = { l = [{ m = { n = [1] } }] }\n",
    expect: { a: { l: [{ m: { n: [1] } }] } },
  },
  { name: "keys with dashes", src: 'a = { some-key = "v" }\n', expect: { a: { "some-key": "v" } } },
  // ---- heredocs -----------------------------------------------------------------------------
  { name: "heredoc", src: "a = <<EOT\nline one\n  line two\nEOT\n", expect: { a: "line one\n  line two\n" } },
  {
    name: "indented heredoc",
    src: "a = <<-EOT\n    one\n      two\n    EOT\n",
    expect: { a: "one\n  two\n" },
  },
  {
    name: "indented heredoc with blank line",
    src: "a = <<-EOT\n    one\n\n    two\n  EOT\n",
    expect: { a: "one\n\ntwo\n" },
  },
  {
    name: "indented heredoc with a short whitespace line",
    src: "a = <<-EOT\n    x\n   \n      y\n  EOT\n",
    expect: { a: "x\n   \n  y\n" },
  },
  {
    name: "heredoc keeps backslashes",
    src: "a = <<EOT\nC:\\path \\n\nEOT\n",
    expect: { a: "C:\\path \\n\n" },
  },
  { name: "empty heredoc", src: "a = <<EOT\nEOT\n", expect: { a: "" } },
  { name: "heredoc with interpolation", src: "a = <<EOT\nhi ${var.name}\nEOT\n", expect: { a: "hi kiln\n" } },
  {
    name: "heredoc with escaped sequence",
    src: "a = <<EOT\n$${not} %%{this}\nEOT\n",
    expect: { a: "${not} %{this}\n" },
  },
  // ---- comments ----------------------------------------------------------------------------
  {
    name: "comments of every kind",
    src: "# hash\na = 1 // slashes\n/* block\n   comment */\nb = /* inline */ 2\nc = [1, # in a list\n  2]\n",
    expect: { a: 1, b: 2, c: [1, 2] },
  },
  // ---- templates ---------------------------------------------------------------------------
  { name: "interpolation", src: 'a = "name=${var.name} n=${var.n}"\n', expect: { a: "name=kiln n=3" } },
  {
    name: "interpolation keeps type when alone",
    src: 'a = "${var.n}"\nb = "${var.list}"\n',
    expect: { a: 3, b: ["a", "b", "c"] },
  },
  { name: "bool and number interpolated", src: 'a = "${true}-${1.5}-${10}"\n', expect: { a: "true-1.5-10" } },
  { name: "nested template", src: 'a = "outer ${"inner ${var.name}"}"\n', expect: { a: "outer inner kiln" } },
  {
    name: "if directive",
    src: 'a = "%{ if var.flag }yes%{ else }no%{ endif }"\nb = "%{ if !var.flag }yes%{ endif }"\n',
    expect: { a: "yes", b: "" },
  },
  { name: "for directive", src: 'a = "%{ for x in var.list }${x};%{ endfor }"\n', expect: { a: "a;b;c;" } },
  {
    name: "for directive with key",
    src: 'a = "%{ for k, v in var.map }${k}=${v} %{ endfor }"\n',
    expect: { a: "x=1 y=2 " },
  },
  {
    name: "strip markers",
    src: 'a = "x   ${~ "y" ~}   z"\nb = <<EOT\n%{~ for x in [1, 2] ~}\n${x}\n%{~ endfor ~}\nEOT\n',
    expect: { a: "xyz", b: "12" },
  },
  {
    // A strip marker trims only the literal next to it, before the indentation is removed: the
    // line after `~}` no longer starts a line, so it keeps its indentation (as in HCL).
    name: "strip markers in an indented heredoc",
    src: 'a = <<-EOT\n  %{ for x in ["a", "b"] ~}\n  item ${x}\n  %{ endfor ~}\n  EOT\n',
    expect: { a: "  item a\n  item b\n" },
  },
  {
    name: "indented heredoc: a trimmed line start counts as unindented",
    src: "a = <<-EOT\n  %{~ if true ~}\n  yes\n  %{~ endif ~}\n  EOT\n",
    expect: { a: "  yes\n" },
  },
  {
    name: "indented heredoc: indentation before an interpolation counts",
    src: 'a = <<-EOT\n    ${"x"}\n  y\n  EOT\n',
    expect: { a: "  x\ny\n" },
  },
  // ---- operators ---------------------------------------------------------------------------
  {
    name: "arithmetic precedence",
    src: "a = 1 + 2 * 3\nb = (1 + 2) * 3\nc = 10 - 4 - 3\nd = 7 % 4\ne = 9 / 2\n",
    expect: { a: 7, b: 9, c: 3, d: 3, e: 4.5 },
  },
  {
    name: "unary operators",
    src: "a = -5\nb = - -5\nc = !true\nd = -var.n\n",
    expect: { a: -5, b: 5, c: false, d: -3 },
  },
  {
    name: "comparisons",
    src: "a = 1 < 2\nb = 2 <= 2\nc = 3 > 4\nd = 4 >= 5\n",
    expect: { a: true, b: true, c: false, d: false },
  },
  {
    name: "equality",
    src: 'a = 1 == 1\nb = "a" != "b"\nc = [1, 2] == [1, 2]\nd = 1 == "1"\ne = null == null\n',
    expect: { a: true, b: true, c: true, d: false, e: true },
  },
  {
    name: "logical operators",
    src: "a = true && false\nb = true || false\nc = !(true && false) || false\n",
    expect: { a: false, b: true, c: true },
  },
  { name: "arithmetic on numeric strings", src: 'a = "2" + 3\nb = "1.5" * 2\n', expect: { a: 5, b: 3 } },
  {
    name: "conditional",
    src: 'a = var.flag ? "on" : "off"\nb = var.n > 5 ? 1 : 2\n',
    expect: { a: "on", b: 2 },
  },
  { name: "conditional unifies types", src: 'a = true ? 1 : "x"\n', expect: { a: "1" } },
  {
    name: "nested conditionals",
    src: 'a = var.n == 1 ? "one" : var.n == 3 ? "three" : "other"\n',
    expect: { a: "three" },
  },
  // ---- references and traversals -----------------------------------------------------------
  {
    name: "variables and locals",
    src: "a = var.name\nb = local.greeting\nc = local.answer\n",
    expect: { a: "kiln", b: "hello", c: 42 },
  },
  {
    name: "index and attribute access",
    src: 'a = var.list[1]\nb = var.map["y"]\nc = var.obj.tags[0]\nd = var.users[1].name\n',
    expect: { a: "b", b: 2, c: "t1", d: "bob" },
  },
  {
    name: "legacy index syntax",
    src: "a = var.list.2\nb = var.users.0.name\n",
    expect: { a: "c", b: "ann" },
  },
  {
    name: "full splat",
    src: "a = var.users[*].name\nb = var.users[*].groups\nc = var.users[*].groups[*]\n",
    expect: { a: ["ann", "bob"], b: [["adm"], []], c: [["adm"], []] },
  },
  { name: "attribute splat", src: "a = var.users.*.name\n", expect: { a: ["ann", "bob"] } },
  {
    name: "splat of a single value and of null",
    src: "a = var.name[*]\nb = var.nothing[*]\n",
    expect: { a: ["kiln"], b: [] },
  },
  {
    name: "path and packer",
    src: "a = path.root\nb = path.cwd\nc = packer.version\n",
    expect: { a: ".", b: "/work", c: "1.6.6" },
  },
  {
    name: "computed object key",
    src: 'a = { (var.name) = 1, "${var.name}-2" = 2 }\n',
    expect: { a: { kiln: 1, "kiln-2": 2 } },
  },
  // ---- for expressions ---------------------------------------------------------------------
  { name: "tuple for", src: "a = [for x in var.list : upper(x)]\n", expect: { a: ["A", "B", "C"] } },
  {
    name: "tuple for with index and condition",
    src: 'a = [for i, x in var.list : "${i}:${x}" if i != 1]\n',
    expect: { a: ["0:a", "2:c"] },
  },
  {
    name: "object for",
    src: "a = { for k, v in var.map : v => k }\n",
    expect: { a: { "1": "x", "2": "y" } },
  },
  {
    name: "object for grouping",
    src: 'a = { for x in ["ab", "ac", "bc"] : substr(x, 0, 1) => x... }\n',
    expect: { a: { a: ["ab", "ac"], b: ["bc"] } },
  },
  {
    name: "for over object values",
    src: "a = [for u in var.users : length(u.groups)]\n",
    expect: { a: [1, 0] },
  },
  {
    name: "nested for",
    src: 'a = [for x in [1, 2] : [for y in ["a", "b"] : "${x}${y}"]]\n',
    expect: {
      a: [
        ["1a", "1b"],
        ["2a", "2b"],
      ],
    },
  },
  // ---- function calls ----------------------------------------------------------------------
  {
    name: "string functions",
    src: 'a = upper("abc")\nb = lower("ABC")\nc = title("hello world")\nd = trimspace("  x  ")\ne = strrev("abc")\n',
    expect: { a: "ABC", b: "abc", c: "Hello World", d: "x", e: "cba" },
  },
  {
    name: "format",
    src: 'a = format("%s-%03d-%.2f-%t-%q", "x", 7, 3.14159, true, "q")\nb = format("%v|%5s|%-5s|", 1, "r", "l")\n',
    expect: { a: 'x-007-3.14-true-"q"', b: "1|    r|l    |" },
  },
  {
    name: "join and split",
    src: 'a = join(",", ["a", "b"])\nb = split(",", "a,b,,c")\nc = join("-", ["x"], ["y", "z"])\n',
    expect: { a: "a,b", b: ["a", "b", "", "c"], c: "x-y-z" },
  },
  {
    name: "replace and regex_replace",
    src: 'a = replace("a-b-c", "-", "+")\nb = replace("a1b22", "/[0-9]+/", "#")\nc = regex_replace("v1.2.3", "^v(\\\\d+)\\\\..*$", "$1")\n',
    expect: { a: "a+b+c", b: "a#b#", c: "1" },
  },
  {
    name: "regex",
    src: 'a = regex("[a-z]+", "123abc456")\nb = regex("(\\\\d+)-(\\\\d+)", "10-20")\nc = regex("(?P<major>\\\\d+)\\\\.(?P<minor>\\\\d+)", "v1.2")\nd = regexall("\\\\d", "a1b2")\n',
    expect: { a: "abc", b: ["10", "20"], c: { major: "1", minor: "2" }, d: ["1", "2"] },
  },
  {
    name: "collections",
    src: 'a = concat([1], [2, 3])\nb = length(var.list)\nc = contains(var.list, "b")\nd = distinct([1, 1, 2])\ne = flatten([[1], [2, [3]]])\nf = reverse([1, 2, 3])\n',
    expect: { a: [1, 2, 3], b: 3, c: true, d: [1, 2], e: [1, 2, 3], f: [3, 2, 1] },
  },
  {
    name: "maps",
    src: 'a = keys({ b = 1, a = 2 })\nb = values({ b = 1, a = 2 })\nc = merge({ a = 1 }, { b = 2 }, { a = 3 })\nd = lookup(var.map, "z", 0)\ne = zipmap(["k1", "k2"], [1, 2])\n',
    expect: { a: ["a", "b"], b: [2, 1], c: { a: 3, b: 2 }, d: 0, e: { k1: 1, k2: 2 } },
  },
  {
    name: "numeric functions",
    src: 'a = max(1, 5, 3)\nb = min(4, 2)\nc = abs(-3)\nd = ceil(1.2)\ne = floor(1.8)\nf = pow(2, 10)\ng = parseint("ff", 16)\nh = signum(-7)\n',
    expect: { a: 5, b: 2, c: 3, d: 2, e: 1, f: 1024, g: 255, h: -1 },
  },
  {
    name: "coalesce and compact",
    src: 'a = coalesce("", var.empty, "x")\nb = compact(["a", "", "b"])\nc = coalescelist([], [1])\n',
    expect: { a: "x", b: ["a", "b"], c: [1] },
  },
  {
    name: "slice, element, index, range",
    src: 'a = slice([1, 2, 3, 4], 1, 3)\nb = element(["a", "b"], 3)\nc = index(["x", "y"], "y")\nd = range(3)\ne = range(1, 7, 2)\n',
    expect: { a: [2, 3], b: "b", c: 1, d: [0, 1, 2], e: [1, 3, 5] },
  },
  {
    name: "encoding",
    src: 'a = base64encode("hello")\nb = base64decode("aGVsbG8=")\nc = jsonencode({ b = [1, "x"], a = null })\nd = jsondecode("{\\"k\\": [1, true]}")\ne = urlencode("a b&c")\n',
    expect: { a: "aGVsbG8=", b: "hello", c: '{"a":null,"b":[1,"x"]}', d: { k: [1, true] }, e: "a+b%26c" },
  },
  {
    name: "hashes and uuidv5",
    src: 'a = md5("kiln")\nb = sha256("")\nc = uuidv5("dns", "example.com")\n',
    expect: {
      a: "9e8287435ae73a052c9459e215e46a28",
      b: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      c: "cfbff0d1-9375-5685-968c-48ce8b15ae17",
    },
  },
  {
    name: "date and time",
    src: 'a = timestamp()\nb = formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")\nc = timeadd("2024-01-01T00:00:00Z", "90m")\nd = legacy_isotime("2006-01-02")\n',
    expect: {
      a: "2024-03-05T06:07:08Z",
      b: "02 Jan 2018 23:12 UTC",
      c: "2024-01-01T01:30:00Z",
      d: "2024-03-05",
    },
  },
  {
    name: "try and can",
    src: 'a = try(var.map.missing, "fallback")\nb = can(var.map.x)\nc = can(var.map.missing)\n',
    expect: { a: "fallback", b: true, c: false },
  },
  {
    name: "convert",
    src: 'a = convert("5", number)\nb = convert([1, 2], list(string))\nc = convert({ a = 1 }, map(string))\n',
    expect: { a: 5, b: ["1", "2"], c: { a: "1" } },
  },
  {
    name: "function argument expansion",
    src: 'a = max([1, 9, 4]...)\nb = concat([[1], [2, 3]]...)\nc = format("%s-%s", var.list[0], ["z"]...)\n',
    expect: { a: 9, b: [1, 2, 3], c: "a-z" },
  },
  {
    name: "cidr functions",
    src: 'a = cidrsubnet("10.1.0.0/16", 8, 2)\nb = cidrhost("10.1.0.0/24", 5)\nc = cidrnetmask("172.16.0.0/12")\nd = cidrsubnets("10.0.0.0/8", 8, 8, 16)\n',
    expect: {
      a: "10.1.2.0/24",
      b: "10.1.0.5",
      c: "255.240.0.0",
      d: ["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/24"],
    },
  },
  {
    name: "identifiers with dashes and underscores",
    src: "some-name = 1\n_private = 2\nmixed_Case-9 = 3\n",
    expect: { "some-name": 1, _private: 2, "mixed_Case-9": 3 },
  },
];

describe("HCL corpus", () => {
  it(`has at least 60 snippets (${CASES.length})`, () => {
    assert.ok(CASES.length >= 60);
  });

  let compared = 0;
  for (const c of CASES) {
    it(c.name, async () => {
      const { values } = evalSnippet(c.src);
      assert.deepEqual(values, c.expect);
      const reference = await referenceParse(c.src);
      for (const [k, v] of Object.entries(reference)) {
        if (hasExpression(v)) continue;
        assert.deepEqual(values[k], v, `attribute ${k} differs from HashiCorp's parser`);
        compared++;
      }
    });
  }

  it("compared a good share of attributes with the reference parser", () => {
    assert.ok(compared >= 40, `only ${compared} attributes were compared`);
  });
});

describe("HCL block order", () => {
  const src = `
build {
  provisioner "shell" { inline = ["1"] }
  provisioner "file" {
    source      = "a"
    destination = "/b"
  }
  provisioner "shell" { inline = ["3"] }
  post-processors {
    post-processor "docker-tag" {
      repository = "r"
    }
    post-processor "docker-push" {}
  }
  post-processor "docker-save" {
    path = "x.tar"
  }
}
`;
  it("keeps provisioners and post-processors in source order (the reference parser sorts them)", async () => {
    const { body } = evalSnippet(src);
    const build = body.items[0]!;
    assert.equal(build.kind, "block");
    if (build.kind !== "block") return;
    const seq = build.body.items.map((i) =>
      i.kind === "block" ? `${i.type}:${i.labels.map((l) => l.value).join(",")}` : i.name,
    );
    assert.deepEqual(seq, [
      "provisioner:shell",
      "provisioner:file",
      "provisioner:shell",
      "post-processors:",
      "post-processor:docker-save",
    ]);
    const pps = build.body.items[3]!;
    assert.ok(pps.kind === "block");
    if (pps.kind === "block") {
      assert.deepEqual(
        pps.body.items.map((i) => (i.kind === "block" ? i.labels[0]!.value : "")),
        ["docker-tag", "docker-push"],
      );
    }
    // The reference groups blocks by type and label: provisioner order is lost there.
    const ref = (await referenceParse(src)) as { build: { provisioner: Record<string, unknown> }[] };
    assert.deepEqual(Object.keys(ref.build[0]!.provisioner), ["file", "shell"]);
  });

  it("keeps the ranges of blocks, labels and attributes", () => {
    const { body } = evalSnippet(src);
    const build = body.items[0]!;
    assert.ok(build.kind === "block");
    if (build.kind !== "block") return;
    const file = build.body.items[1]!;
    assert.ok(file.kind === "block");
    if (file.kind !== "block") return;
    assert.deepEqual([file.typeRange.start.line, file.typeRange.start.column], [4, 3]);
    assert.deepEqual([file.labels[0]!.range.start.line, file.labels[0]!.range.start.column], [4, 15]);
    const dest = file.body.items[1]!;
    assert.ok(dest.kind === "attribute");
    if (dest.kind === "attribute") {
      assert.deepEqual(
        [dest.nameRange.start.line, dest.nameRange.start.column, dest.expr.range.start.column],
        [6, 5, 19],
      );
      assert.equal(src.slice(dest.expr.range.start.offset, dest.expr.range.end.offset), '"/b"');
    }
  });
});
