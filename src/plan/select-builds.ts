// -only / -except: globs over build names; -except also drops post-processors by name (and the
// rest of their sequence, as Packer does).
import type { BuildDef } from "../template/types.js";
import { globToRegExp } from "./glob.js";

export function selectBuilds(builds: BuildDef[], only: string[], except: string[]): BuildDef[] {
  const onlyRe = only.map(globToRegExp);
  const exceptRe = except.map(globToRegExp);
  const matches = (res: RegExp[], name: string) => res.some((r) => r.test(name));
  return builds
    .filter((b) => (onlyRe.length === 0 || matches(onlyRe, b.name)) && !matches(exceptRe, b.name))
    .map((b) =>
      exceptRe.length === 0
        ? b
        : {
            ...b,
            postProcessors: b.postProcessors
              .map((seq) => {
                const cut = seq.findIndex((pp) => matches(exceptRe, pp.name));
                return cut === -1 ? seq : seq.slice(0, cut);
              })
              .filter((seq) => seq.length > 0),
          },
    );
}
