// Every component kiln implements, keyed by the types `kiln validate` accepts: the tables are
// typed against the spec registry (src/template/components.ts), so a type that validates but has
// no implementation, or an implementation validate does not know, is a compile error.
import type { BuilderType, PostProcessorType, ProvisionerType } from "../template/components.js";
import type { Builder } from "../core/builder.js";
import type { ComponentRegistry, PostProcessorComponent, ProvisionerComponent } from "../core/registry.js";
import { dockerBuilder } from "../builders/docker/builder.js";
import { createShellProvisioner } from "../provisioners/shell/shell.js";
import { shellInputs } from "../provisioners/shell/inputs.js";
import { createFileProvisioner } from "../provisioners/file/file.js";
import { fileInputs } from "../provisioners/file/inputs.js";
import { createShellLocalProvisioner } from "../provisioners/shell-local/shell-local.js";
import { shellLocalInputs } from "../provisioners/shell-local/inputs.js";
import { createBreakpointProvisioner } from "../provisioners/breakpoint/breakpoint.js";
import { breakpointInputs } from "../provisioners/breakpoint/inputs.js";
import { createAnsibleProvisioner } from "../provisioners/ansible/ansible.js";
import { ansibleInputs } from "../provisioners/ansible/inputs.js";
import { createAnsibleLocalProvisioner } from "../provisioners/ansible-local/ansible-local.js";
import { ansibleLocalInputs } from "../provisioners/ansible-local/inputs.js";
import { createDockerTag } from "../post-processors/docker-tag.js";
import { createDockerImport } from "../post-processors/docker-import.js";
import { createDockerSave } from "../post-processors/docker-save.js";
import { createDockerPush } from "../post-processors/docker-push.js";
import { createManifest } from "../post-processors/manifest.js";
import { createShellLocalPostProcessor } from "../post-processors/shell-local.js";
import { createDockerSquash } from "../post-processors/squash/squash.js";
import { createArtifice } from "../post-processors/artifice.js";
import { createDockerTest } from "../post-processors/docker-test/docker-test.js";

const builders = {
  docker: dockerBuilder,
} satisfies Record<BuilderType, Builder>;

const provisioners = {
  shell: { create: createShellProvisioner, inputs: shellInputs },
  file: { create: createFileProvisioner, inputs: fileInputs },
  "shell-local": { create: createShellLocalProvisioner, inputs: shellLocalInputs },
  breakpoint: { create: createBreakpointProvisioner, inputs: breakpointInputs },
  ansible: { create: createAnsibleProvisioner, inputs: ansibleInputs },
  "ansible-local": { create: createAnsibleLocalProvisioner, inputs: ansibleLocalInputs },
} satisfies Record<ProvisionerType, ProvisionerComponent>;

const postProcessors = {
  "docker-tag": { create: createDockerTag },
  "docker-import": { create: createDockerImport },
  "docker-save": { create: createDockerSave },
  "docker-push": { create: (c) => createDockerPush(c) },
  "docker-squash": { create: createDockerSquash },
  "docker-test": { create: createDockerTest },
  manifest: { create: (c) => createManifest(c) },
  artifice: { create: createArtifice },
  "shell-local": { create: createShellLocalPostProcessor },
} satisfies Record<PostProcessorType, PostProcessorComponent>;

/** The registry the CLI (and library callers) hand to the runner. */
export function defaultRegistry(): ComponentRegistry {
  return { builders, provisioners, postProcessors };
}
