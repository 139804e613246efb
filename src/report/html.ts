// The run report as one self-contained HTML page: inline CSS and SVG, no script, no external
// resource (a Content-Security-Policy forbids any), so it opens from disk, offline, as a CI
// artifact. Drawn on the server side: a Gantt-like timeline (a lane per build or chain node, a row
// and a bar per step, its output folded under it), the chain's graph, and the run's totals.
import type { Lane, LaneStatus, Report, Step } from "./model.js";
import { layoutGraph } from "./graph-layout.js";
import { RESULTS_STYLE, outputsTable, testsTable } from "./html-lane-results.js";

export function renderReportHtml(report: Report): string {
  const span = Math.max(1, report.durationMs ?? 0, ...report.lanes.flatMap(laneTimes));
  const title = `kiln ${report.kind} report: ${report.status}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}${RESULTS_STYLE}</style>
</head>
<body>
<header>
<h1>kiln ${esc(report.kind)} <span class="badge st-${esc(report.status)}">${esc(report.status)}</span></h1>
<p class="meta"><code>kiln ${esc(report.command.join(" "))}</code></p>
<p class="meta">kiln ${esc(report.kilnVersion)} · started ${esc(report.startedAt)} · ${
    report.durationMs !== undefined ? esc(duration(report.durationMs)) : "did not finish"
  } · run ${esc(report.runId)}</p>
${engines(report)}
</header>
${totals(report)}
${report.graph ? graph(report) : ""}
<section class="timeline">
<h2>Timeline</h2>
${legend()}
${axis(span)}
${report.lanes.map((l) => lane(l, span)).join("\n")}
</section>
${report.notes.length > 0 ? `<details class="notes"><summary>Run output (${report.notes.length} lines)</summary>${lines(report.notes)}</details>` : ""}
</body>
</html>
`;
}

function laneTimes(l: Lane): number[] {
  return [l.endMs ?? 0, ...l.steps.map((s) => s.endMs ?? s.startMs)];
}

function engines(report: Report): string {
  if (report.engines.length === 0) return "";
  const items = report.engines.map(
    (e) =>
      `${esc(e.name)}: ${esc(e.endpoint)}${e.version ? ` (${esc(e.version)}${e.api ? `, API ${esc(e.api)}` : ""})` : ""}`,
  );
  return `<p class="meta">engine ${items.join(" · ")}</p>`;
}

/** Pushes whose engine sent no per-layer progress (Podman 4.3): their size is not known. */
function unknownSize(report: Report): string {
  const n = report.lanes.flatMap((l) => l.pushed).filter((p) => p.bytes === undefined).length;
  return n > 0 ? ` (${n} of unknown size: the engine did not report it)` : "";
}

function totals(report: Report): string {
  const t = report.totals;
  const saved =
    `${duration(t.savedMs)}` +
    (t.hitsWithoutDuration > 0 ? ` (+${t.hitsWithoutDuration} hit(s) of unknown time)` : "");
  const cards: [string, string][] = [
    ["duration", report.durationMs !== undefined ? duration(report.durationMs) : "unfinished"],
    [report.kind === "chain" ? "nodes" : "builds", String(t.lanes)],
    ["steps", `${t.steps}: ${t.stepsRun} run, ${t.stepsCached} cached, ${t.stepsFailed} failed`],
    ["time saved by the cache", saved],
    ["pushed", `${bytes(t.bytesPushed)} in ${t.pushes} push(es)${unknownSize(report)}`],
  ];
  return `<section class="totals">${cards
    .map(
      ([k, v]) =>
        `<div class="card"><div class="k">${esc(k)}</div><div class="v" data-total="${esc(k)}">${esc(v)}</div></div>`,
    )
    .join("")}</section>`;
}

