// Tests of the lanes under a member-level run's timeline: node --test ui/
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderLanes, lanesSummary, lanesLegend, timeAtX, xAtTime, laneGeometry, LANES_LEFT } from "./lanes.mjs";

// A small run: two members, one client, in microseconds.
function run() {
  return {
    seed: 7, members: ["m1", "m2 <x>"], clients: 1, duration: 10e6, healAt: 8e6,
    windowStart: 2e6, windowEnd: 3e6,
    roles: [
      { m: 0, id: "a1", role: "leader", term: 2, from: 0, to: 5e6 },
      { m: 0, id: "a1", role: "crashed", term: 0, from: 5e6, to: 10e6 },
      { m: 1, id: "b2", role: "follower", term: 2, from: 0, to: 10e6 },
    ],
    faults: [
      { kind: "net", m: -1, from: 1e6, to: 2e6, label: "partition [m1] | [m2]" },
      { kind: "crash", m: 0, from: 5e6, to: 5e6, label: "m1 crashed" },
    ],
    ops: [
      { c: 0, from: 1e6, to: 1.2e6, outcome: "ok", label: "put k=v" },
      { c: 0, from: 4e6, to: 6e6, outcome: "unknown", label: "get k" },
    ],
    msgs: [
      { f: 0, t: 1, s: 2.1e6, r: 2.2e6, type: "MsgApp" },
      { f: 1, t: 0, s: 9e6, r: 9.1e6, type: "MsgAppResp" }, // outside the window
    ],
  };
}

function count(svg, re) {
  return (svg.match(re) || []).length;
}

test("the overview draws every role span, fault and operation, and marks the window", () => {
  const svg = renderLanes(run(), 0, 10e6, 1000, false);
  assert.equal(count(svg, /class="role"/g), 3);
  assert.equal(count(svg, /class="fault"/g), 1);
  assert.equal(count(svg, /class="mark"/g), 1);
  assert.equal(count(svg, /class="op /g), 2);
  assert.equal(count(svg, /class="arrow"/g), 0, "the overview has no arrows");
  assert.match(svg, /stroke-dasharray="5 3"/, "the window is marked");
  assert.match(svg, /faults healed/);
  assert.match(svg, /m2 &lt;x&gt;/, "names are escaped");
  assert.doesNotMatch(svg, /<x>/);
});

test("the window draws only what overlaps it, with the messages as arrows", () => {
  const svg = renderLanes(run(), 2e6, 3e6, 1000, true);
  assert.equal(count(svg, /class="arrow"/g), 1, "only the message sent in the window");
  assert.equal(count(svg, /class="op /g), 0, "no operation overlaps [2s, 3s]");
  assert.equal(count(svg, /class="role"/g), 2, "the crash span starts after the window");
  assert.match(svg, /MsgApp m1 → m2 &lt;x&gt;/);
});

test("an operation whose outcome is unknown says when the client stopped waiting", () => {
  const svg = renderLanes(run(), 0, 10e6, 1000, false);
  assert.match(svg, /get k\n\(the client stopped waiting at 6\.000s\)/);
});

test("the summary gives the verdict", () => {
  assert.match(lanesSummary(run()), /PASSED/);
  const bad = { ...run(), violation: "lost write <k>" };
  assert.match(lanesSummary(bad), /VIOLATION: lost write &lt;k&gt;/);
});

test("the legend names every role", () => {
  for (const role of ["leader", "follower", "candidate", "learner", "crashed", "paused"]) {
    assert.match(lanesLegend(), new RegExp(role));
  }
});

test("a click on the lanes maps back to the time drawn there", () => {
  const width = 1000;
  assert.equal(timeAtX(LANES_LEFT, 2e6, 3e6, width), 2e6);
  assert.equal(timeAtX(width - 10, 2e6, 3e6, width), 3e6);
  assert.equal(timeAtX(0, 2e6, 3e6, width), 2e6, "left of the lanes is their start");
  const mid = LANES_LEFT + (width - LANES_LEFT - 10) / 2;
  assert.equal(timeAtX(mid, 0, 10e6, width), 5e6);
  for (const t of [2e6, 2.25e6, 2.5e6, 3e6]) assert.equal(timeAtX(xAtTime(t, 2e6, 3e6, width), 2e6, 3e6, width), t, "the cursor is drawn where a click lands");
  assert.equal(xAtTime(9e6, 2e6, 3e6, width), width - 10, "a time after the window is drawn at its right edge");
});

test("the lanes are tall enough for every member and client", () => {
  const g = laneGeometry(5, 3);
  assert.ok(g.cliTop > g.memTop + 5 * g.laneH);
  assert.ok(g.height > g.cliTop + 3 * g.opH);
});
