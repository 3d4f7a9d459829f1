// render.mjs — draw a Raft cluster as SVG, in RaftScope's visual language.
//
// Everything here is a pure function from data to strings: no DOM, no
// clock, no fetch. The live page (/ui) and the simulator's timeline call
// renderCluster with a snapshot of the cluster; the Node tests
// (render_test.mjs) call it with hand-made snapshots and check the SVG.
//
// A snapshot:
//
//   { now: <ms>,
//     servers: [{ id, name, role: "leader"|"follower"|"candidate"|"pre-candidate",
//                 term, vote, leader, commit, applied, firstIndex, lastIndex,
//                 log: [{index, term, kind}], electionElapsed, electionTimeout,
//                 progress: {<id>: {match, next, state}} (leader only),
//                 paused, isolated, down }],
//     (a server that is down — it did not answer — has only id, name and
//     down: nothing else about it is known, and nothing is drawn as if it
//     were: no term colour, no timer, "commit ?")
//     messages: [{ from, to, type, term, at: <ms>, entries, reject }] }

export const WIDTH = 1180;
export const HEIGHT = 560;

// How long a message takes to cross the picture. Real messages cross a
// loopback network in well under a millisecond; slowing them down is the
// only way to see them.
export const TRAVEL_MS = 400;

// Colours by term: consecutive terms get clearly different hues, and the
// same term always the same colour (as in RaftScope).
export function termColor(term) {
  if (!term) return "#cccccc";
  const hue = (term * 137.508) % 360; // the golden angle spreads hues evenly
  return `hsl(${hue.toFixed(1)}, 65%, 62%)`;
}

export function escapeXML(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// layoutServers places n servers on a ring on the left of the picture.
export function layoutServers(n, cx = 220, cy = 270, radius = 170) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(n, 1);
    out.push({ x: cx + radius * Math.cos(a), y: cy + radius * Math.sin(a) });
  }
  return out;
}

// timerArc is the election timer: an arc around a server that grows as the
// timeout approaches (empty when the timer was just reset, full when the
// server is about to start an election).
export function timerArc(elapsed, timeout, x, y, r) {
  if (!timeout || elapsed <= 0) return "";
  const f = Math.min(elapsed / timeout, 0.9999);
  const a0 = -Math.PI / 2;
  const a1 = a0 + 2 * Math.PI * f;
  const x0 = x + r * Math.cos(a0), y0 = y + r * Math.sin(a0);
  const x1 = x + r * Math.cos(a1), y1 = y + r * Math.sin(a1);
  const large = f > 0.5 ? 1 : 0;
  return `M ${x0.toFixed(1)} ${y0.toFixed(1)} A ${r} ${r} 0 ${large} 1 ${x1.toFixed(1)} ${y1.toFixed(1)}`;
}

// messageColor tells the kinds of messages apart.
export function messageColor(type) {
  if (/Vote/.test(type)) return "#e67e22";
  if (/Heartbeat/.test(type)) return "#95a5a6";
  if (/Snap/.test(type)) return "#8e44ad";
  if (/ReadIndex/.test(type)) return "#16a085";
  if (/TimeoutNow|TransferLeader/.test(type)) return "#c0392b";
  return "#2980b9"; // appends
}

// messagesInFlight returns the messages still crossing at time now, with
// their position (0 at the sender, 1 at the receiver).
export function messagesInFlight(messages, now, travel = TRAVEL_MS) {
  const out = [];
  for (const m of messages || []) {
    const age = now - m.at;
    if (age < 0 || age > travel) continue;
    out.push({ ...m, progress: age / travel });
  }
  return out;
}

// logWindow picks the log indexes to show: the newest maxCols of them.
export function logWindow(servers, maxCols = 24) {
  let hi = 0, lo = Infinity;
  for (const s of servers) {
    if (s.down) continue;
    hi = Math.max(hi, s.lastIndex || 0);
    lo = Math.min(lo, s.firstIndex || 1);
  }
  if (hi === 0) return { lo: 1, hi: 0 };
  lo = Math.max(lo === Infinity ? 1 : lo, hi - maxCols + 1, 1);
  return { lo, hi };
}

// MARKERS are the marks under a follower's log row: the leader's match
// index for it (the last entry the leader knows it holds) and its next
// index (the entry the leader sends it next).
export const MARKERS = [
  { field: "match", mark: "m▲", word: "match (the last entry it holds)" },
  { field: "next", mark: "n▲", word: "next (the one it gets next)" },
];

function roleLetter(role) {
  return { leader: "L", follower: "F", candidate: "C", "pre-candidate": "P" }[role] || "?";
}

