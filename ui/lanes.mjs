// Lanes: a whole member-level simulator run at a glance, under the picture
// of the timeline page. One lane per member, coloured by role and labelled
// with terms; faults shaded across the lanes they hit; one lane per client
// with its operations as bars (green answered, red refused, grey unknown);
// and, for a chosen window, every raft message as an arrow from sender to
// receiver. Like render.mjs, these are pure functions from data to SVG text,
// tested with Node's test runner (lanes_test.mjs). Times are virtual
// microseconds, as the simulator records them.

import { escapeXML, messageColor } from "./render.mjs";

export const ROLE_COLORS = {
  leader: "#f2b807", follower: "#9cc3e6", candidate: "#f07f3c", "pre-candidate": "#f7b58c",
  learner: "#b7dfa5", crashed: "#8c8c8c", removed: "#4d4d4d", stopped: "#b0b0b0", paused: "#a17dc9", starting: "#e6e6e6",
};
export const FAULT_COLORS = { net: "rgba(220,60,60,0.13)", pause: "rgba(120,70,180,0.25)", disk: "rgba(150,90,30,0.30)" };
export const OP_COLORS = { ok: "#3a9d5d", failed: "#d9534f", unknown: "#9e9e9e" };

export const LANES_LEFT = 70;

export function seconds(us) {
  return (us / 1e6).toFixed(3) + "s";
}

// laneGeometry says where everything goes for a run with nm members and nc
// clients.
export function laneGeometry(nm, nc) {
  const laneH = 26, gap = 6, opH = 9, memTop = 22;
  const cliTop = memTop + nm * (laneH + gap) + 14;
  return { laneH, gap, opH, memTop, cliTop, height: cliTop + nc * (opH + 4) + 24 };
}

function tag(name, attrs, body) {
  let s = "<" + name;
  for (const k in attrs) s += " " + k + '="' + escapeXML(String(attrs[k])) + '"';
  if (body === undefined) return s + "/>";
  return s + ">" + body + "</" + name + ">";
}

// A hover text, as SVG's own tooltip.
function title(text) {
  return "<title>" + escapeXML(text) + "</title>";
}

