// Secret scrubbing for every sink (console, machine-readable, debug log, error text). Masking is a
// backstop, not the mechanism: secrets should never be echoed in the first place, and arbitrary
// transforms (rev, rot13, a substring) cannot be caught. What we can catch cheaply are the
// encodings a value takes on its way through tools: base64 (config.json auths, basic auth headers),
// URL-encoding (registry URLs), JSON escaping (API bodies), hex, and shell quoting (`'"'"'`).

export const REDACTED = "<sensitive>";

/**
 * Values shorter than this are not masked. Packer masks any non-empty value, so a sensitive
 * variable holding `a` or `1` turns every `a` of the output into `<sensitive>` (packer#11145) and
 * makes logs unreadable while protecting nothing: a 1-3 character secret is guessable anyway.
 * validate rejects such short values for sensitive variables (reliability bar SR-2), so in
 * practice nothing real is left unmasked; `add` returns false to let callers warn.
 */
export const MIN_SECRET_LENGTH = 4;

/** Shifted base64 fragments shorter than this are too likely to occur by chance. */
const MIN_FRAGMENT_LENGTH = 6;

export class SecretMasker {
  readonly #patterns = new Set<string>();
  #regex: RegExp | undefined;

  /** Registers a value (and its encodings). Returns false when the value is too short to mask. */
  add(value: string): boolean {
    if (value.length < MIN_SECRET_LENGTH) return false;
    let added = false;
    for (const variant of secretVariants(value)) {
      if (!this.#patterns.has(variant)) {
        this.#patterns.add(variant);
        added = true;
      }
    }
    if (added) this.#regex = undefined;
    return true;
  }

  get size(): number {
    return this.#patterns.size;
  }

  mask(text: string): string {
    if (this.#patterns.size === 0 || text === "") return text;
    const regex = (this.#regex ??= buildRegex(this.#patterns));
    // One pass with an alternation, so a replacement is never re-scanned; and existing
    // "<sensitive>" marks are left alone, so masking twice (Ui, then the debug log sharing the same
    // masker) is harmless even for a secret that is a substring of "<sensitive>".
    return text
      .split(REDACTED)
      .map((piece) => piece.replace(regex, REDACTED))
      .join(REDACTED);
  }
}

function buildRegex(patterns: Iterable<string>): RegExp {
  // Longest first: at a given position the alternation takes the first alternative that matches,
  // so the full base64 (with padding) wins over its shorter unpadded fragment.
  const sorted = [...patterns].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return new RegExp(sorted.map(escapeRegExp).join("|"), "g");
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The value itself plus every encoding of it worth masking (deduplicated, long enough). */
export function secretVariants(value: string): string[] {
  const out = new Set<string>();
  const push = (v: string, min = MIN_SECRET_LENGTH): void => {
    if (v.length >= min) out.add(v);
  };
  push(value);
  // Output is often split into lines before it reaches the Ui (provisioner stdout), so each line
  // of a multi-line secret (a private key, a certificate) must be masked on its own too.
  if (/[\r\n]/.test(value)) {
    for (const line of value.split(/\r?\n|\r/)) push(line);
  }
  const json = JSON.stringify(value).slice(1, -1);
  push(json);
  // Go's encoding/json (the daemon, Packer's own JSON) also escapes <, > and &.
  push(json.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`));
  const url = encodeURIComponent(value);
  push(url);
  push(url.replace(/%20/g, "+"));
  push(url.replace(/%[0-9A-F]{2}/g, (p) => p.toLowerCase()));
  if (value.includes("'")) {
    push(value.replace(/'/g, `'"'"'`));
    push(value.replace(/'/g, `'\\''`));
  }
  if (/[\\"$`]/.test(value)) push(value.replace(/[\\"$`]/g, "\\$&"));
  const bytes = Buffer.from(value, "utf8");
  push(bytes.toString("hex"));
  push(bytes.toString("hex").toUpperCase());
  for (const fragment of base64Variants(bytes)) push(fragment, MIN_FRAGMENT_LENGTH);
  return [...out];
}

/**
 * base64 of the value at the three possible byte alignments, so the secret is also found inside a
 * longer encoded blob such as base64("user:password") in a docker config or an Authorization
 * header. Only characters whose six bits come entirely from the value are kept.
 */
function base64Variants(bytes: Buffer): string[] {
  const standard = bytes.toString("base64");
  const variants = [standard, standard.replace(/=+$/, "")];
  for (let shift = 0; shift < 3; shift++) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
    const firstBit = shift * 8;
    const endBit = firstBit + bytes.length * 8;
    variants.push(shifted.slice(Math.ceil(firstBit / 6), Math.floor(endBit / 6)));
  }
  const urlSafe = variants.map((v) => v.replace(/\+/g, "-").replace(/\//g, "_"));
  return [...variants, ...urlSafe];
}
