// The engine's public surface. Nothing here does I/O at import time.
export type * from "./types.js";
export { EngineError } from "./errors.js";
export type { EngineErrorKind } from "./errors.js";
export { DOCKER_HUB, DOCKER_HUB_AUTH_KEY, ImageReference, isImageId } from "./reference.js";
export { createEngine, DockerEngine } from "./docker-engine.js";
export { resolveEngineHost } from "./endpoint.js";
export { EngineConfigError } from "./errors.js";
export type { EngineHost } from "./host.js";
export { encodeRegistryAuth } from "./auth-header.js";
export { isDirectoryMode, isSymlinkMode, toUnixMode } from "./archive-stat.js";
export { connectEngine } from "./connect.js";
export type { EngineSession } from "./connect.js";
