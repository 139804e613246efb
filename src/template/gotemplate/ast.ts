// The parsed form of a Go `text/template` string, as far as Packer templates use it. Offsets are
// UTF-16 indexes into the template text, so callers can map them back to file positions.

export interface Pipeline {
  pos: number;
  cmds: Command[];
}

export interface Command {
  pos: number;
  args: Operand[];
}

export type Operand =
  | { k: "func"; name: string; pos: number }
  | { k: "field"; path: string[]; pos: number }
  | { k: "dot"; pos: number }
  | { k: "var"; name: string; pos: number }
  | { k: "string"; value: string; pos: number }
  | { k: "number"; value: number; isInt: boolean; pos: number }
  | { k: "bool"; value: boolean; pos: number }
  | { k: "nil"; pos: number }
  | { k: "pipe"; pipe: Pipeline; pos: number };

export type TemplateNode =
  | { k: "text"; text: string }
  /** `pos`/`end`: the action's `{{` and the offset just after its `}}`. */
  | { k: "action"; pipe: Pipeline; pos: number; end: number }
  | {
      k: "if" | "with";
      pipe: Pipeline;
      then: TemplateNode[];
      otherwise?: TemplateNode[];
      pos: number;
      end: number;
    };

export interface ParsedTemplate {
  source: string;
  nodes: TemplateNode[];
}
