// Regenerates docs/report-chain.png: the HTML run report of the 20-node chain the report tests
// use, rendered by the system chromium (Debian's `chromium`). Run it after changing the report:
//   node --import tsx scripts/report-screenshot.ts
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launch } from "puppeteer-core";
import { renderReportHtml } from "../src/report/html.js";
import { reportOf, twentyNodeChainEvents } from "../test/unit/report/report-fixtures.js";

const target = fileURLToPath(new URL("../docs/report-chain.png", import.meta.url)) as `${string}.png`;
const file = path.join(mkdtempSync(path.join(os.tmpdir(), "kiln-report-shot-")), "report.html");
writeFileSync(file, renderReportHtml(reportOf(twentyNodeChainEvents())));
const browser = await launch({
  executablePath: process.env.KILN_CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  // Open the failed step, as a reader would, so the picture shows a folded-out output.
  await page.$$eval("details.step.st-failed", (failed) => {
    for (const d of failed) d.setAttribute("open", "");
  });
  await page.screenshot({ path: target, fullPage: true });
  process.stdout.write(`wrote ${target}\n`);
} finally {
  await browser.close();
}
