// Late fields of HCL templates (run_command's `{{.Image}}`, execute_command's `{{.Path}}` and
// `{{.Vars}}`) keep Packer's Go-template placeholders: HCL evaluated everything else already, so
// only `{{.Key}}` / `{{ .Key }}` substitutions from the per-call data are rendered. Anything
// else between braces is left as written.
import type { LateRenderer } from "../types.js";

const PLACEHOLDER = /\{\{-?\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}/g;

export const renderLateHcl: LateRenderer = (text, _build, data) =>
  text.replace(PLACEHOLDER, (m, key: string) =>
    Object.prototype.hasOwnProperty.call(data, key) ? data[key]! : m,
  );