function serverSVG(s, p, r) {
  const parts = [];
  const classes = ["server", s.role || "follower"];
  if (s.down) classes.push("down");
  if (s.isolated) classes.push("isolated");
  if (s.paused) classes.push("paused");
  const fill = s.down ? "#eeeeee" : termColor(s.term);
  const stroke = s.role === "leader" ? "#222" : "#666";
  const width = s.role === "leader" ? 4 : 1.5;
  const dash = s.isolated ? ' stroke-dasharray="6 4"' : "";
  parts.push(`<g class="${classes.join(" ")}" data-id="${escapeXML(s.id)}">`);
  parts.push(`<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="${r}" fill="${fill}" stroke="${stroke}" stroke-width="${width}"${dash}/>`);
  if (!s.down && s.role !== "leader") {
    const arc = timerArc(s.electionElapsed, s.electionTimeout, p.x, p.y, r + 7);
    if (arc) parts.push(`<path class="timer" d="${arc}" fill="none" stroke="#333" stroke-width="3"/>`);
  }
  if (s.role === "leader" && !s.down) {
    parts.push(`<circle class="crown" cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="${r + 7}" fill="none" stroke="#222" stroke-width="1" stroke-dasharray="2 3"/>`);
  }
  parts.push(`<text x="${p.x.toFixed(1)}" y="${(p.y - 6).toFixed(1)}" text-anchor="middle" font-size="15" font-weight="bold">${escapeXML(s.name || s.id)}</text>`);
  const status = s.down ? "down" : `${roleLetter(s.role)} · term ${s.term}`;
  parts.push(`<text x="${p.x.toFixed(1)}" y="${(p.y + 12).toFixed(1)}" text-anchor="middle" font-size="12">${escapeXML(status)}</text>`);
  const flags = [s.paused ? "clock paused" : "", s.isolated ? "isolated" : ""].filter(Boolean).join(", ");
  if (flags) parts.push(`<text x="${p.x.toFixed(1)}" y="${(p.y + r + 24).toFixed(1)}" text-anchor="middle" font-size="11" fill="#c0392b">${flags}</text>`);
  parts.push(`</g>`);
  return parts.join("");
}

// renderCluster draws the whole picture.
export function renderCluster(snap, opts = {}) {
  const servers = snap.servers || [];
  const width = opts.width || WIDTH, height = opts.height || HEIGHT;
  const travel = opts.travelMs || TRAVEL_MS;
  const pos = layoutServers(servers.length);
  const index = new Map(servers.map((s, i) => [s.id, i]));
  const r = servers.length > 5 ? 30 : 40;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fcfcfc"/>`);

  // Links between servers, faint; red when either end is isolated.
  for (let i = 0; i < servers.length; i++) {
    for (let j = i + 1; j < servers.length; j++) {
      const cut = servers[i].isolated || servers[j].isolated || servers[i].down || servers[j].down;
      out.push(`<line class="link${cut ? " cut" : ""}" x1="${pos[i].x.toFixed(1)}" y1="${pos[i].y.toFixed(1)}" x2="${pos[j].x.toFixed(1)}" y2="${pos[j].y.toFixed(1)}" stroke="${cut ? "#e74c3c" : "#dddddd"}" stroke-width="1"${cut ? ' stroke-dasharray="4 4"' : ""}/>`);
    }
  }
  servers.forEach((s, i) => out.push(serverSVG(s, pos[i], r)));

  // Messages as dots moving from sender to receiver.
  for (const m of messagesInFlight(snap.messages, snap.now, travel)) {
    const a = index.get(m.from), b = index.get(m.to);
    if (a === undefined || b === undefined) continue;
    const x = pos[a].x + (pos[b].x - pos[a].x) * m.progress;
    const y = pos[a].y + (pos[b].y - pos[a].y) * m.progress;
    const response = /Resp$/.test(m.type);
    out.push(`<circle class="message" data-type="${escapeXML(m.type)}" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${response ? 4 : 6}" fill="${messageColor(m.type)}"${m.reject ? ' stroke="#c0392b" stroke-width="2"' : ""}><title>${escapeXML(m.type)} term ${m.term}</title></circle>`);
  }

  // Log rows on the right.
  const { lo, hi } = logWindow(servers, opts.maxCols || 24);
  const left = 470, top = 50, rowH = Math.min(64, (height - top - 40) / Math.max(servers.length, 1));
  const labelW = 90;
  const cols = Math.max(hi - lo + 1, 1);
  const boxW = Math.min(30, (width - left - labelW - 20) / cols);
  // The legend names the markers with the marks themselves, so that the
  // words and the picture cannot disagree.
  out.push(`<text class="legend" x="${left}" y="20" font-size="13" fill="#555">log (index ${hi >= lo ? `${lo}–${hi}` : "empty"}) — dashed: not committed yet</text>`);
  out.push(`<text class="legend" x="${left}" y="38" font-size="12" fill="#555">under a follower's row, the leader's ${MARKERS.map((k) => `${k.mark} ${k.word}`).join(" · ")}</text>`);
  const leader = servers.find((s) => s.role === "leader" && !s.down);
  servers.forEach((s, row) => {
    const y = top + row * rowH;
    out.push(`<g class="logrow" data-id="${escapeXML(s.id)}">`);
    out.push(`<text x="${left}" y="${(y + 20).toFixed(1)}" font-size="13" font-weight="bold">${escapeXML(s.name || s.id)}</text>`);
    out.push(`<text class="commit" x="${left}" y="${(y + 35).toFixed(1)}" font-size="10" fill="#555">commit ${s.down || s.commit == null ? "?" : s.commit}</text>`);
    for (const e of s.log || []) {
      if (e.index < lo || e.index > hi) continue;
      const x = left + labelW + (e.index - lo) * boxW;
      const uncommitted = e.index > (s.commit || 0);
      const cls = `entry${uncommitted ? " uncommitted" : ""} ${escapeXML(e.kind || "write")}`;
      out.push(`<rect class="${cls}" data-index="${e.index}" x="${x.toFixed(1)}" y="${(y + 6).toFixed(1)}" width="${(boxW - 2).toFixed(1)}" height="26" fill="${termColor(e.term)}" stroke="#333" stroke-width="${uncommitted ? 1.5 : 1}"${uncommitted ? ' stroke-dasharray="4 3" fill-opacity="0.55"' : ""}/>`);
      if (boxW >= 14) out.push(`<text x="${(x + (boxW - 2) / 2).toFixed(1)}" y="${(y + 24).toFixed(1)}" text-anchor="middle" font-size="11">${e.term}</text>`);
    }
    // The leader's view of this follower: next (n) and match (m).
    const pr = leader && leader.progress && s.id !== leader.id ? leader.progress[s.id] : null;
    if (pr) {
      for (const k of MARKERS) {
        const idx = pr[k.field];
        if (idx < lo || idx > hi + 1) continue;
        const x = left + labelW + (idx - lo) * boxW + (boxW - 2) / 2;
        out.push(`<text class="marker ${k.field}" x="${x.toFixed(1)}" y="${(y + 46).toFixed(1)}" text-anchor="middle" font-size="11" fill="#333">${k.mark}</text>`);
      }
    }
    out.push(`</g>`);
  });
  out.push(`</svg>`);
  return out.join("");
}

