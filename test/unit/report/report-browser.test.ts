// The HTML report in a real headless browser (Debian's chromium, installed by .ci/run): it renders
// with no console error and no network request but its own file, and the timeline has one bar per
// step, for a 20-node chain and a 40-step build. No browser download: puppeteer-core drives the
// system chromium over the DevTools protocol.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { launch, type Browser } from "puppeteer-core";
import { renderReportHtml } from "../../../src/report/html.js";
import type { Report } from "../../../src/report/model.js";
import { fortyStepBuildEvents, reportOf, twentyNodeChainEvents } from "./report-fixtures.js";

export const CHROMIUM = process.env.KILN_CHROMIUM ?? "/usr/bin/chromium";

interface Rendered {
  consoleErrors: string[];
  requests: string[];
  bars: number;
  stepRows: number;
  cachedBars: number;
  failedBars: number;
  graphNodes: number;
  lanes: number;
  foldedOutputs: number;
  width: number;
}

async function render(browser: Browser, report: Report): Promise<Rendered> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-report-html-"));
  const file = path.join(dir, "report.html");
  writeFileSync(file, renderReportHtml(report));
  const page = await browser.newPage();
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warn") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("request", (r) => requests.push(r.url()));
  page.on("requestfailed", (r) => consoleErrors.push(`request failed: ${r.url()}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  const counts = await page.evaluate(() => ({
    bars: document.querySelectorAll(".timeline details.step .bar").length,
    stepRows: document.querySelectorAll(".timeline details.step").length,
    cachedBars: document.querySelectorAll(".timeline details.step .bar.st-cached").length,
    failedBars: document.querySelectorAll(".timeline details.step .bar.st-failed").length,
    graphNodes: document.querySelectorAll("svg .gnode").length,
    lanes: document.querySelectorAll("section.lane").length,
    foldedOutputs: document.querySelectorAll("details.step:not([open]) > .body pre").length,
    width: document.documentElement.scrollWidth,
  }));
  await page.close();
  return { consoleErrors, requests, ...counts };
}

describe("HTML report in headless chromium", () => {
  let browser: Browser;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
    browser = await launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
  });
  after(async () => browser?.close());

  it("a 20-node chain: no console error, no request but the file, a bar per step, the graph", async () => {
    const report = reportOf(twentyNodeChainEvents());
    const steps = report.lanes.flatMap((l) => l.steps);
    const r = await render(browser, report);
    assert.deepEqual(r.consoleErrors, []);
    assert.equal(r.requests.length, 1);
    assert.match(r.requests[0]!, /^file:.*report\.html$/);
    assert.equal(r.bars, steps.length);
    assert.equal(r.stepRows, steps.length);
    assert.equal(r.cachedBars, steps.filter((s) => s.status === "cached").length);
    assert.equal(r.failedBars, 1);
    assert.equal(r.graphNodes, 20);
    assert.equal(r.lanes, 20);
    assert.equal(r.foldedOutputs, steps.filter((s) => s.output.length > 0).length);
  });

  it("a 40-step build: a bar per step, no horizontal overflow at 800px", async () => {
    const report = reportOf(fortyStepBuildEvents());
    const steps = report.lanes[0]!.steps;
    const r = await render(browser, report);
    assert.deepEqual(r.consoleErrors, []);
    assert.equal(r.requests.length, 1);
    assert.equal(r.bars, steps.length);
    assert.equal(r.cachedBars, 12);
    assert.equal(r.graphNodes, 0);
    assert.ok(r.width <= 800, `page is ${r.width}px wide`);
  });
});
