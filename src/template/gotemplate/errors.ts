// Errors of the template engine carry the offset of the offending action (or token) in the
// template text; loaders turn that into file:line:col.

export interface ErrorExtras {
  suggestions?: string[];
  detail?: string;
}

export class TemplateError extends Error {
  override readonly name = "TemplateError";
  constructor(
    message: string,
    /** Offset in the template text. */
    readonly offset: number,
    readonly extras: ErrorExtras = {},
  ) {
    super(message);
  }
}

/** Thrown by template functions; the engine re-throws it as a TemplateError at the call. */
export class FuncError extends Error {
  override readonly name = "FuncError";
  constructor(
    message: string,
    readonly extras: ErrorExtras = {},
  ) {
    super(message);
  }
}
