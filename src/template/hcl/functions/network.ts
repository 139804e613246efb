// CIDR functions for IPv4 and IPv6, with BigInt address arithmetic.
import { NUMBER, STRING } from "../types.js";
import { listOf, str } from "../value.js";
import { FunctionError, fn, p, type FunctionDef } from "./registry.js";

interface Cidr {
  v6: boolean;
  addr: bigint;
  prefix: number;
}

function parseIp(s: string): { v6: boolean; addr: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split(".").map(Number);
    if (parts.some((x) => x > 255)) return undefined;
    return { v6: false, addr: parts.reduce((a, x) => (a << 8n) | BigInt(x), 0n) };
  }
  if (!s.includes(":")) return undefined;
  let text = s;
  let tail: bigint[] = [];
  const v4 = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    const ip = parseIp(v4[1]!);
    if (!ip) return undefined;
    tail = [ip.addr >> 16n, ip.addr & 0xffffn];
    text = text.slice(0, -v4[1]!.length) + (text.endsWith("::" + v4[1]) ? "" : "0");
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const toGroups = (h: string): bigint[] | undefined => {
    if (h === "") return [];
    const gs = h.split(":");
    if (gs.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
    return gs.map((g) => BigInt(parseInt(g, 16)));
  };
  const head = toGroups(halves[0]!.replace(/:$/, ""));
  const rest = halves.length === 2 ? toGroups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const total = 8 - tail.length;
  let groups: bigint[];
  if (halves.length === 2) {
    const fill = total - head.length - rest.length;
    if (fill < 0) return undefined;
    groups = [...head, ...Array<bigint>(fill).fill(0n), ...rest];
  } else {
    groups = head;
  }
  groups = [...groups, ...tail];
  if (groups.length !== 8) return undefined;
  return { v6: true, addr: groups.reduce((a, g) => (a << 16n) | g, 0n) };
}

function parseCidr(s: string, arg: number): Cidr {
  const m = /^(.+)\/(\d{1,3})$/.exec(s);
  const ip = m ? parseIp(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (!ip || prefix > (ip.v6 ? 128 : 32))
    throw new FunctionError(`invalid CIDR expression: ${JSON.stringify(s)}`, arg);
  const bits = ip.v6 ? 128 : 32;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { v6: ip.v6, addr: ip.addr & mask, prefix };
}

function formatIp(v6: boolean, addr: bigint): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((addr >> s) & 0xffn)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => Number((addr >> BigInt(112 - i * 16)) & 0xffffn));
  // Compress the longest run of zero groups (at least two), as RFC 5952 says.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

function subnet(c: Cidr, newbits: number, netnum: number, args: [number, number]): Cidr {
  const bits = c.v6 ? 128 : 32;
  if (!Number.isInteger(newbits) || newbits < 0)
    throw new FunctionError("newbits must be a non-negative whole number", args[0]);
  const prefix = c.prefix + newbits;
  if (prefix > bits) {
    throw new FunctionError(
      `insufficient address space to extend prefix of ${c.prefix} by ${newbits}`,
      args[0],
    );
  }
  const max = 1n << BigInt(newbits);
  if (!Number.isInteger(netnum) || netnum < 0 || BigInt(netnum) >= max) {
    throw new FunctionError(
      `prefix extension of ${newbits} does not accommodate a subnet numbered ${netnum}`,
      args[1],
    );
  }
  return { v6: c.v6, addr: c.addr | (BigInt(netnum) << BigInt(bits - prefix)), prefix };
}

export const networkFunctions: Record<string, FunctionDef> = {
  cidrhost: fn([p("prefix", STRING), p("hostnum", NUMBER)], ([pre, host]) => {
    const c = parseCidr(pre!.str, 0);
    const bits = c.v6 ? 128 : 32;
    const size = 1n << BigInt(bits - c.prefix);
    let n = BigInt(Math.trunc(host!.num));
    if (n < 0n) n += size;
    if (n < 0n || n >= size) {
      throw new FunctionError(`prefix of ${c.prefix} does not accommodate a host numbered ${host!.num}`, 1);
    }
    return str(formatIp(c.v6, c.addr + n));
  }),
  cidrnetmask: fn([p("prefix", STRING)], ([pre]) => {
    const c = parseCidr(pre!.str, 0);
    if (c.v6) throw new FunctionError("IPv6 addresses cannot have a netmask", 0);
    const mask = (0xffffffffn ^ ((1n << BigInt(32 - c.prefix)) - 1n)) & 0xffffffffn;
    return str(formatIp(false, mask));
  }),
  cidrsubnet: fn([p("prefix", STRING), p("newbits", NUMBER), p("netnum", NUMBER)], ([pre, nb, nn]) => {
    const s = subnet(parseCidr(pre!.str, 0), nb!.num, nn!.num, [1, 2]);
    return str(`${formatIp(s.v6, s.addr)}/${s.prefix}`);
  }),
  cidrsubnets: fn(
    [p("prefix", STRING)],
    ([pre, ...newbits]) => {
      const base = parseCidr(pre!.str, 0);
      const bits = base.v6 ? 128 : 32;
      let next = base.addr;
      const end = base.addr + (1n << BigInt(bits - base.prefix));
      const out = newbits.map((nb, i) => {
        const prefix = base.prefix + nb.num;
        if (!Number.isInteger(nb.num) || nb.num < 1 || prefix > bits) {
          throw new FunctionError(
            `would extend prefix to ${prefix} bits, which is too long for an IPv${base.v6 ? 6 : 4} address`,
            i + 1,
          );
        }
        const size = 1n << BigInt(bits - prefix);
        // Align to the subnet size.
        const start = next % size === 0n ? next : next + (size - (next % size));
        if (start + size > end)
          throw new FunctionError(
            `not enough remaining address space for a subnet with a prefix of ${prefix} bits after ${formatIp(base.v6, next)}`,
            i + 1,
          );
        next = start + size;
        return str(`${formatIp(base.v6, start)}/${prefix}`);
      });
      return listOf(STRING, out);
    },
    p("newbits", NUMBER),
  ),
};
