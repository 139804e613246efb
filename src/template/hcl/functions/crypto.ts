// Hash and UUID functions (node:crypto), bcrypt (own Blowfish-based implementation, see
// bcrypt.ts) and rsadecrypt.
import { createHash, createPrivateKey, privateDecrypt, constants, randomUUID } from "node:crypto";
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
    let key;
    try {
      key = createPrivateKey(k!.str);
    } catch (e) {
      throw new FunctionError(`failed to parse the private key: ${(e as Error).message}`, 1);
    }
    try {
      const out = privateDecrypt(
        { key, padding: constants.RSA_PKCS1_PADDING },
        Buffer.from(c!.str, "base64"),
      );
      return str(out.toString("utf8"));
    } catch (e) {
      throw new FunctionError(`failed to decrypt: ${(e as Error).message}`, 0);
    }
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
