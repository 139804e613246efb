// The HTML report's per-lane results besides steps: the build outputs a lane's steps published
// and its image tests (docker-test), each a small table, passed and failed tests marked.
import type { Lane } from "./model.js";

type Esc = (s: string) => string;

export function outputsTable(l: Lane, esc: Esc): string {
  if (l.outputs.length === 0) return "";
  const rows = l.outputs.map(
    (o) =>
      `<tr><td><code>${esc(o.name)}</code></td><td><code>${esc(o.value)}</code>${o.cached ? ` <small>(from the cache)</small>` : ""}</td><td>${esc(o.step ?? "")}</td></tr>`,
  );
  return `<table class="results outputs"><caption>build outputs</caption><tr><th>name</th><th>value</th><th>step</th></tr>${rows.join("")}</table>`;
}

export function testsTable(l: Lane, esc: Esc, duration: (ms: number) => string): string {
  if (l.tests.length === 0) return "";
  const rows = l.tests.map(
    (t) =>
      `<tr class="${t.passed ? "pass" : "fail"}"><td>${t.passed ? "✓ pass" : "✕ fail"}</td><td><code>${esc(t.command)}</code></td><td>${t.exitCode !== undefined ? String(t.exitCode) : "–"}</td><td>${esc(duration(t.durationMs))}</td><td>${esc(t.reason ?? "")}</td></tr>`,
  );
  return `<table class="results tests"><caption>image tests</caption><tr><th>result</th><th>command</th><th>exit</th><th>time</th><th>why</th></tr>${rows.join("")}</table>`;
}

/** The tables' style, appended to the page's. */
export const RESULTS_STYLE =
  ".results{border-collapse:collapse;margin:4px 0;font-size:12px;max-width:100%}.results caption{text-align:left;color:var(--muted)}.results td,.results th{border:1px solid var(--line,#ccc);padding:1px 6px;text-align:left;overflow-wrap:anywhere}.results tr.fail td:first-child{color:#c62828;font-weight:bold}.results tr.pass td:first-child{color:#2e7d32}";
