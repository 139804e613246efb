// -only / -except: globs over build names; -except also drops post-processors by name (and the
// rest of their sequence, as Packer does). Builds of builders kiln cannot run are an error when
// selected and a warning when the selection leaves them out: Packer 1.6.6 prepares only the builds
// it runs, so `-only=<the docker one>` works on templates that also define e.g. amazon-ebs.
import { InvalidInputError, type Diagnostic } from "../template/diagnostic.js";
import type { BuildDef, Template } from "../template/types.js";
import { globToRegExp } from "./glob.js";

export interface Selection {
  builds: BuildDef[];
  /** One per unsupported build the selection leaves out. */
  warnings: Diagnostic[];
}

/**
 * The builds -only/-except select. Throws InvalidInputError (exit 2) when a selected build's
 * builder is one kiln cannot run.
 */
export function planBuilds(
  template: Pick<Template, "builds" | "unsupportedBuilds">,
  only: string[],
  except: string[],
): Selection {
  const selected = selector(only, except);
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  for (const u of template.unsupportedBuilds) {
    if (selected(u.name)) {
      errors.push({
        ...u.diagnostic,
        detail: [
          u.diagnostic.detail,
          `to build the others, leave build ${JSON.stringify(u.name)} out with -except=${u.name} (or name the ones to build with -only)`,
        ]
          .filter(Boolean)
          .join("\n"),
      });
    } else {
      warnings.push({
        severity: "warning",
        pos: u.diagnostic.pos,
        summary: `build ${JSON.stringify(u.name)} is skipped: ${u.diagnostic.summary}`,
        detail: `-only/-except leave it out, so it is not checked further (Packer prepares only the builds it runs)`,
      });
    }
  }
  const pps = judgePostProcessors(
    template.builds.filter((b) => selected(b.name)),
    except,
  );
  errors.push(...pps.errors);
  warnings.push(...pps.warnings);
  if (errors.length > 0) throw new InvalidInputError(errors);
  return { builds: cutSequences(template.builds, only, except), warnings };
}

function selector(only: string[], except: string[]): (name: string) => boolean {
  const onlyRe = only.map(globToRegExp);
  const exceptRe = except.map(globToRegExp);
  return (name) =>
    (onlyRe.length === 0 || onlyRe.some((r) => r.test(name))) && !exceptRe.some((r) => r.test(name));
}

/**
 * Post-processors kiln does not implement in the selected builds: an error where the build would
 * run one, a warning where -except cuts it (by its name, or the name of one before it in its
 * sequence: Packer drops the rest of a sequence from the excepted post-processor on).
 */
function judgePostProcessors(
  builds: BuildDef[],
  except: string[],
): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  const exceptRe = except.map(globToRegExp);
  const cuts = (name: string) => exceptRe.some((r) => r.test(name));
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  for (const b of builds) {
    for (const pp of b.unsupportedPostProcessors ?? []) {
      const by = [...pp.after, pp.name].find(cuts);
      if (by === undefined) {
        errors.push({
          ...pp.diagnostic,
          detail: [
            pp.diagnostic.detail,
            `to build without it, leave it out with -except=${pp.name} (it and the rest of its sequence are skipped, as in Packer)`,
          ]
            .filter(Boolean)
            .join("\n"),
        });
      } else {
        warnings.push({
          severity: "warning",
          pos: pp.diagnostic.pos,
          summary: `post-processor ${JSON.stringify(pp.name)} of build ${JSON.stringify(b.name)} is skipped: ${pp.diagnostic.summary}`,
          detail: `-except=${by} leaves it out, so it is not checked further`,
        });
      }
    }
  }
  return { errors, warnings };
}

/**
 * The builds -only/-except select, each sequence cut at the first post-processor -except names.
 * Throws InvalidInputError (exit 2) when a selected build would run a post-processor kiln does not
 * implement.
 */
export function selectBuilds(builds: BuildDef[], only: string[], except: string[]): BuildDef[] {
  const selected = selector(only, except);
  const { errors } = judgePostProcessors(
    builds.filter((b) => selected(b.name)),
    except,
  );
  if (errors.length > 0) throw new InvalidInputError(errors);
  return cutSequences(builds, only, except);
}

function cutSequences(builds: BuildDef[], only: string[], except: string[]): BuildDef[] {
  const selected = selector(only, except);
  const exceptRe = except.map(globToRegExp);
  const matches = (res: RegExp[], name: string) => res.some((r) => r.test(name));
  return builds
    .filter((b) => selected(b.name))
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
