// Package ui is the learner's picture of a Raft cluster, in the visual
// language of RaftScope (raft.github.io): servers as circles coloured by
// term with an arc for the election timer, one log row per server with
// uncommitted entries dashed, the leader's next and match markers under each
// follower's row, and messages as dots travelling between servers.
//
// The drawing is pure functions from a cluster state to SVG (render.mjs),
// shared by two pages:
//
//   - the live page (live.html), served at /ui by every member, which polls
//     each member's GET /debug/raft through the member that served it and
//     redraws; a member that does not answer is drawn down, with nothing
//     claimed about it (its commit index "?"), and when the serving member
//     itself stops answering the page says so and links to the others'
//     copies. With --experimental-debug-controls (loopback only) it adds
//     buttons to pause a member's clock, isolate it, transfer leadership and
//     put a key — disabled for a member that does not answer;
//   - the simulator's timeline (timeline.html), a recorded run with a
//     scrubber, play/pause and speed, so a learner sees the same picture for
//     a seed as for the real cluster.
//
// Both pages are single self-contained files (the renderer is inlined; no
// build step, no CDN). render_test.mjs tests the renderer with Node's
// built-in test runner (make ui-test); make ui-check takes screenshots of
// both pages with headless Chromium.
package ui
