// Writes the JSON Schemas kiln publishes from their sources of truth (run after changing one;
// a unit test fails while a written schema differs from its source).
//   node --import tsx scripts/write-schemas.ts
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chainSchema } from "../src/chain/native-schema.js";
import { templateSchema } from "../src/template/template-schema.js";

const schemas: Record<string, unknown> = {
  "kiln-chain.schema.json": chainSchema,
  "packer-template.schema.json": templateSchema(),
};
for (const [name, schema] of Object.entries(schemas)) {
  const target = fileURLToPath(new URL(`../schemas/${name}`, import.meta.url));
  writeFileSync(target, `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote ${target}\n`);
}
