// Words for the `sh` lines of an emitted pipeline: literal values in single quotes (nothing inside
// is expanded), CI variables in double quotes (expanded once, never split).

const PLAIN = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** A literal word: as is when nothing in it is special to the shell, else single-quoted. */
export function shellWord(value: string): string {
  if (PLAIN.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `"$NAME"`: a variable's value as one word. */
export function shellVariable(name: string): string {
  return `"$${name}"`;
}
