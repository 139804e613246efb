// The function table of HCL templates: Packer 1.6.6's list plus the later additions
// (docs/hcl-functions.md lists each with its status).
import { DYNAMIC, STRING } from "../types.js";
import { str } from "../value.js";
import { collectionFunctions } from "./collection.js";
import { cryptoFunctions } from "./crypto.js";
import { datetimeFunctions } from "./datetime.js";
import { encodingFunctions } from "./encoding.js";
import { filesystemFunctions } from "./filesystem.js";
import { networkFunctions } from "./network.js";
import { numericFunctions } from "./numeric.js";
import { fn, p, unsupported, type FunctionDef, type FunctionTable } from "./registry.js";
import { stringFunctions } from "./string.js";

// try, can and convert take unevaluated arguments; the evaluator implements them. These entries
// make them known (did-you-mean, docs).
const special: Record<string, FunctionDef> = {
  try: fn([], () => str(""), p("expressions", DYNAMIC, true)),
  can: fn([p("expression", DYNAMIC, true)], () => str("")),
  convert: fn([p("value", DYNAMIC, true), p("type")], () => str("")),
};

const SECRETS = "kiln does not talk to secret stores at load time";
const secrets: Record<string, FunctionDef> = {
  vault: unsupported(
    `${SECRETS}; read the secret before the build (e.g. \`vault kv get\`) and pass it with -var or PKR_VAR_<name>`,
  ),
  consul_key: unsupported(
    `${SECRETS}; read the key before the build (\`consul kv get\`) and pass it with -var or PKR_VAR_<name>`,
  ),
  aws_secretsmanager: unsupported(
    `${SECRETS}; fetch the secret before the build (\`aws secretsmanager get-secret-value\`) and pass it with -var or PKR_VAR_<name>`,
  ),
  aws_secretsmanager_raw: unsupported(
    `${SECRETS}; fetch the secret before the build (\`aws secretsmanager get-secret-value\`) and pass it with -var or PKR_VAR_<name>`,
  ),
};

export const FUNCTIONS: FunctionTable = new Map(
  Object.entries({
    ...stringFunctions,
    ...collectionFunctions,
    ...numericFunctions,
    ...encodingFunctions,
    ...filesystemFunctions,
    ...datetimeFunctions,
    ...cryptoFunctions,
    ...networkFunctions,
    ...special,
    ...secrets,
  }).sort(([a], [b]) => (a < b ? -1 : 1)),
);

/** `env()` exists only where Packer allows it: variable defaults. */
export function withEnv(table: FunctionTable, env: NodeJS.ProcessEnv): FunctionTable {
  const m = new Map(table);
  m.set(
    "env",
    fn([p("key", STRING)], ([k]) => str(env[k!.str] ?? "")),
  );
  return m;
}

export const ENV_HINT =
  'env() is only allowed in variable defaults, as in Packer: declare `variable "x" { default = env("NAME") }` and use var.x';
