// The registry contract: the implementations the runner looks components up in. The runner gets
// one from its caller (the CLI wires src/components/registry.ts) and imports no component.
import type { Builder } from "./builder.js";
import type { PostProcessorFactory, ProvisionerFactory } from "./component.js";
import type { InputsOf } from "./step-inputs.js";

export interface ProvisionerComponent {
  create: ProvisionerFactory;
  /** What a step of this type reads (the cache key and `kiln plan` use it). */
  inputs: InputsOf;
}

export interface PostProcessorComponent {
  create: PostProcessorFactory;
}

export interface ComponentRegistry {
  builders: Readonly<Record<string, Builder>>;
  provisioners: Readonly<Record<string, ProvisionerComponent>>;
  postProcessors: Readonly<Record<string, PostProcessorComponent>>;
}
