// Writes the JSON Schemas kiln publishes from their sources of truth (run after changing one;
// a unit test fails while a written schema differs from its source).
//   node --import tsx scripts/write-schemas.ts
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chainSchema } from "../src/chain/native-schema.js";

const target = fileURLToPath(new URL("../schemas/kiln-chain.schema.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(chainSchema, null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
