// Options of Packer's `breakpoint` provisioner (reference §c.5).
import { f, type ComponentSpec, type ConfigOf } from "../../template/schema.js";

export const breakpointSchema = {
  note: f.string("Shown when the build pauses.").default(""),
  disable: f.bool("Skip the breakpoint (noted in the output).").default(false),
};
export type BreakpointConfig = ConfigOf<typeof breakpointSchema>;

export const breakpointSpec: ComponentSpec<typeof breakpointSchema> = {
  type: "breakpoint",
  schema: breakpointSchema,
};
