// Tests of the renderer with Node's built-in test runner: node --test ui/
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  termColor, layoutServers, timerArc, messagesInFlight, logWindow,
  renderCluster, fromDebugViews, escapeXML,
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
  // The leader's next and match markers under each follower's row.
  const m3 = svg.slice(svg.indexOf('class="logrow" data-id="c"'));
  assert.match(m3, /class="marker m"/);
  assert.match(m3, /class="marker n"/);
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

test("text is escaped for XML", () => {
  assert.equal(escapeXML(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
});
