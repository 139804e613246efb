import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MIN_SECRET_LENGTH, REDACTED, SecretMasker, secretVariants } from "../../src/ui/mask.js";

const SECRET = "p@ss w'rd/1&<x>";

function masker(...secrets: string[]): SecretMasker {
  const m = new SecretMasker();
  for (const s of secrets) m.add(s);
  return m;
}

describe("SecretMasker", () => {
  const encodings: [string, string][] = [
    ["plain", SECRET],
    ["base64", Buffer.from(SECRET).toString("base64")],
    ["base64 without padding", Buffer.from(SECRET).toString("base64").replace(/=+$/, "")],
    ["base64url", Buffer.from(SECRET).toString("base64url")],
    ["URL-encoded", encodeURIComponent(SECRET)],
    ["form-encoded", encodeURIComponent(SECRET).replace(/%20/g, "+")],
    [
      "URL-encoded, lower-case hex",
      encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (p) => p.toLowerCase()),
    ],
    ["JSON-escaped", JSON.stringify(SECRET).slice(1, -1)],
    ["Go JSON-escaped", "p@ss w'rd/1\\u0026\\u003cx\\u003e"],
    ["shell single-quoted ('\"'\"')", `p@ss w'"'"'rd/1&<x>`],
    ["shell single-quoted ('\\'')", `p@ss w'\\''rd/1&<x>`],
    ["hex", Buffer.from(SECRET).toString("hex")],
    ["HEX", Buffer.from(SECRET).toString("hex").toUpperCase()],
  ];
  for (const [name, encoded] of encodings) {
    it(`masks the ${name} form`, () => {
      assert.equal(masker(SECRET).mask(`before ${encoded} after`), `before ${REDACTED} after`);
    });
  }

  it("masks the double-quoted shell form", () => {
    const m = masker('a"b$c`d\\e');
    assert.equal(m.mask('X="a\\"b\\$c\\`d\\\\e"'), `X="${REDACTED}"`);
  });

  it("finds a secret inside a longer base64 blob at every alignment", () => {
    const m = masker("hunter2-password");
    for (const user of ["u", "us", "use", "user"]) {
      const blob = Buffer.from(`${user}:hunter2-password`).toString("base64");
      const masked = m.mask(`"auth": "${blob}"`);
      assert.ok(masked.includes(REDACTED), `${user}: ${masked}`);
      // What may remain are at most the few characters mixing user-name bits with secret bits.
      const leftover = masked
        .replace(/"auth": "/, "")
        .replace(/"$/, "")
        .replace(REDACTED, "");
      assert.ok(leftover.length <= Math.ceil(((user.length + 1) * 8) / 6) + 4, `${user}: ${masked}`);
    }
  });

  it("masks each line of a multi-line secret on its own", () => {
    const key = "-----BEGIN KEY-----\nMIIEvQIBADANBg\r\n-----END KEY-----";
    const m = masker(key);
    assert.equal(m.mask(key), REDACTED);
    assert.equal(m.mask("got MIIEvQIBADANBg here"), `got ${REDACTED} here`);
    assert.equal(m.mask(JSON.stringify({ key })), `{"key":"${REDACTED}"}`);
  });

  it("prefers the longest match", () => {
    const m = masker("abcd", "abcdefgh");
    assert.equal(m.mask("xx abcdefgh yy abcd"), `xx ${REDACTED} yy ${REDACTED}`);
  });

  it(`ignores values shorter than ${MIN_SECRET_LENGTH} characters (packer#11145)`, () => {
    const m = new SecretMasker();
    assert.equal(m.add(""), false);
    assert.equal(m.add("a"), false);
    assert.equal(m.add("abc"), false);
    assert.equal(m.mask("a banana abc"), "a banana abc");
    assert.equal(m.add("abcd"), true);
    assert.equal(m.mask("abcd"), REDACTED);
  });

  it("is idempotent, even for a secret inside the word <sensitive>", () => {
    const m = masker("sens", "itive");
    const once = m.mask("sens and itive");
    assert.equal(once, `${REDACTED} and ${REDACTED}`);
    assert.equal(m.mask(once), once);
  });

  it("treats regular-expression characters literally", () => {
    const m = masker("a.b*c(d)[e]$");
    assert.equal(m.mask("a.b*c(d)[e]$ aXbbc(d)[e]$"), `${REDACTED} aXbbc(d)[e]$`);
  });

  it("leaves text alone when nothing is registered", () => {
    assert.equal(new SecretMasker().mask("hello"), "hello");
  });

  it("does not mangle ordinary output for a 4-character secret", () => {
    const m = masker("pass");
    const line = "==> docker: Pulling Docker image: debian:bookworm sha256:0a1b2c3d4e5f";
    assert.equal(m.mask(line), line);
  });

  it("lists each variant once", () => {
    const variants = secretVariants("simple-value");
    assert.equal(new Set(variants).size, variants.length);
    assert.ok(variants.every((v) => v.length >= MIN_SECRET_LENGTH));
  });
});
