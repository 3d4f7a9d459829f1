package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteHTML writes the timeline as one self-contained HTML page: plain
// JavaScript draws SVG from the data embedded in the page, with nothing
// loaded from anywhere else, so the file opens offline in any browser.
//
// The page has two views. The overview spans the whole run: a lane per
// member coloured by role (leader, follower, candidate, learner, down,
// paused) and labelled with terms, faults shaded across the lanes they
// hit, and a lane per client with its operations as bars (green answered,
// red refused, grey unknown). The window view zooms into a few seconds
// and adds every raft message sent in them as an arrow from sender to
// receiver. Hovering over anything shows what it is.
func (t *Timeline) WriteHTML(w io.Writer) error {
	data, err := json.Marshal(t) // escapes <, > and &, so it is safe inside <script>
	if err != nil {
		return err
	}
	title := fmt.Sprintf("raftsim -mode member -seed %d", t.Seed)
	page := strings.NewReplacer("{{TITLE}}", title, "{{DATA}}", string(data)).Replace(timelinePage)
	_, err = io.WriteString(w, page)
	return err
}

const timelinePage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{TITLE}}</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 18px; margin: 0 0 4px; }
h2 { font-size: 14px; margin: 18px 0 4px; }
.verdict { font-weight: 600; }
.pass { color: #1a7f37; } .fail { color: #c0392b; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; border: 1px solid #999; }
svg { display: block; border: 1px solid #ddd; background: #fcfcfc; }
svg text { font: 11px system-ui, sans-serif; }
#tip { position: fixed; pointer-events: none; background: #222; color: #fff; padding: 4px 7px; border-radius: 3px; font-size: 12px; max-width: 640px; display: none; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>{{TITLE}}</h1>
<div id="summary"></div>
<div class="legend" id="legend"></div>
<h2>The whole run</h2>
<svg id="overview"></svg>
<h2 id="wtitle">Messages in the window</h2>
<svg id="window"></svg>
<div id="tip"></div>
<script type="application/json" id="data">{{DATA}}</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const NS = "http://www.w3.org/2000/svg";
const roleColor = {
  leader: "#f2b807", follower: "#9cc3e6", candidate: "#f07f3c", "pre-candidate": "#f7b58c",
  learner: "#b7dfa5", crashed: "#8c8c8c", removed: "#4d4d4d", paused: "#a17dc9", starting: "#e6e6e6",
};
const faultColor = { net: "rgba(220,60,60,0.13)", pause: "rgba(120,70,180,0.25)", disk: "rgba(150,90,30,0.30)" };
const opColor = { ok: "#3a9d5d", failed: "#d9534f", unknown: "#9e9e9e" };
const msgColor = (t) => t.startsWith("MsgApp") ? "#2b6cb0" : t.startsWith("MsgHeartbeat") ? "#9aa5b1" :
  t.includes("Vote") ? "#e07b00" : t.startsWith("MsgSnap") ? "#c0392b" : t.startsWith("MsgReadIndex") ? "#16a085" : "#555";
const sec = (us) => (us / 1e6).toFixed(3) + "s";

const tip = document.getElementById("tip");
function hover(el, text) {
  el.addEventListener("mousemove", (e) => { tip.style.display = "block"; tip.textContent = text;
    tip.style.left = (e.clientX + 12) + "px"; tip.style.top = (e.clientY + 12) + "px"; });
  el.addEventListener("mouseleave", () => { tip.style.display = "none"; });
}
function el(parent, name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  parent.appendChild(e);
  return e;
}

document.getElementById("summary").innerHTML =
  "<span class='verdict " + (D.violation ? "fail'>VIOLATION: " + D.violation.replace(/&/g, "&amp;").replace(/</g, "&lt;") : "pass'>PASSED: every check held") +
  "</span> — " + D.members.length + " members, " + D.clients + " clients, " + sec(D.duration) +
  " simulated; faults stop at " + sec(D.healAt) + ".";
const lg = document.getElementById("legend");
for (const [k, c] of Object.entries(roleColor)) lg.innerHTML += "<span><i style='background:" + c + "'></i>" + k + "</span>";
lg.innerHTML += "<br><span><i style='background:" + faultColor.net + "'></i>network fault</span>" +
  "<span><i style='background:" + faultColor.disk + "'></i>slow disk</span>" +
  "<span><i style='background:" + faultColor.pause + "'></i>paused</span>" +
  "<span><i style='background:#c0392b'></i>crash / bit flip</span>" +
  "<span><i style='background:" + opColor.ok + "'></i>op answered</span>" +
  "<span><i style='background:" + opColor.failed + "'></i>op refused</span>" +
  "<span><i style='background:" + opColor.unknown + "'></i>op outcome unknown</span>";

// draw renders lanes for [t0, t1] into svg; arrows adds the messages.
function draw(svg, t0, t1, width, arrows) {
  const left = 70, laneH = 26, gap = 6, opH = 9;
  const nm = D.members.length, nc = D.clients;
  const memTop = 22, cliTop = memTop + nm * (laneH + gap) + 14;
  const height = cliTop + nc * (opH + 4) + 24;
  svg.setAttribute("width", width); svg.setAttribute("height", height);
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  const x = (t) => left + (Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0) * (width - left - 10);
  const laneY = (m) => memTop + m * (laneH + gap);
  // Time axis.
  const span = (t1 - t0) / 1e6, step = span > 20 ? 5 : span > 8 ? 1 : span > 3 ? 0.5 : 0.1;
  for (let s = Math.ceil(t0 / 1e6 / step) * step; s <= t1 / 1e6 + 1e-9; s += step) {
    const xx = x(s * 1e6);
    el(svg, "line", { x1: xx, x2: xx, y1: 14, y2: height - 8, stroke: "#eee" });
    el(svg, "text", { x: xx + 2, y: 11, fill: "#888" }, (+s.toFixed(1)) + "s");
  }
  // Member lanes: roles and terms.
  D.members.forEach((name, m) => el(svg, "text", { x: 6, y: laneY(m) + laneH / 2 + 4 }, name));
  for (const r of D.roles) {
    if (r.to < t0 || r.from > t1) continue;
    const x0 = x(r.from), x1 = Math.max(x(r.to), x0 + 0.5);
    const rect = el(svg, "rect", { x: x0, y: laneY(r.m), width: x1 - x0, height: laneH, fill: roleColor[r.role] || "#ccc" });
    hover(rect, D.members[r.m] + " (member " + r.id + "): " + r.role + (r.term ? " in term " + r.term : "") + "\n" + sec(r.from) + " – " + sec(r.to));
    if (r.term && x1 - x0 > 26) el(svg, "text", { x: x0 + 3, y: laneY(r.m) + laneH / 2 + 4, fill: "#333" }, "t" + r.term);
  }
  // Faults: network faults across every lane, the others on their lane.
  for (const f of D.faults) {
    if (f.to < t0 || f.from > t1) continue;
    const x0 = x(f.from), x1 = Math.max(x(f.to), x0 + 2);
    if (f.kind === "crash" || f.kind === "corrupt") {
      const y = laneY(f.m);
      const mark = el(svg, "path", { d: "M" + x0 + "," + (y - 2) + " l-5,-7 h10 z", fill: "#c0392b" });
      hover(mark, sec(f.from) + "  " + f.label);
      continue;
    }
    const y = f.m < 0 ? memTop - 4 : laneY(f.m), h = f.m < 0 ? nm * (laneH + gap) + 2 : laneH;
    const rect = el(svg, "rect", { x: x0, y: y, width: x1 - x0, height: h, fill: faultColor[f.kind] || "rgba(0,0,0,0.1)" });
    hover(rect, sec(f.from) + " – " + sec(f.to) + "  " + f.label);
  }
  // The calm period, in which the cluster must make progress.
  if (D.healAt >= t0 && D.healAt <= t1) {
    el(svg, "line", { x1: x(D.healAt), x2: x(D.healAt), y1: 14, y2: height - 8, stroke: "#1a7f37", "stroke-dasharray": "4 3" });
    el(svg, "text", { x: x(D.healAt) + 3, y: height - 10, fill: "#1a7f37" }, "faults healed");
  }
  // Client operations.
  for (let c = 0; c < nc; c++) el(svg, "text", { x: 6, y: cliTop + c * (opH + 4) + opH }, "client " + c);
  for (const o of D.ops) {
    if (o.to < t0 || o.from > t1) continue;
    const x0 = x(o.from), x1 = Math.max(x(o.to), x0 + 1.5);
    const rect = el(svg, "rect", { x: x0, y: cliTop + o.c * (opH + 4), width: x1 - x0, height: opH,
      fill: opColor[o.outcome], opacity: 0.9 });
    hover(rect, o.label + (o.outcome === "unknown" ? "\n(the client stopped waiting at " + sec(o.to) + ")" : ""));
  }
  if (!arrows) return;
  // Messages, from the sender's lane at sending to the receiver's at arrival.
  for (const a of D.msgs) {
    if (a.r < t0 || a.s > t1) continue;
    const y0 = laneY(a.f) + laneH / 2, y1 = laneY(a.t) + laneH / 2;
    const line = el(svg, "line", { x1: x(a.s), y1: y0, x2: x(a.r), y2: y1, stroke: msgColor(a.type), "stroke-width": 1, opacity: 0.75,
      "marker-end": "url(#head)" });
    hover(line, a.type + " " + D.members[a.f] + " → " + D.members[a.t] + "\nsent " + sec(a.s) + ", arrived " + sec(a.r));
  }
}

const width = Math.max(900, window.innerWidth - 60);
const ov = document.getElementById("overview");
draw(ov, 0, D.duration, width, false);
if (D.windowEnd > D.windowStart) {
  // Mark the window on the overview.
  const left = 70, w = width - left - 10;
  const x0 = left + D.windowStart / D.duration * w, x1 = left + Math.min(D.windowEnd, D.duration) / D.duration * w;
  el(ov, "rect", { x: x0, y: 14, width: Math.max(x1 - x0, 2), height: ov.getAttribute("height") - 20, fill: "none", stroke: "#2b6cb0", "stroke-width": 1.5, "stroke-dasharray": "5 3" });
  const wv = document.getElementById("window");
  const defs = el(wv, "defs", {});
  const mk = el(defs, "marker", { id: "head", viewBox: "0 0 6 6", refX: 6, refY: 3, markerWidth: 5, markerHeight: 5, orient: "auto" });
  el(mk, "path", { d: "M0,0 L6,3 L0,6 z", fill: "#555" });
  draw(wv, D.windowStart, D.windowEnd, width, true);
  document.getElementById("wtitle").textContent = "Messages from " + sec(D.windowStart) + " to " + sec(D.windowEnd) +
    " (" + D.msgs.length + " arrows" + (D.msgsCut ? ", " + D.msgsCut + " more not drawn" : "") +
    "; blue appends, grey heartbeats, orange votes, red snapshots, teal read index)";
} else {
  document.getElementById("wtitle").textContent = "No message window";
}
</script>
</body>
</html>
`
