// The shape of an HCL function: typed parameters (arguments are converted to them before the
// call, as HCL does) and an implementation. Unsupported functions stay in the table so a template
// that calls them gets a precise "not supported because…" error instead of "no such function".
import { DYNAMIC, type Type } from "../types.js";
import type { Value } from "../value.js";

export interface Param {
  name: string;
  type: Type;
  allowNull?: boolean;
}

/** What functions may know about the run besides their arguments. */
export interface FnEnv {
  cwd: string;
  startTime: Date;
  /** The run's environment (pathexpand's home directory, env() in variable defaults). */
  env: NodeJS.ProcessEnv;
  /** templatefile() renders another file with the caller's functions. */
  renderTemplate?: (path: string, vars: Value) => Value;
}

export interface FunctionDef {
  params: Param[];
  variadic?: Param;
  impl: (args: Value[], env: FnEnv) => Value;
  /** Set when kiln does not implement the function: why, and what to do instead. */
  unsupported?: string;
}

export type FunctionTable = ReadonlyMap<string, FunctionDef>;

/** A failure inside a function; `arg` points the error at one argument. */
export class FunctionError extends Error {
  override readonly name = "FunctionError";
  constructor(
    message: string,
    readonly arg?: number,
  ) {
    super(message);
  }
}

export const p = (name: string, type: Type = DYNAMIC, allowNull = false): Param => ({
  name,
  type,
  allowNull,
});

export function fn(params: Param[], impl: FunctionDef["impl"], variadic?: Param): FunctionDef {
  const d: FunctionDef = { params, impl };
  if (variadic) d.variadic = variadic;
  return d;
}

export function unsupported(why: string): FunctionDef {
  return {
    params: [],
    variadic: p("args", DYNAMIC, true),
    impl: () => {
      throw new FunctionError(why);
    },
    unsupported: why,
  };
}