function graph(report: Report): string {
  const nodes = report.graph ?? [];
  const status = new Map(report.lanes.map((l) => [l.name, l.status]));
  const { width, height, boxes, edges } = layoutGraph(nodes);
  const edgePaths = edges
    .map(
      (e) =>
        `<path class="edge" d="M${e.x1},${e.y1} C${(e.x1 + e.x2) / 2},${e.y1} ${(e.x1 + e.x2) / 2},${e.y2} ${e.x2},${e.y2}"/>`,
    )
    .join("");
  const boxSvg = boxes
    .map((b) => {
      const st = status.get(b.name) ?? "skipped";
      const label = b.name.length > 22 ? `${b.name.slice(0, 21)}…` : b.name;
      return `<g class="gnode st-${esc(st)}" data-node="${esc(b.name)}"><title>${esc(`${b.name} (${b.kind}, ${st})`)}</title><rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="5"/><text x="${b.x + 8}" y="${b.y + b.h / 2 + 4}">${esc(label)}</text></g>`;
    })
    .join("");
  return `<section class="graph"><h2>Chain graph</h2><div class="scroll"><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="chain graph">${edgePaths}${boxSvg}</svg></div></section>`;
}

function legend(): string {
  const kinds: [string, string][] = [
    ["ok", "ran"],
    ["cached", "cached"],
    ["failed", "failed"],
    ["cancelled", "cancelled"],
    ["unfinished", "unfinished"],
  ];
  return `<p class="legend">${kinds.map(([k, v]) => `<span><i class="bar st-${k}"></i>${v}</span>`).join("")}</p>`;
}

function axis(span: number): string {
  const ticks = 5;
  const marks = Array.from({ length: ticks + 1 }, (_, i) => {
    const at = (span * i) / ticks;
    return `<span style="left:${(100 * i) / ticks}%">${esc(duration(at))}</span>`;
  }).join("");
  return `<div class="row axis"><span class="label"></span><span class="track">${marks}</span><span class="dur"></span></div>`;
}

function lane(l: Lane, span: number): string {
  const took = l.startMs !== undefined && l.endMs !== undefined ? duration(l.endMs - l.startMs) : "";
  const head = `<h3><span class="badge st-${esc(l.status)}">${esc(statusWord(l.status))}</span> ${esc(l.name)} <small>${esc(took)}${l.engine ? ` · engine ${esc(l.engine)}` : ""}</small></h3>`;
  const parts = [head];
  if (l.skipped) parts.push(`<p class="skip">${esc(l.skipped.message)}</p>`);
  if (l.failure) parts.push(failure(l.failure));
  const builds = new Set(l.steps.map((s) => s.build));
  parts.push(...l.steps.map((s) => step(s, span, builds.size > 1)));
  if (l.tags.length > 0)
    parts.push(`<p class="facts">tags: ${l.tags.map((t) => `<code>${esc(t)}</code>`).join(" ")}</p>`);
  if (l.pushed.length > 0)
    parts.push(
      `<p class="facts">pushed: ${l.pushed
        .map(
          (p) =>
            `<code>${esc(p.ref)}@${esc(p.digest)}</code>${p.bytes !== undefined ? ` ${esc(bytes(p.bytes))}` : ""}${p.retries > 0 ? ` after ${p.retries} retr${p.retries === 1 ? "y" : "ies"}` : ""}`,
        )
        .join(", ")}</p>`,
    );
  const tables = [outputsTable(l, esc), testsTable(l, esc, duration)].filter((t) => t !== "");
  parts.push(...tables);
  const result = l.images.filter((i) => i.role === "result");
  if (result.length > 0)
    parts.push(
      `<p class="facts">image: ${result
        .map(
          (i) =>
            `<code>${esc(shortId(i.id))}</code>${i.size !== undefined ? ` ${esc(bytes(i.size))}` : ""}${i.layers ? `, ${i.layers.length} layer(s)` : ""}`,
        )
        .join(", ")}</p>`,
    );
  if (l.output.length > 0)
    parts.push(
      `<details class="laneout"><summary>other output (${l.output.length} lines)</summary>${lines(l.output, l.outputOmitted)}</details>`,
    );
  return `<section class="lane st-${esc(l.status)}" data-lane="${esc(l.name)}">${parts.join("\n")}</section>`;
}

