// Which engine the integration tests run against (KILN_TEST_ENGINE, set by the harness): a test
// that meets a documented engine difference (docs/engines.md, docs/compat.md) asserts that
// engine's behaviour explicitly, never skips.
export type TestEngine = "docker" | "docker26" | "docker26-containerd" | "podman";

export const TEST_ENGINE = (process.env.KILN_TEST_ENGINE ?? "docker") as TestEngine;
export const ON_PODMAN = TEST_ENGINE === "podman";
