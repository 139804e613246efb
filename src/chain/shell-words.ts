// Splits `extra_args` / `--builder-args` into words as the POSIX shell the original handed them to
// would (`packer build {extra_args} …` ran through `sh -c`): quotes, backslashes, and `$VAR` /
// `${VAR}` from the environment. Anything else the shell would act on (command substitution,
// pipes, redirections, `;`, `&`) is refused: kiln runs no shell here.

export interface Word {
  value: string;
  /** Offset of the word's first character in the input. */
  offset: number;
}

export class ShellWordsError extends Error {
  override readonly name = "ShellWordsError";
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export function shellWords(input: string, env: Readonly<Record<string, string | undefined>>): Word[] {
  const words: Word[] = [];
  let current: string | undefined;
  let start = 0;
  let i = 0;
  const add = (s: string, at: number): void => {
    if (current === undefined) {
      current = "";
      start = at;
    }
    current += s;
  };
  const variable = (at: number): number => {
    // At a `$`: returns the index after the reference, having added its value.
    const next = input[at + 1];
    if (next === "(" || next === "`") {
      throw new ShellWordsError("command substitution is not supported: kiln runs no shell", at);
    }
    if (next === "{") {
      const close = input.indexOf("}", at + 2);
      if (close === -1) throw new ShellWordsError("unclosed ${", at);
      const name = input.slice(at + 2, close);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new ShellWordsError(`\${${name}}: only plain \${NAME} references are supported`, at);
      }
      add(env[name] ?? "", at);
      return close + 1;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(input.slice(at + 1));
    if (!m) {
      add("$", at);
      return at + 1;
    }
    add(env[m[0]] ?? "", at);
    return at + 1 + m[0].length;
  };
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      if (current !== undefined) words.push({ value: current, offset: start });
      current = undefined;
      i++;
    } else if (c === "\\") {
      if (i + 1 < input.length) {
        if (input[i + 1] !== "\n") add(input[i + 1]!, i);
        i += 2;
      } else i++;
    } else if (c === "'") {
      const close = input.indexOf("'", i + 1);
      if (close === -1) throw new ShellWordsError("unclosed single quote", i);
      add(input.slice(i + 1, close), i);
      i = close + 1;
    } else if (c === '"') {
      add("", i);
      let j = i + 1;
      for (; j < input.length && input[j] !== '"';) {
        const d = input[j]!;
        if (d === "\\" && j + 1 < input.length && '$`"\\\n'.includes(input[j + 1]!)) {
          if (input[j + 1] !== "\n") add(input[j + 1]!, j);
          j += 2;
        } else if (d === "$") {
          j = variable(j);
        } else if (d === "`") {
          throw new ShellWordsError("command substitution is not supported: kiln runs no shell", j);
        } else {
          add(d, j);
          j++;
        }
      }
      if (j >= input.length) throw new ShellWordsError("unclosed double quote", i);
      i = j + 1;
    } else if (c === "$") {
      i = variable(i);
    } else if ("|&;<>`".includes(c)) {
      throw new ShellWordsError(
        `${JSON.stringify(c)} is a shell operator; kiln runs no shell: quote it if it is part of a value`,
        i,
      );
    } else {
      add(c, i);
      i++;
    }
  }
  if (current !== undefined) words.push({ value: current, offset: start });
  return words;
}