function step(s: Step, span: number, showBuild: boolean): string {
  const end = s.endMs ?? s.startMs;
  const left = (100 * s.startMs) / span;
  const width = Math.max(0.25, (100 * (end - s.startMs)) / span);
  const status = s.status;
  const name = showBuild ? `${s.build}: ${s.name}` : s.name;
  const facts: string[] = [`<b>${esc(s.phase)}</b> · ${esc(status)}`];
  if (s.durationMs !== undefined) facts.push(`took ${esc(duration(s.durationMs))}`);
  if (s.cache) {
    const c = s.cache;
    facts.push(`cache ${esc(c.decision)}${c.key ? ` key <code>${esc(c.key.slice(0, 16))}</code>` : ""}`);
    if (c.ageMs !== undefined) facts.push(`entry ${esc(duration(c.ageMs))} old`);
    if (c.savedMs !== undefined) facts.push(`saved ${esc(duration(c.savedMs))}`);
    if (c.reason) facts.push(esc(c.reason));
  }
  if (s.imageId) facts.push(`image <code>${esc(shortId(s.imageId))}</code>`);
  if (s.layerBytes !== undefined) facts.push(`layer ${esc(bytes(s.layerBytes))}`);
  const retries = s.retries.map(
    (r) =>
      `<li>${esc(r.what)}: attempt ${r.attempt}/${r.of} failed (${esc(r.cause)}), retried after ${esc(duration(r.delayMs))}</li>`,
  );
  const mark = status === "failed" ? `<span class="x" aria-label="failed">✕</span>` : "";
  return `<details class="step st-${esc(status)}" data-step="${esc(`${s.build}/${s.phase}/${s.sequence ?? ""}/${s.index}`)}">
<summary class="row"><span class="label" title="${esc(name)}">${esc(name)}</span><span class="track"><span class="bar st-${esc(status)}" style="left:${left.toFixed(3)}%;width:${width.toFixed(3)}%"></span>${mark ? `<span class="xm" style="left:${Math.min(99, left + width).toFixed(3)}%">${mark}</span>` : ""}</span><span class="dur">${s.durationMs !== undefined ? esc(duration(s.durationMs)) : ""}</span></summary>
<div class="body"><p>${facts.join(" · ")}</p>${s.failure ? failure(s.failure) : ""}${retries.length > 0 ? `<ul class="retries">${retries.join("")}</ul>` : ""}${s.output.length > 0 ? lines(s.output, s.outputOmitted) : `<p class="none">no output</p>`}</div>
</details>`;
}

function failure(f: NonNullable<Step["failure"]>): string {
  const causes = f.causes.map((c) => `<li>${esc(c)}</li>`).join("");
  return `<div class="failure"><b>${esc(f.phase)}${f.step ? ` · ${esc(f.step)}` : ""}</b>: ${esc(f.message)}${causes ? `<ul>${causes}</ul>` : ""}</div>`;
}

function lines(out: Step["output"], omitted?: number): string {
  const text = out.map((l) =>
    l.level === "error" ? `<span class="err">${esc(l.text)}</span>` : esc(l.text),
  );
  if (omitted)
    text.splice(Math.ceil(out.length / 2), 0, `<span class="omit">… ${omitted} lines left out …</span>`);
  return `<pre>${text.join("\n")}</pre>`;
}

function statusWord(s: LaneStatus): string {
  return s === "ok" ? "built" : s;
}

function shortId(id: string): string {
  return id.startsWith("sha256:") ? id.slice(7, 19) : id.slice(0, 12);
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
}

