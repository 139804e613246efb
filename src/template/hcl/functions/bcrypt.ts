// bcrypt ($2a$), written from the published algorithm (Provos & Mazières, "A Future-Adaptable
// Password Scheme"). Node has no bcrypt and kiln takes no dependency for one rarely used
// function. Blowfish's initial P-array and S-boxes are the hexadecimal digits of pi's fractional
// part; they are computed once, on first use, instead of being pasted in as a 4 KB table.
import { randomBytes } from "node:crypto";

const WORDS = 18 + 4 * 256;
let piWords: Uint32Array | undefined;

/** The first `WORDS` 32-bit words of pi's fractional part, via Machin's formula in fixed point. */
function piFraction(): Uint32Array {
  if (piWords) return piWords;
  const bits = BigInt(WORDS * 32 + 64);
  const one = 1n << bits;
  const arctanInv = (x: bigint): bigint => {
    const x2 = x * x;
    let power = one / x;
    let sum = power;
    for (let k = 1n; power !== 0n; k++) {
      power /= x2;
      const term = power / (2n * k + 1n);
      sum = k % 2n === 1n ? sum - term : sum + term;
    }
    return sum;
  };
  const pi = 16n * arctanInv(5n) - 4n * arctanInv(239n);
  let frac = (pi % one) >> 64n; // drop the integer part (3) and the guard bits
  const out = new Uint32Array(WORDS);
  for (let i = WORDS - 1; i >= 0; i--) {
    out[i] = Number(frac & 0xffffffffn);
    frac >>= 32n;
  }
  piWords = out;
  return out;
}

class Blowfish {
  readonly P: Uint32Array;
  readonly S: Uint32Array; // four 256-word boxes, back to back

  constructor() {
    const pi = piFraction();
    this.P = pi.slice(0, 18);
    this.S = pi.slice(18);
  }

  private f(x: number): number {
    const S = this.S;
    return (
      ((((S[x >>> 24]! + S[256 + ((x >>> 16) & 0xff)]!) | 0) ^ S[512 + ((x >>> 8) & 0xff)]!) +
        S[768 + (x & 0xff)]!) |
      0
    );
  }

  encipher(lr: Uint32Array, off: number): void {
    let l = lr[off]!;
    let r = lr[off + 1]!;
    const P = this.P;
    l ^= P[0]!;
    for (let i = 1; i <= 16; i += 2) {
      r ^= this.f(l) ^ P[i]!;
      l ^= this.f(r) ^ P[i + 1]!;
    }
    r ^= P[17]!;
    lr[off] = r;
    lr[off + 1] = l;
  }

  /** Blowfish's key schedule, with the salt mixed in when given (bcrypt's ExpandKey). */
  expand(key: Uint8Array, salt?: Uint8Array): void {
    let kp = 0;
    const word = (data: Uint8Array, pos: { v: number }): number => {
      let w = 0;
      for (let i = 0; i < 4; i++) {
        w = (w << 8) | data[pos.v]!;
        pos.v = (pos.v + 1) % data.length;
      }
      return w >>> 0;
    };
    const kpos = { v: kp };
    for (let i = 0; i < 18; i++) this.P[i] = (this.P[i]! ^ word(key, kpos)) >>> 0;
    kp = kpos.v;
    const lr = new Uint32Array(2);
    const spos = { v: 0 };
    const mix = (): void => {
      if (salt) {
        lr[0] = lr[0]! ^ word(salt, spos);
        lr[1] = lr[1]! ^ word(salt, spos);
      }
      this.encipher(lr, 0);
    };
    for (let i = 0; i < 18; i += 2) {
      mix();
      this.P[i] = lr[0]!;
      this.P[i + 1] = lr[1]!;
    }
    for (let i = 0; i < 1024; i += 2) {
      mix();
      this.S[i] = lr[0]!;
      this.S[i + 1] = lr[1]!;
    }
  }
}

const ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function encode64(data: Uint8Array, length: number): string {
  let out = "";
  let i = 0;
  while (i < length) {
    let c1 = data[i++]!;
    out += ALPHABET[(c1 >> 2) & 0x3f];
    c1 = (c1 & 0x03) << 4;
    if (i >= length) {
      out += ALPHABET[c1 & 0x3f];
      break;
    }
    let c2 = data[i++]!;
    c1 |= (c2 >> 4) & 0x0f;
    out += ALPHABET[c1 & 0x3f];
    c1 = (c2 & 0x0f) << 2;
    if (i >= length) {
      out += ALPHABET[c1 & 0x3f];
      break;
    }
    c2 = data[i++]!;
    c1 |= (c2 >> 6) & 0x03;
    out += ALPHABET[c1 & 0x3f];
    out += ALPHABET[c2 & 0x3f];
  }
  return out;
}

function decode64(s: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const val = (c: string): number => ALPHABET.indexOf(c);
  let off = 0;
  let o = 0;
  while (off < s.length - 1 && o < length) {
    const c1 = val(s[off++]!);
    const c2 = val(s[off++]!);
    out[o++] = ((c1 << 2) | ((c2 & 0x30) >> 4)) & 0xff;
    if (o >= length || off >= s.length) break;
    const c3 = val(s[off++]!);
    out[o++] = (((c2 & 0x0f) << 4) | ((c3 & 0x3c) >> 2)) & 0xff;
    if (o >= length || off >= s.length) break;
    const c4 = val(s[off++]!);
    out[o++] = (((c3 & 0x03) << 6) | c4) & 0xff;
  }
  return out;
}

/** `$2a$<cost>$<salt><hash>`. `saltText` (22 characters) is for tests only. */
export function bcryptHash(password: string, cost: number, saltText?: string): string {
  const salt = saltText ? decode64(saltText, 16) : new Uint8Array(randomBytes(16));
  const pw = Buffer.from(password, "utf8");
  // The key is the password with its NUL terminator, cut at 72 bytes.
  const key = new Uint8Array(Buffer.concat([pw, Buffer.from([0])]).subarray(0, 72));
  const bf = new Blowfish();
  bf.expand(key, salt);
  const rounds = 2 ** cost;
  for (let i = 0; i < rounds; i++) {
    bf.expand(key);
    bf.expand(salt);
  }
  const magic = Buffer.from("OrpheanBeholderScryDoubt", "latin1");
  const cdata = new Uint32Array(6);
  for (let i = 0; i < 6; i++) cdata[i] = magic.readUInt32BE(i * 4);
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 6; j += 2) bf.encipher(cdata, j);
  }
  const out = new Uint8Array(24);
  for (let i = 0; i < 6; i++) {
    out[i * 4] = cdata[i]! >>> 24;
    out[i * 4 + 1] = (cdata[i]! >>> 16) & 0xff;
    out[i * 4 + 2] = (cdata[i]! >>> 8) & 0xff;
    out[i * 4 + 3] = cdata[i]! & 0xff;
  }
  return `$2a$${String(cost).padStart(2, "0")}$${encode64(salt, 16)}${encode64(out, 23)}`;
}
