// Tests of the renderer with Node's built-in test runner: node --test ui/
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  termColor, layoutServers, timerArc, messagesInFlight, logWindow,
  renderCluster, fromDebugViews, escapeXML, controlRows, MARKERS,
} from "./render.mjs";

function cluster() {
  return {
    now: 1000,
    servers: [
      { id: "a", name: "m1", role: "leader", term: 3, commit: 5, firstIndex: 1, lastIndex: 6,
        log: [1, 2, 3, 4, 5, 6].map((i) => ({ index: i, term: i < 4 ? 2 : 3, kind: "write" })),
        progress: { b: { match: 6, next: 7, state: "replicate" }, c: { match: 4, next: 5, state: "probe" } } },
      { id: "b", name: "m2", role: "follower", term: 3, commit: 5, firstIndex: 1, lastIndex: 6, electionElapsed: 3, electionTimeout: 12,
        log: [1, 2, 3, 4, 5, 6].map((i) => ({ index: i, term: i < 4 ? 2 : 3 })) },
      { id: "c", name: "m3 <x>", role: "follower", term: 3, commit: 4, firstIndex: 1, lastIndex: 4, electionElapsed: 0, electionTimeout: 15,
        log: [1, 2, 3, 4].map((i) => ({ index: i, term: i < 4 ? 2 : 3 })), isolated: true },
    ],
    messages: [
      { from: "a", to: "b", type: "MsgApp", term: 3, at: 900 },          // in flight
      { from: "b", to: "a", type: "MsgAppResp", term: 3, at: 100 },      // long arrived
    ],
  };
}

test("a term always gets the same colour, and neighbouring terms different ones", () => {
  assert.equal(termColor(4), termColor(4));
  for (let t = 1; t < 20; t++) assert.notEqual(termColor(t), termColor(t + 1));
  assert.equal(termColor(0), "#cccccc");
});

test("servers are laid out on a ring, inside the picture", () => {
  const p = layoutServers(5);
  assert.equal(p.length, 5);
  for (const { x, y } of p) {
    assert.ok(x > 0 && x < 460 && y > 0 && y < 560, `${x},${y}`);
  }
  assert.notDeepEqual(p[0], p[1]);
});

test("the election timer arc grows with the elapsed ticks", () => {
  assert.equal(timerArc(0, 10, 0, 0, 10), "");
  const half = timerArc(5, 10, 0, 0, 10);
  const most = timerArc(9, 10, 0, 0, 10);
  assert.match(half, /^M .* A 10 10 0 0 1 /);
  assert.match(most, / A 10 10 0 1 1 /); // the large-arc flag flips past half
});

test("only messages still crossing are drawn, at the right place", () => {
  const inFlight = messagesInFlight(cluster().messages, 1000, 400);
  assert.equal(inFlight.length, 1);
  assert.equal(inFlight[0].type, "MsgApp");
  assert.equal(inFlight[0].progress, 0.25);
});

test("the log window shows the newest entries", () => {
  assert.deepEqual(logWindow(cluster().servers, 24), { lo: 1, hi: 6 });
  assert.deepEqual(logWindow(cluster().servers, 3), { lo: 4, hi: 6 });
  assert.deepEqual(logWindow([], 3), { lo: 1, hi: 0 });
});