// renderLanes draws lanes (the simulator's Timeline) for [t0, t1] at the
// given width; with arrows, the window's messages too. It returns an <svg>.
export function renderLanes(D, t0, t1, width, arrows) {
  const nm = D.members.length, nc = D.clients;
  const g = laneGeometry(nm, nc);
  const x = (t) => xAtTime(t, t0, t1, width);
  const laneY = (m) => g.memTop + m * (g.laneH + g.gap);
  const out = [];
  out.push('<defs><marker id="head" viewBox="0 0 6 6" refX="6" refY="3" markerWidth="5" markerHeight="5" orient="auto"><path d="M0,0 L6,3 L0,6 z" fill="#555"/></marker></defs>');
  // Time axis.
  const secs = (t1 - t0) / 1e6, step = secs > 20 ? 5 : secs > 8 ? 1 : secs > 3 ? 0.5 : 0.1;
  for (let s = Math.ceil(t0 / 1e6 / step) * step; s <= t1 / 1e6 + 1e-9; s += step) {
    const xx = x(s * 1e6).toFixed(1);
    out.push(tag("line", { x1: xx, x2: xx, y1: 14, y2: g.height - 8, stroke: "#eee" }));
    if (+xx < width - 30) out.push(tag("text", { x: (+xx + 2).toFixed(1), y: 11, fill: "#888" }, (+s.toFixed(1)) + "s"));
  }
  // Member lanes: roles and terms.
  D.members.forEach((name, m) => out.push(tag("text", { x: 6, y: laneY(m) + g.laneH / 2 + 4 }, escapeXML(name))));
  for (const r of D.roles || []) {
    if (r.to < t0 || r.from > t1) continue;
    const x0 = x(r.from), x1 = Math.max(x(r.to), x0 + 0.5);
    const what = D.members[r.m] + " (member " + r.id + "): " + r.role + (r.term ? " in term " + r.term : "") + "\n" + seconds(r.from) + " – " + seconds(r.to);
    out.push(tag("rect", { class: "role", "data-t": r.from, x: x0.toFixed(1), y: laneY(r.m), width: (x1 - x0).toFixed(1), height: g.laneH, fill: ROLE_COLORS[r.role] || "#ccc" }, title(what)));
    if (r.term && x1 - x0 > 26) out.push(tag("text", { x: (x0 + 3).toFixed(1), y: laneY(r.m) + g.laneH / 2 + 4, fill: "#333" }, "t" + r.term));
  }
  // Faults: network faults across every lane, the others on their lane;
  // crashes and bit flips as marks.
  for (const f of D.faults || []) {
    if (f.to < t0 || f.from > t1) continue;
    const x0 = x(f.from), x1 = Math.max(x(f.to), x0 + 2);
    if (f.kind === "crash" || f.kind === "corrupt") {
      const y = laneY(f.m);
      out.push(tag("path", { class: "mark", "data-t": f.from, d: "M" + x0.toFixed(1) + "," + (y - 2) + " l-5,-7 h10 z", fill: "#c0392b" }, title(seconds(f.from) + "  " + f.label)));
      continue;
    }
    const y = f.m < 0 ? g.memTop - 4 : laneY(f.m), h = f.m < 0 ? nm * (g.laneH + g.gap) + 2 : g.laneH;
    out.push(tag("rect", { class: "fault", "data-t": f.from, x: x0.toFixed(1), y, width: (x1 - x0).toFixed(1), height: h, fill: FAULT_COLORS[f.kind] || "rgba(0,0,0,0.1)" },
      title(seconds(f.from) + " – " + seconds(f.to) + "  " + f.label)));
  }
  // The calm period, in which the cluster must make progress.
  if (D.healAt >= t0 && D.healAt <= t1) {
    const hx = x(D.healAt).toFixed(1);
    out.push(tag("line", { x1: hx, x2: hx, y1: 14, y2: g.height - 8, stroke: "#1a7f37", "stroke-dasharray": "4 3" }));
    out.push(tag("text", { x: (+hx + 3).toFixed(1), y: g.height - 10, fill: "#1a7f37" }, "faults healed"));
  }
  // Client operations.
  for (let c = 0; c < nc; c++) out.push(tag("text", { x: 6, y: g.cliTop + c * (g.opH + 4) + g.opH }, "client " + c));
  for (const o of D.ops || []) {
    if (o.to < t0 || o.from > t1) continue;
    const x0 = x(o.from), x1 = Math.max(x(o.to), x0 + 1.5);
    const what = o.label + (o.outcome === "unknown" ? "\n(the client stopped waiting at " + seconds(o.to) + ")" : "");
    out.push(tag("rect", { class: "op " + o.outcome, "data-t": o.from, x: x0.toFixed(1), y: g.cliTop + o.c * (g.opH + 4), width: (x1 - x0).toFixed(1), height: g.opH, fill: OP_COLORS[o.outcome], opacity: 0.9 }, title(what)));
  }
  if (arrows) {
    // Messages, from the sender's lane at sending to the receiver's at arrival.
    for (const a of D.msgs || []) {
      if (a.r < t0 || a.s > t1) continue;
      const y0 = laneY(a.f) + g.laneH / 2, y1 = laneY(a.t) + g.laneH / 2;
      out.push(tag("line", { class: "arrow", "data-t": a.s, x1: x(a.s).toFixed(1), y1: y0, x2: x(a.r).toFixed(1), y2: y1, stroke: messageColor(a.type), "stroke-width": 1, opacity: 0.75, "marker-end": "url(#head)" },
        title(a.type + " " + D.members[a.f] + " → " + D.members[a.t] + "\nsent " + seconds(a.s) + ", arrived " + seconds(a.r))));
    }
  }
  // The window's place on the overview.
  if (!arrows && D.windowEnd > D.windowStart) {
    const x0 = x(D.windowStart), x1 = x(Math.min(D.windowEnd, D.duration));
    out.push(tag("rect", { x: x0.toFixed(1), y: 14, width: Math.max(x1 - x0, 2).toFixed(1), height: g.height - 20, fill: "none", stroke: "#2b6cb0", "stroke-width": 1.5, "stroke-dasharray": "5 3" }));
  }
  return tag("svg", { xmlns: "http://www.w3.org/2000/svg", width, height: g.height, viewBox: "0 0 " + width + " " + g.height }, out.join(""));
}

// lanesSummary is the verdict line above the lanes.
export function lanesSummary(D) {
  const verdict = D.violation
    ? '<span class="verdict fail">VIOLATION: ' + escapeXML(D.violation) + "</span>"
    : '<span class="verdict pass">PASSED: every check held</span>';
  return verdict + " — " + D.members.length + " members, " + D.clients + " clients, " + seconds(D.duration) +
    " simulated; faults stop at " + seconds(D.healAt) + ".";
}

// lanesLegend explains the colours.
export function lanesLegend() {
  const item = (color, label) => '<span><i style="background:' + color + '"></i>' + escapeXML(label) + "</span>";
  let s = "";
  for (const [k, c] of Object.entries(ROLE_COLORS)) s += item(c, k);
  return s + "<br>" + item(FAULT_COLORS.net, "network fault") + item(FAULT_COLORS.disk, "slow disk") + item(FAULT_COLORS.pause, "paused") +
    item("#c0392b", "crash / bit flip") + item(OP_COLORS.ok, "op answered") + item(OP_COLORS.failed, "op refused") + item(OP_COLORS.unknown, "op outcome unknown");
}

// xAtTime is where time t is drawn on lanes drawn for [t0, t1] at width;
// times outside are drawn at the nearer edge.
export function xAtTime(t, t0, t1, width) {
  const span = Math.max(t1 - t0, 1);
  return LANES_LEFT + (Math.min(Math.max(t, t0), t1) - t0) / span * (width - LANES_LEFT - 10);
}

// timeAtX turns a click on an SVG drawn for [t0, t1] at width into a
// virtual time, so that a click on the lanes moves the picture there.
export function timeAtX(px, t0, t1, width) {
  const f = (px - LANES_LEFT) / (width - LANES_LEFT - 10);
  return t0 + Math.min(Math.max(f, 0), 1) * (t1 - t0);
}