// fromDebugViews turns what GET /debug/raft returns (one object per member,
// or null for a member that did not answer) into a snapshot.
export function fromDebugViews(views, members, now) {
  const servers = [];
  const messages = [];
  const seen = new Set();
  members.forEach((m, i) => {
    const v = views[i];
    if (!v) {
      servers.push({ id: m.id, name: m.name, down: true, term: 0, commit: null, log: [] });
      return;
    }
    servers.push({
      id: v.id, name: v.name || m.name, role: v.role, term: v.term, vote: v.vote, leader: v.leader,
      commit: v.commit, applied: v.applied, firstIndex: v.first_index, lastIndex: v.last_index,
      log: v.log || [], electionElapsed: v.election_elapsed, electionTimeout: v.election_timeout,
      progress: v.progress || null, paused: !!v.paused, isolated: !!v.isolated, down: false,
    });
    // Every message shows up twice (the sender's record and the receiver's):
    // keep the sender's.
    for (const msg of v.recent || []) {
      if (msg.from !== v.id) continue;
      const key = `${msg.from}>${msg.to}@${msg.at}:${msg.type}:${msg.index}`;
      if (seen.has(key)) continue;
      seen.add(key);
      messages.push({ from: msg.from, to: msg.to, type: msg.type, term: msg.term, at: msg.at, entries: msg.entries, reject: msg.reject });
    }
  });
  return { now, servers, messages };
}

// controlRows is the table of the live page's controls, one row per member:
// a member that does not answer gets its buttons disabled (a control sent
// to it could only fail), and so does "make leader" for the member that
// already leads. views are the members' last /debug/raft answers, null for
// one that did not answer.
export function controlRows(members, views) {
  return members.map((m, i) => {
    const v = views[i];
    const down = !v;
    const off = (why) => (why ? ` disabled title="${escapeXML(why)}"` : "");
    const why = down ? `${m.name} does not answer` : "";
    const leads = v && v.role === "leader" ? `${m.name} leads already` : "";
    return `<tr class="${down ? "down" : "up"}" data-id="${escapeXML(m.id)}"><th>${escapeXML(m.name)}${down ? " (down)" : ""}</th>` +
      `<td><button data-i="${i}" data-a="pause"${off(why)}>pause clock</button><button data-i="${i}" data-a="resume"${off(why)}>resume clock</button></td>` +
      `<td><button data-i="${i}" data-a="isolate"${off(why)}>isolate</button><button data-i="${i}" data-a="heal"${off(why)}>reconnect</button></td>` +
      `<td><button data-i="${i}" data-a="transfer"${off(why || leads)}>make leader</button></td></tr>`;
  }).join("");
}