test("the picture shows servers, the leader, timers, messages and the logs", () => {
  const svg = renderCluster(cluster());
  assert.equal((svg.match(/<g class="server /g) || []).length, 3);
  assert.match(svg, /class="server leader"/);
  assert.equal((svg.match(/class="timer"/g) || []).length, 1, "one follower's timer has started");
  assert.equal((svg.match(/class="message"/g) || []).length, 1);
  assert.match(svg, /class="server follower isolated"/);
  assert.match(svg, /class="link cut"/);
  // m2 has committed up to 5: its entry 6 is dashed; m3 committed all it has.
  const m2 = svg.slice(svg.indexOf('class="logrow" data-id="b"'), svg.indexOf('class="logrow" data-id="c"'));
  assert.match(m2, /class="entry uncommitted [a-z]*" data-index="6"/);
  assert.doesNotMatch(m2, /uncommitted [a-z]*" data-index="5"/);
  // The leader's match and next markers under each follower's row: m3
  // holds up to 4 (match), the leader sends it 5 next.
  const m3 = svg.slice(svg.indexOf('class="logrow" data-id="c"'));
  const x = (index) => Number(m3.match(new RegExp(`data-index="${index}" x="([0-9.]+)"`))[1]);
  const boxW = x(2) - x(1);
  assert.match(m3, new RegExp(`class="marker match" x="${(x(4) + (boxW - 2) / 2).toFixed(1)}"[^>]*>m▲<`));
  assert.match(m3, new RegExp(`class="marker next" x="${(x(4) + boxW + (boxW - 2) / 2).toFixed(1)}"[^>]*>n▲<`));
  // Names are escaped.
  assert.match(svg, /m3 &lt;x&gt;/);
  assert.doesNotMatch(svg, /m3 <x>/);
});

test("a member that does not answer is drawn as down", () => {
  const members = [{ id: "a", name: "m1" }, { id: "b", name: "m2" }];
  const views = [{ id: "a", name: "m1", role: "leader", term: 2, commit: 1, first_index: 1, last_index: 1, log: [{ index: 1, term: 2 }],
    recent: [{ from: "a", to: "b", type: "MsgHeartbeat", term: 2, at: 50 }, { from: "b", to: "a", type: "MsgHeartbeatResp", term: 2, at: 60 }] }, null];
  const snap = fromDebugViews(views, members, 100);
  assert.equal(snap.servers[1].down, true);
  assert.equal(snap.messages.length, 1, "a member's record of a message it received is not drawn twice");
  assert.match(renderCluster(snap), /class="server follower down"/);
});

test("the legend names the markers with the marks drawn under the rows", () => {
  const svg = renderCluster(cluster());
  const legend = [...svg.matchAll(/<text class="legend"[^>]*>([^<]*)</g)].map((m) => m[1]).join(" ");
  const drawn = new Set([...svg.matchAll(/<text class="marker [a-z]+"[^>]*>([^<]*)</g)].map((m) => m[1]));
  assert.deepEqual([...drawn].sort(), ["m▲", "n▲"]);
  assert.match(legend, /m▲ match \(/);
  assert.match(legend, /n▲ next \(/);
  assert.doesNotMatch(legend, /n\/m/, "the old legend's n/m, which matched no mark");
  assert.deepEqual(MARKERS.map((k) => k.field), ["match", "next"]);
});

// The live page's snapshot of a cluster whose m3 is down (its /debug/raft
// relayed through the page's member failed).
function withM3Down() {
  const members = [{ id: "a", name: "m1" }, { id: "b", name: "m2" }, { id: "c", name: "m3" }];
  const up = (id, name, role) => ({ id, name, role, term: 3, commit: 7, applied: 7, first_index: 1, last_index: 7,
    log: [1, 2, 3, 4, 5, 6, 7].map((i) => ({ index: i, term: 3 })),
    progress: role === "leader" ? { a: { match: 7, next: 8 }, b: { match: 7, next: 8 }, c: { match: 5, next: 6 } } : undefined });
  const views = [up("a", "m1", "follower"), up("b", "m2", "leader"), null];
  return { members, views, snap: fromDebugViews(views, members, 1000) };
}

test("a member that is down shows its commit index as unknown, not 0", () => {
  const { snap } = withM3Down();
  const svg = renderCluster(snap);
  const row = (id) => svg.slice(svg.indexOf(`class="logrow" data-id="${id}"`)).split("</g>")[0];
  assert.match(row("c"), /<text class="commit"[^>]*>commit \?</);
  assert.doesNotMatch(row("c"), /commit 0/);
  assert.match(row("a"), /<text class="commit"[^>]*>commit 7</);
  assert.match(svg, /<g class="server follower down" data-id="c">/);
  assert.match(svg, /<g class="server follower down" data-id="c">.*?>down</);
});

test("a member that is down has its controls disabled, and the leader cannot be made leader", () => {
  const { members, views } = withM3Down();
  const html = controlRows(members, views);
  const rows = html.split("</tr>").filter(Boolean);
  assert.equal(rows.length, 3);
  const buttons = (row) => [...row.matchAll(/<button [^>]*>/g)].map((m) => m[0]);
  for (const b of buttons(rows[2])) assert.match(b, / disabled title="m3 does not answer"/);
  assert.match(rows[2], /m3 \(down\)/);
  for (const b of buttons(rows[0])) assert.doesNotMatch(b, /disabled/);
  const m2 = buttons(rows[1]);
  assert.match(m2.find((b) => /data-a="transfer"/.test(b)), /disabled title="m2 leads already"/);
  assert.equal(m2.filter((b) => /disabled/.test(b)).length, 1);
  // Back up: enabled again.
  views[2] = { id: "c", name: "m3", role: "follower", term: 3 };
  for (const b of buttons(controlRows(members, views).split("</tr>")[2])) assert.doesNotMatch(b, /disabled/);
});

test("text is escaped for XML", () => {
  assert.equal(escapeXML(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
});
