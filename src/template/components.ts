// Which component types kiln knows, and the schema each is validated against. The specs here
// add the checks that need more than the component's own schema file: `changes` lines, and the
// local files Packer stats at validate time. Both loaders (JSON, HCL) look components up here.
import type { Diagnostic, SourcePos } from "./diagnostic.js";
import type { CheckContext, CheckProblem, ComponentSpec, ConfigOf, Schema } from "./schema.js";
import { suggest } from "./suggest.js";
import { checkChanges } from "./changes.js";
import { checkLocalPath, checkLocalPaths, localKind } from "./source-checks.js";
import { dockerBuilderSpec } from "../builders/docker/schema.js";
import { shellSpec } from "../provisioners/shell/schema.js";
import { fileSpec } from "../provisioners/file/schema.js";
import { shellLocalSpec } from "../provisioners/shell-local/schema.js";
import { breakpointSpec } from "../provisioners/breakpoint/schema.js";
import { ansibleSpec } from "../provisioners/ansible/schema.js";
import { ansibleLocalSpec } from "../provisioners/ansible-local/schema.js";
import {
  artificeSpec,
  dockerImportSpec,
  dockerPushSpec,
  dockerSaveSpec,
  dockerSquashSpec,
  dockerTagSpec,
  manifestSpec,
} from "../post-processors/schemas.js";
import { shellLocalPostProcessorSpec } from "../post-processors/shell-local-schema.js";
import { dockerTestSpec } from "../post-processors/docker-test/schema.js";

export type ComponentKind = "builder" | "provisioner" | "post-processor";

/** The spec with one more check after its own; typed loosely for the registry. */
function withCheck<S extends Schema>(
  spec: ComponentSpec<S>,
  extra: (c: ConfigOf<S>, ctx: CheckContext) => CheckProblem[],
): ComponentSpec {
  const own = spec.check;
  return {
    type: spec.type,
    schema: spec.schema,
    check: ((c: ConfigOf<S>, ctx: CheckContext) => [
      ...(own ? own(c, ctx) : []),
      ...extra(c, ctx),
    ]) as ComponentSpec["check"],
    normalize: spec.normalize as ComponentSpec["normalize"],
    obsolete: spec.obsolete,
  };
}

const loose = <S extends Schema>(spec: ComponentSpec<S>): ComponentSpec => spec as unknown as ComponentSpec;

const dockerBuilder = withCheck(dockerBuilderSpec, (c, ctx) => {
  const p = checkChanges(c.changes);
  // A missing export file is fine (kiln creates it); an existing directory is not.
  if (c.export_path && localKind(c.export_path, ctx) === "dir") {
    p.push(["export_path", "export_path must be a file, not a directory"]);
  }
  return p;
});

const shellLocalChecks = <T extends { script?: string; scripts?: string[] }>(c: T, ctx: CheckContext) => [
  ...checkLocalPath("script", "script", c.script, "file", ctx),
  ...checkLocalPaths("scripts", "script", c.scripts, "file", ctx),
];

export const builderSpecs = {
  docker: dockerBuilder,
} as const satisfies Readonly<Record<string, ComponentSpec>>;

export const provisionerSpecs = {
  shell: withCheck(shellSpec, shellLocalChecks),
  file: withCheck(fileSpec, (c, ctx) => {
    if (c.direction !== "upload" || c.generated) return [];
    return [
      ...checkLocalPath("source", "source", c.source, "any", ctx),
      ...checkLocalPaths("sources", "source", c.sources, "any", ctx),
    ];
  }),
  "shell-local": withCheck(shellLocalSpec, shellLocalChecks),
  breakpoint: loose(breakpointSpec),
  ansible: withCheck(ansibleSpec, (c, ctx) => [
    ...checkLocalPath("playbook_file", "playbook_file", c.playbook_file, "file", ctx),
    ...checkLocalPath("galaxy_file", "galaxy_file", c.galaxy_file, "file", ctx),
    ...checkLocalPath("inventory_file", "inventory_file", c.inventory_file, "file", ctx),
  ]),
  "ansible-local": withCheck(ansibleLocalSpec, (c, ctx) => [
    ...checkLocalPath("playbook_file", "playbook_file", c.playbook_file, "file", ctx),
    ...checkLocalPaths("playbook_files", "playbook_file", c.playbook_files, "file", ctx),
    ...checkLocalPath("playbook_dir", "playbook_dir", c.playbook_dir, "dir", ctx),
    ...checkLocalPaths("playbook_paths", "playbook_paths", c.playbook_paths, "dir", ctx),
    ...checkLocalPaths("role_paths", "role_paths", c.role_paths, "dir", ctx),
    ...checkLocalPaths("collection_paths", "collection_paths", c.collection_paths, "dir", ctx),
    ...checkLocalPath("group_vars", "group_vars", c.group_vars, "dir", ctx),
    ...checkLocalPath("host_vars", "host_vars", c.host_vars, "dir", ctx),
    ...checkLocalPath("inventory_file", "inventory_file", c.inventory_file, "file", ctx),
    ...checkLocalPath("galaxy_file", "galaxy_file", c.galaxy_file, "file", ctx),
  ]),
} as const satisfies Readonly<Record<string, ComponentSpec>>;

