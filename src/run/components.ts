// Implementations of each provisioner and post-processor type, looked up by the runner.
import type { PostProcessorFactory, ProvisionerFactory } from "./types.js";
import { createShellProvisioner } from "../provisioners/shell/shell.js";
import { createFileProvisioner } from "../provisioners/file/file.js";
import { createDockerTag } from "../post-processors/docker-tag.js";
import { createDockerImport } from "../post-processors/docker-import.js";
import { createDockerSave } from "../post-processors/docker-save.js";
import { createDockerPush } from "../post-processors/docker-push.js";
import { createManifest } from "../post-processors/manifest.js";

export function provisionerFactories(): Record<string, ProvisionerFactory> {
  return {
    shell: createShellProvisioner,
    file: createFileProvisioner,
  };
}

export function postProcessorFactories(opts: {
  force: boolean;
  cwd: string;
}): Record<string, PostProcessorFactory> {
  return {
    "docker-tag": createDockerTag,
    "docker-import": createDockerImport,
    "docker-save": createDockerSave,
    "docker-push": (c) => createDockerPush(c),
    manifest: (c) => createManifest(c, { force: opts.force, cwd: opts.cwd }),
  };
}
