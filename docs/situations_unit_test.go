package docs_test

import (
	"os"
	"strings"
	"testing"
)

// Each situation check passes the run a page quotes, and fails it once the
// story is changed — one fact at a time.
func TestSituationChecks(t *testing.T) {
	for _, c := range []struct {
		name  string
		run   string
		wrong map[string]string // what changes the story: old line part -> new
	}{
		{"isolated-leader", `
   0.218s  m3 became leader at term 2
   1.376s  fault: isolate leader m3
   2.986s  m2 became leader at term 3
   3.000s  m1:F/t3/a145/r96 m2:L/t3/a145/r96 m3:L/t2/a144/r96 m4:F/t3/a145/r96 m5:F/t3/a145/r96
   3.211s  m3 stepped down at term 2 (now follower)
   4.200s  fault: heal network`, map[string]string{
			"0.218s  m3 became leader": "0.218s  m1 became leader",
			"2.986s  m2 became leader": "2.986s  m3 became leader",
			"3.211s  m3 stepped down":  "3.211s  m4 stepped down",
			"3.211s  m3 stepped down at term 2 (now follower)\n   4.200s  fault: heal network": "3.100s  fault: heal network\n   3.211s  m3 stepped down at term 2 (now follower)",
			"1.376s  fault: isolate leader ": "1.376s  fault: crash ",
		}},
		{"isolated-leader-until-heal", `
   0.988s  n3 became leader at term 2
   1.074s  fault: isolate leader n3
   2.023s  n1 became leader at term 3
   3.000s  n1:L/t3/c44/a44 n2:F/t3/c44/a44 n3:L/t2/c7/a7
   3.766s  fault: heal network
   3.785s  n3 stepped down at term 3 (now follower)`, map[string]string{
			"3.766s  fault: heal network\n   3.785s  n3 stepped down at term 3 (now follower)": "3.785s  n3 stepped down at term 3 (now follower)\n   3.900s  fault: heal network",
			"3.785s  n3 stepped down": "3.785s  n2 stepped down",
		}},
		{"two-leaders", `
   0.218s  m3 became leader at term 2
   1.376s  fault: isolate leader m3
   2.986s  m2 became leader at term 3
   3.000s  m1:F/t3/a145/r96 m2:L/t3/a145/r96 m3:L/t2/a144/r96 m4:F/t3/a145/r96 m5:F/t3/a145/r96
   3.211s  m3 stepped down at term 2 (now follower)`, map[string]string{
			"m3:L/t2/a144/r96": "m3:F/t2/a144/r96",
			"m2:L/t3/a145/r96": "m2:F/t3/a145/r96",
		}},
		{"torn-tail", `
   1.641s  fault: m3's disk will fail after 1 more writes
   1.645s  m3 crashed: its disk failed in the middle of a write
   1.645s  m3's WAL now ends in a torn write at offset 8696 of 0000000000000000-0000000000000000.wal (…): the restart will cut it off
   3.483s  m3 restarted (member 2271557c7161c5a8)
   4.000s  m1:F/t2/a193/r136 m2:L/t2/a193/r136 m3:F/t2/a193/r136
   4.447s  m2 crashed: power failure
   5.497s  m3 became leader at term 3`, map[string]string{
			"m3's WAL now ends in a torn write": "m1's WAL now ends in a torn write",
			"m3:F/t2/a193/r136":                 "m3:F/t2/a93/r36",
			"5.497s  m3 became leader":          "5.497s  m1 became leader",
			"3.483s  m3 restarted":              "3.483s  m1 restarted",
		}},
		{"snapshot-catch-up", `
   2.862s  m1 crashed: its disk failed in the middle of a write
   3.000s  m1:down m2:L/t2/a276/r193 m3:F/t2/a276/r193
   5.820s    m2: saved snapshot at index 400
   6.569s    m1: loaded snapshot at index 250 (term 2)
   6.569s  m1 restarted (member d4957d5171ee81f3)
   6.585s  m2 sends a snapshot (index 400, term 2) to m1, whose log is behind what it keeps
   6.592s    m1: restored snapshot at index 400 (term 2) from the leader
   7.000s  m1:F/t2/a484/r336 m2:L/t2/a484/r336 m3:F/t2/a484/r336`, map[string]string{
			"m2: saved snapshot":     "m1: saved snapshot",
			"m1: restored snapshot":  "m3: restored snapshot",
			"m1:F/t2/a484/r336":      "m1:F/t2/a284/r136",
			"6.569s  m1 restarted (": "6.569s  m3 restarted (",
		}},
		{"snapshot-catch-up", `
   0.933s  n3 became leader at term 2
   1.433s  fault: crash n2
   4.879s  n3 compacted its log at 149 (snapshot)
   5.000s  fault: restart n2
   5.033s  n2 restored snapshot 149/2
   6.000s  n1:F/t2/c199/a199 n2:F/t2/c199/a199 n3:L/t2/c199/a199`, map[string]string{
			"4.879s  n3 compacted": "4.879s  n1 compacted",
			"n2 restored snapshot": "n1 restored snapshot",
		}},
		{"leader-crash-loses-write", `
   1.056s  n3 became leader at term 2
   1.377s  fault: crash n3 (a write in flight was lost)
   2.418s  n1 became leader at term 3`, map[string]string{
			"1.056s  n3 became":             "1.056s  n2 became",
			" (a write in flight was lost)": "",
			"2.418s  n1 became":             "2.418s  n3 became",
		}},
	} {
		check := situations[c.name].check
		if problems := check(parseRun(c.run)); len(problems) > 0 {
			t.Errorf("%s: the run as quoted fails: %q", c.name, problems)
		}
		for from, to := range c.wrong {
			if !strings.Contains(c.run, from) {
				t.Fatalf("%s: the sample has no %q to change", c.name, from)
			}
			if problems := check(parseRun(strings.Replace(c.run, from, to, 1))); len(problems) == 0 {
				t.Errorf("%s: passes with %q changed to %q", c.name, from, to)
			} else {
				t.Logf("%s, %q -> %q: %s", c.name, from, to, problems[0])
			}
		}
	}
}

// A page's "<!-- shows: ... -->" line belongs to the block right after it,
// and only to that block.
func TestReadStepsShows(t *testing.T) {
	page := t.TempDir() + "/page.md"
	text := "<!-- shows: torn-tail -->\n```\n$ go run ./cmd/raftsim -mode member -seed 1\n$ go run ./cmd/raftsim -seed 2\n```\n\n```\n$ go run ./cmd/raftsim -seed 3\n```\n<!-- shows: a, b -->\n\n```\n$ go run ./cmd/raftsim -seed 4\n```\n"
	if err := os.WriteFile(page, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := readSteps(t, page)
	var got []string
	for _, st := range steps {
		got = append(got, strings.Join(st.shows, "+"))
	}
	if want := []string{"torn-tail", "torn-tail", "", ""}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("shows per step %q, want %q (a comment followed by a blank line is not the block's)", got, want)
	}
	if err := checkShows(step{cmd: "bin/raftkvctl get k", shows: []string{"torn-tail"}}); err == nil {
		t.Error("a situation on a command that is not a simulator run was accepted")
	}
	if err := checkShows(step{cmd: "go run ./cmd/raftsim -seed 1", shows: []string{"no-such-story"}}); err == nil {
		t.Error("an unknown situation was accepted")
	}
}