export const postProcessorSpecs = {
  // An empty tag (an optional variable left at "") would tag "repo:", which Packer fails at the
  // tag step after the whole build; kiln refuses it before any work.
  "docker-tag": withCheck(dockerTagSpec, (c) =>
    (["tags", "tag"] as const).flatMap((key) =>
      (c[key] ?? []).flatMap((t, i): CheckProblem[] =>
        t.trim() === ""
          ? [[`${key}[${i}]`, `empty tag: remove it from ${key}, or give the variable that fills it a value`]]
          : [],
      ),
    ),
  ),
  "docker-import": withCheck(dockerImportSpec, (c) => checkChanges(c.changes)),
  "docker-save": loose(dockerSaveSpec),
  "docker-push": loose(dockerPushSpec),
  "docker-squash": loose(dockerSquashSpec),
  "docker-test": withCheck(dockerTestSpec, (c, ctx) =>
    checkLocalPath("script", "script", c.script, "file", ctx),
  ),
  manifest: loose(manifestSpec),
  artifice: loose(artificeSpec),
  "shell-local": withCheck(shellLocalPostProcessorSpec, shellLocalChecks),
} as const satisfies Readonly<Record<string, ComponentSpec>>;

export type BuilderType = keyof typeof builderSpecs;
export type ProvisionerType = keyof typeof provisionerSpecs;
export type PostProcessorType = keyof typeof postProcessorSpecs;

/** Packer components people may try that kiln deliberately does not implement. */
const NOT_SUPPORTED: Record<ComponentKind, readonly string[]> = {
  // Every builder Packer 1.6.6 ships besides docker: excluded by -only/-except they are only a
  // warning (see plan/select-builds.ts).
  builder: [
    "alicloud-ecs",
    "amazon-chroot",
    "amazon-ebs",
    "amazon-ebssurrogate",
    "amazon-ebsvolume",
    "amazon-instance",
    "azure-arm",
    "azure-chroot",
    "azure-dtl",
    "cloudstack",
    "digitalocean",
    "file",
    "googlecompute",
    "hcloud",
    "hyperv-iso",
    "hyperv-vmcx",
    "jdcloud",
    "lxc",
    "lxd",
    "ncloud",
    "null",
    "oneandone",
    "openstack",
    "oracle-classic",
    "oracle-oci",
    "parallels-iso",
    "parallels-pvm",
    "profitbricks",
    "proxmox",
    "proxmox-clone",
    "proxmox-iso",
    "qemu",
    "scaleway",
    "tencentcloud-cvm",
    "triton",
    "vagrant",
    "virtualbox-iso",
    "virtualbox-ovf",
    "virtualbox-vm",
    "vmware-iso",
    "vmware-vmx",
    "vsphere-clone",
    "vsphere-iso",
  ],
  provisioner: [
    "chef-client",
    "chef-solo",
    "converge",
    "inspec",
    "powershell",
    "puppet-masterless",
    "puppet-server",
    "salt-masterless",
    "windows-restart",
    "windows-shell",
  ],
  "post-processor": [
    "amazon-import",
    "checksum",
    "compress",
    "googlecompute-export",
    "vagrant",
    "vagrant-cloud",
  ],
};

const SPECS: Record<ComponentKind, Readonly<Record<string, ComponentSpec>>> = {
  builder: builderSpecs,
  provisioner: provisionerSpecs,
  "post-processor": postProcessorSpecs,
};

/** A Packer 1.6.6 component kiln deliberately does not implement (as opposed to an unknown type). */
export function isNotSupported(kind: ComponentKind, type: string): boolean {
  return NOT_SUPPORTED[kind].includes(type);
}

/** The Packer 1.6.6 types of `kind` kiln deliberately does not implement. */
export function unsupportedTypes(kind: ComponentKind): string[] {
  return [...NOT_SUPPORTED[kind]];
}

export function componentTypes(kind: ComponentKind): string[] {
  return Object.keys(SPECS[kind]);
}

export function componentSpec(kind: ComponentKind, type: string): ComponentSpec | undefined {
  const specs = SPECS[kind];
  return Object.prototype.hasOwnProperty.call(specs, type) ? specs[type] : undefined;
}

/** The spec, or a positioned error naming the known types (with did-you-mean). */
export function lookupComponent(
  kind: ComponentKind,
  type: string,
  pos: SourcePos | undefined,
): { spec: ComponentSpec; diagnostic?: undefined } | { spec?: undefined; diagnostic: Diagnostic } {
  const spec = componentSpec(kind, type);
  if (spec) return { spec };
  const known = componentTypes(kind);
  const detail = `kiln supports these ${kind} types: ${known.join(", ")}`;
  if (NOT_SUPPORTED[kind].includes(type)) {
    return {
      diagnostic: {
        severity: "error",
        pos,
        summary: `the ${JSON.stringify(type)} ${kind} is not supported by kiln`,
        detail,
      },
    };
  }
  const suggestions = suggest(type, known);
  return {
    diagnostic: {
      severity: "error",
      pos,
      summary: `unknown ${kind} type ${JSON.stringify(type)}`,
      detail,
      suggestions: suggestions.length ? suggestions : undefined,
    },
  };
}
