// Hash and UUID functions (node:crypto), bcrypt (bcryptjs, see bcrypt.ts) and rsadecrypt (RSA
// with PKCS #1 v1.5 padding, computed with BigInt: Node 20 refuses that padding in privateDecrypt
// since CVE-2023-46809, and templates still use it).
import { createHash, createPrivateKey, randomUUID, type JsonWebKey } from "node:crypto";
import { STRING } from "../types.js";
import { str } from "../value.js";
import { bcryptHash } from "./bcrypt.js";
import { FunctionError, fn, p, type FunctionDef } from "./registry.js";

const hash = (algo: string) =>
  fn([p("str", STRING)], ([s]) => str(createHash(algo).update(s!.str, "utf8").digest("hex")));

const NAMESPACES: Record<string, string> = {
  dns: "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
  url: "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
  oid: "6ba7b812-9dad-11d1-80b4-00c04fd430c8",
  x500: "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
};

function uuidBytes(u: string, arg: number): Buffer {
  const hex = u.replace(/^urn:uuid:/i, "").replace(/[{}-]/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex))
    throw new FunctionError(
      `uuidv5() doesn't support namespace ${JSON.stringify(u)}: use dns, url, oid, x500 or a UUID`,
      arg,
    );
  return Buffer.from(hex, "hex");
}

function formatUuid(b: Buffer): string {
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export const cryptoFunctions: Record<string, FunctionDef> = {
  bcrypt: fn(
    [p("str", STRING)],
    ([s, cost]) => {
      let rounds = 10;
      if (cost) {
        rounds = Number(cost.v);
        if (!Number.isInteger(rounds) || rounds < 4 || rounds > 31)
          throw new FunctionError("the cost must be a whole number between 4 and 31", 1);
      }
      return str(bcryptHash(s!.str, rounds));
    },
    p("cost", { kind: "number" }),
  ),
  md5: hash("md5"),
  sha1: hash("sha1"),
  sha256: hash("sha256"),
  sha512: hash("sha512"),
  rsadecrypt: fn([p("ciphertext", STRING), p("privatekey", STRING)], ([c, k]) => {
    let jwk: JsonWebKey;
    try {
      jwk = createPrivateKey(k!.str).export({ format: "jwk" });
    } catch (e) {
      throw new FunctionError(`failed to parse the private key: ${(e as Error).message}`, 1);
    }
    if (jwk.kty !== "RSA") throw new FunctionError("the private key is not an RSA key", 1);
    const cipher = Buffer.from(c!.str, "base64");
    if (cipher.length === 0) throw new FunctionError("the ciphertext is not valid base64", 0);
    return str(rsaDecryptPkcs1(jwk, cipher).toString("utf8"));
  }),
  uuidv4: fn([], () => str(randomUUID())),
  uuidv5: fn([p("namespace", STRING), p("name", STRING)], ([ns, name]) => {
    const nsBytes = uuidBytes(NAMESPACES[ns!.str] ?? ns!.str, 0);
    const digest = createHash("sha1").update(nsBytes).update(name!.str, "utf8").digest().subarray(0, 16);
    digest[6] = (digest[6]! & 0x0f) | 0x50;
    digest[8] = (digest[8]! & 0x3f) | 0x80;
    return str(formatUuid(digest));
  }),
};

const big = (b64url: string | undefined): bigint =>
  BigInt("0x" + (Buffer.from(b64url ?? "", "base64url").toString("hex") || "0"));

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

function rsaDecryptPkcs1(jwk: JsonWebKey, cipher: Buffer): Buffer {
  const n = big(jwk.n);
  const size = Buffer.from(jwk.n ?? "", "base64url").length;
  const c = BigInt("0x" + cipher.toString("hex"));
  if (c >= n)
    throw new FunctionError("failed to decrypt: the ciphertext is larger than the key's modulus", 0);
  // Chinese remainder theorem: two half-size exponentiations instead of one full-size.
  const p = big(jwk.p);
  const q = big(jwk.q);
  const m1 = modPow(c, big(jwk.dp), p);
  const m2 = modPow(c, big(jwk.dq), q);
  const h = (big(jwk.qi) * (((m1 - m2) % p) + p)) % p;
  const m = m2 + h * q;
  const block = Buffer.from(m.toString(16).padStart(size * 2, "0"), "hex");
  // EM = 0x00 || 0x02 || PS (non-zero, at least 8 bytes) || 0x00 || message
  const sep = block.indexOf(0, 2);
  if (block[0] !== 0 || block[1] !== 2 || sep < 10)
    throw new FunctionError(
      "failed to decrypt: the ciphertext was not encrypted with this key (bad PKCS #1 v1.5 padding)",
      0,
    );
  return block.subarray(sep + 1);
}
