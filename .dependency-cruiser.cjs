// The architecture of docs/architecture.md, enforced in `npm run lint`: which folder may import
// which, no cycles, and only src/engine speaks HTTP to the engine.
/** @type {import('dependency-cruiser').IConfiguration} */
const folder = (name) => `^src/${name}/`;

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "Modules must not import each other in a circle: it hides which one owns what.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "engine-is-a-leaf",
      severity: "error",
      comment: "src/engine is the only code that speaks the Engine API and imports nothing else of kiln.",
      from: { path: folder("engine") },
      to: { path: "^src/", pathNot: folder("engine") },
    },
    {
      name: "only-engine-speaks-http",
      severity: "error",
      comment: "Only src/engine opens HTTP or socket connections to the engine.",
      from: { path: "^src/", pathNot: folder("engine") },
      to: { path: "^(node:)?(http|https|tls|undici)$", dependencyTypes: ["core", "npm"] },
    },
    {
      name: "only-engine-opens-sockets",
      severity: "error",
      comment: "node:net outside src/engine only for address checks (run_command's --ip, --dns: isIP).",
      from: {
        path: "^src/",
        pathNot: [folder("engine"), "^src/builders/docker/run-command\\.ts$"],
      },
      to: { path: "^(node:)?net$", dependencyTypes: ["core"] },
    },
    {
      name: "ui-imports-core-types-only",
      severity: "error",
      comment: "The Ui renders events and lines; it knows nothing of engines, templates or the runner.",
      from: { path: folder("ui") },
      to: { path: "^src/", pathNot: [folder("ui"), "^src/core/(events|artifact|errors)\\.ts$"] },
    },
    {
      name: "template-is-pure",
      severity: "error",
      comment:
        "Loading and validating templates never touches an engine: src/template imports only itself and the components' schema files.",
      from: { path: folder("template") },
      to: {
        path: "^src/",
        pathNot: [
          folder("template"),
          "^src/(builders/[^/]+|provisioners/[^/]+)/schema\\.ts$",
          "^src/post-processors/[a-z-]*schemas?\\.ts$",
          "^src/post-processors/[^/]+/schema\\.ts$",
        ],
      },
    },
    {
      name: "core-is-contracts",
      severity: "error",
      comment:
        "src/core holds contracts shared by the runner and the components; it imports no implementation.",
      from: { path: folder("core") },
      to: {
        path: "^src/",
        pathNot: [
          folder("core"),
          "^src/engine/types\\.ts$",
          "^src/template/types\\.ts$",
          "^src/ui/ui\\.ts$",
          "^src/template/diagnostic\\.ts$",
          "^src/template/option-text\\.ts$",
          "^src/template/output-names\\.ts$",
        ],
      },
    },
    {
      name: "runner-imports-no-component",
      severity: "error",
      comment: "The runner gets builders, provisioners and post-processors from a registry it is handed.",
      from: { path: folder("run") },
      to: { path: "^src/(builders|provisioners|post-processors|components|cli)/" },
    },
    {
      name: "components-do-not-import-the-runner",
      severity: "error",
      comment: "Components see the contracts in src/core, never the runner or the CLI.",
      from: { path: "^src/(builders|provisioners|post-processors)/" },
      to: { path: "^src/(run|cli|components)/" },
    },
    {
      name: "provisioners-see-the-communicator-only",
      severity: "error",
      comment: "Provisioners reach the container through the Communicator, never the engine.",
      from: { path: folder("provisioners") },
      to: { path: "^src/(engine|builders|post-processors|auth)/" },
    },
    {
      name: "components-are-independent",
      severity: "error",
      comment: "A builder, provisioner or post-processor does not import another kind of component.",
      from: { path: "^src/(builders|post-processors)/" },
      to: { path: "^src/provisioners/", pathNot: "^src/provisioners/[^/]+/schema\\.ts$" },
    },
    {
      name: "host-processes-are-shared-helpers",
      severity: "error",
      comment:
        "src/host runs processes on the host for shell-local and ansible; it sees contracts and schemas only.",
      from: { path: folder("host") },
      to: {
        path: "^src/",
        pathNot: [folder("host"), folder("core"), "^src/provisioners/[^/]+/schema\\.ts$"],
      },
    },
    {
      name: "cache-below-the-runner",
      severity: "error",
      comment: "The per-step cache is used by the runner and the CLI; it never imports them.",
      from: { path: folder("cache") },
      to: { path: "^src/(run|cli|components|builders|provisioners|post-processors)/" },
    },
    {
      name: "plan-is-pure",
      severity: "error",
      comment: "Planning is pure: templates in, decisions out.",
      from: { path: folder("plan") },
      to: { path: "^src/(engine|run|builders|provisioners|post-processors|cli|components|auth)/" },
    },
    {
      name: "chain-sees-the-runner-not-the-components",
      severity: "error",
      comment:
        "src/chain plans and schedules chains: it runs Packer nodes through the runner and Dockerfile nodes through the Engine interface; components, credentials and host processes come from its caller (the CLI).",
      from: { path: folder("chain") },
      to: {
        path: "^src/",
        pathNot: [
          folder("chain"),
          folder("core"),
          folder("template"),
          folder("plan"),
          folder("run"),
          folder("ui"),
          "^src/engine/(types|reference|errors)\\.ts$",
        ],
      },
    },
    {
      name: "chains-are-on-top-of-the-runner",
      severity: "error",
      comment:
        "Only the CLI (and the library entry) use src/chain; the runner and everything below know nothing of chains.",
      from: { path: "^src/", pathNot: ["^src/chain/", "^src/cli/", "^src/index\\.ts$"] },
      to: { path: folder("chain") },
    },
    {
      name: "nothing-imports-the-cli",
      severity: "error",
      comment: "The CLI is the top: only src/index.ts (the library's entry) may re-export from it.",
      from: { path: "^src/", pathNot: ["^src/cli/", "^src/index\\.ts$"] },
      to: { path: folder("cli") },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
    exclude: { path: "^(node_modules|test|bench|scripts|dist)/" },
  },
};
