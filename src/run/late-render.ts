// How a build renders its late fields (run_command, execute_command…): the template's renderer,
// then the build's data. One function, so that `kiln plan` renders run_command as the build does
// (the first step's cache key holds it).
import { substituteBuildData, type BuildData } from "../core/build-data.js";
import type { BuildDef, Template } from "../template/types.js";

export function lateRender(
  template: Template,
  build: BuildDef,
  buildData: BuildData,
): (text: string, data?: Record<string, string>) => string {
  return (text, data = {}) =>
    substituteBuildData(
      template.renderLate(text, { name: build.sourceName, type: build.type }, data),
      buildData,
    );
}