export function bytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root{--ok:#2e9d5b;--cached:#4f7fc4;--failed:#d1392f;--cancelled:#a3a3a3;--unfinished:#e0a42b;--skipped:#bdbdbd;--fg:#1d1f23;--muted:#666;--line:#e3e3e3}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);margin:0 auto;padding:16px 24px;max-width:1400px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:22px 0 8px}h3{font-size:15px;margin:14px 0 4px}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.meta{margin:2px 0;color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;vertical-align:middle;background:var(--muted)}
.badge.st-ok,.badge.st-built{background:var(--ok)}.badge.st-cached{background:var(--cached)}.badge.st-failed{background:var(--failed)}
.badge.st-cancelled{background:var(--cancelled)}.badge.st-skipped{background:var(--skipped);color:#333}.badge.st-unfinished{background:var(--unfinished)}
.totals{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:150px}.card .k{color:var(--muted);font-size:12px}.card .v{font-size:16px;font-weight:600}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px;padding:6px}
.edge{fill:none;stroke:#9aa;stroke-width:1.5}
.gnode rect{fill:#fff;stroke:#888;stroke-width:1.5}.gnode text{font-size:12px;fill:var(--fg)}
.gnode.st-built rect,.gnode.st-ok rect{fill:#e3f4ea;stroke:var(--ok)}.gnode.st-cached rect{fill:#e6eefa;stroke:var(--cached)}
.gnode.st-failed rect{fill:#fbe4e2;stroke:var(--failed);stroke-width:2.5}.gnode.st-skipped rect{fill:#f4f4f4;stroke:#bbb;stroke-dasharray:4 3}
.gnode.st-cancelled rect{fill:#f0f0f0;stroke:var(--cancelled)}
.legend span{margin-right:14px;color:var(--muted)}.legend .bar{position:relative;display:inline-block;width:22px;height:10px;margin-right:4px;vertical-align:middle}
.lane{border-top:1px solid var(--line);padding:2px 0 6px}.lane small{color:var(--muted);font-weight:normal}
.row{display:grid;grid-template-columns:minmax(140px,22%) 1fr 64px;gap:8px;align-items:center;min-height:20px}
.axis .track{height:16px;color:var(--muted);font-size:11px}.axis .track span{position:absolute;transform:translateX(-50%);white-space:nowrap}
.axis .track span:first-child{transform:none}.axis .track span:last-child{transform:translateX(-100%)}
.label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.track{position:relative;height:14px;background:repeating-linear-gradient(90deg,transparent 0 calc(20% - 1px),var(--line) calc(20% - 1px) 20%)}
.bar{position:absolute;top:2px;height:10px;border-radius:2px;min-width:3px;background:var(--ok)}
.bar.st-cached{background:repeating-linear-gradient(135deg,var(--cached) 0 4px,#9fbbe6 4px 8px)}
.bar.st-failed{background:var(--failed)}.bar.st-cancelled{background:var(--cancelled)}.bar.st-unfinished{background:var(--unfinished)}.bar.st-skipped{background:var(--skipped)}
.xm{position:absolute;top:-3px;margin-left:3px;color:var(--failed);font-weight:bold}
.dur{text-align:right;color:var(--muted);font-size:12px}
details.step>summary{cursor:pointer;list-style:none;padding:1px 0}details.step>summary::-webkit-details-marker{display:none}
details.step>summary:hover{background:#f6f8fa}details.step[open]>summary{background:#eef2f7}
details.step.st-failed>summary .label{color:var(--failed);font-weight:600}details.step.st-cached>summary .label{color:var(--cached)}
.body{margin:4px 0 8px calc(min(22%,400px));padding:6px 10px;border-left:3px solid var(--line)}
.body p{margin:2px 0}
pre{background:#f6f8fa;padding:8px;border-radius:4px;max-height:420px;overflow:auto;white-space:pre-wrap;word-break:break-all;margin:4px 0}
.err{color:var(--failed)}.omit{color:var(--muted);font-style:italic}.none{color:var(--muted)}
.failure{background:#fbe4e2;border-left:3px solid var(--failed);padding:6px 10px;margin:4px 0}.failure ul{margin:2px 0 0 18px;padding:0}
.skip{color:var(--muted);margin:2px 0}.facts{margin:3px 0;color:var(--muted)}.facts code{color:var(--fg)}
`;
