// Implementations of each provisioner and post-processor type, looked up by the runner. Typed
// against the spec registry (template/components.ts): a type validate accepts without an
// implementation here, or an implementation of a type validate refuses, is a compile error.
import type { PostProcessorFactory, ProvisionerFactory } from "./types.js";
import type { PostProcessorType, ProvisionerType } from "../template/components.js";
import { createShellProvisioner } from "../provisioners/shell/shell.js";
import { createFileProvisioner } from "../provisioners/file/file.js";
import { createDockerTag } from "../post-processors/docker-tag.js";
import { createDockerImport } from "../post-processors/docker-import.js";
import { createDockerSave } from "../post-processors/docker-save.js";
import { createDockerPush } from "../post-processors/docker-push.js";
import { createManifest } from "../post-processors/manifest.js";
import { createShellLocalProvisioner } from "../provisioners/shell-local/shell-local.js";
import { createBreakpointProvisioner } from "../provisioners/breakpoint/breakpoint.js";
import { createAnsibleProvisioner } from "../provisioners/ansible/ansible.js";
import { createAnsibleLocalProvisioner } from "../provisioners/ansible-local/ansible-local.js";
import { createShellLocalPostProcessor } from "../post-processors/shell-local.js";
import { createArtifice } from "../post-processors/artifice.js";

export function provisionerFactories(): Record<ProvisionerType, ProvisionerFactory> {
  return {
    shell: createShellProvisioner,
    file: createFileProvisioner,
    "shell-local": createShellLocalProvisioner,
    breakpoint: createBreakpointProvisioner,
    ansible: createAnsibleProvisioner,
    "ansible-local": createAnsibleLocalProvisioner,
  } satisfies Record<ProvisionerType, ProvisionerFactory>;
}

export function postProcessorFactories(opts: {
  force: boolean;
  cwd: string;
}): Record<PostProcessorType, PostProcessorFactory> {
  return {
    "docker-tag": createDockerTag,
    "docker-import": createDockerImport,
    "docker-save": createDockerSave,
    "docker-push": (c) => createDockerPush(c),
    manifest: (c) => createManifest(c, { force: opts.force, cwd: opts.cwd }),
    artifice: (c) => createArtifice(c, opts.cwd),
    "shell-local": createShellLocalPostProcessor,
  } satisfies Record<PostProcessorType, PostProcessorFactory>;
}
