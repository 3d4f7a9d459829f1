package docs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The checks the docs test makes must be able to fail: a changed line is
// reported, "…" spans only what it should, and an ID binds once.
func TestQuotedLinesMatching(t *testing.T) {
	seen := ids{}
	out := "lease 694d7b5f7b0ae21c granted with TTL(60s)\n"
	if m := seen.missing(out, []string{"lease 535ba20c03067310 granted with TTL(60s)"}); len(m) != 0 {
		t.Fatalf("an ID in the page should match any ID: missing %q", m)
	}
	if got := seen.apply("raftkvctl lease revoke 535ba20c03067310"); got != "raftkvctl lease revoke 694d7b5f7b0ae21c" {
		t.Fatalf("apply = %q: the page's ID should become the one printed", got)
	}
	if m := seen.missing("lease 0000000000000001 revoked\n", []string{"lease 535ba20c03067310 revoked"}); len(m) != 1 {
		t.Fatal("a bound ID matched a different one")
	}
	// A member ID with a leading zero digit, as etcdctl's %16x and %x print it.
	if m := seen.missing("Member  59cded6edeb2e8a added to cluster 601779655835fda6\n", []string{"Member 2c5a4e8d3f6b7a91 added to cluster …"}); len(m) != 0 {
		t.Fatalf("a padded ID should match a page's ID: missing %q", m)
	}
	if got := seen.apply("raftkvctl member promote 2c5a4e8d3f6b7a91"); got != "raftkvctl member promote 59cded6edeb2e8a" {
		t.Fatalf("apply = %q", got)
	}
	if m := seen.missing("59cded6edeb2e8a, started, m4\nMember  59cded6edeb2e8a promoted\n", []string{"2c5a4e8d3f6b7a91, started, m4", "Member 2c5a4e8d3f6b7a91 promoted"}); len(m) != 0 {
		t.Fatalf("a bound short ID should match where it is printed again: missing %q", m)
	}
	if m := seen.missing("took = 2ms\nOK\n", []string{"took = …", "OK"}); len(m) != 0 {
		t.Fatalf("… should match any text: missing %q", m)
	}
	if m := seen.missing("a\nb\n", []string{"a…b"}); len(m) != 1 {
		t.Fatal("… matched across lines")
	}
	if m := seen.missing("Hello world\n", []string{"Hello World"}); len(m) != 1 {
		t.Fatal("a changed line was not reported")
	}
	// Quoted lines appear in the order quoted.
	if m := seen.missing("PUT\nkey1\nhello\n", []string{"PUT", "key1", "hello"}); len(m) != 0 {
		t.Fatalf("lines in the quoted order: missing %q", m)
	}
	if m := seen.missing("DELETE\nkey1\nPUT\nkey1\nhello\n", []string{"PUT", "key1", "DELETE"}); len(m) != 1 || m[0] != "DELETE" {
		t.Fatalf("a line printed before the one quoted above it was not reported: missing %q", m)
	}
	if m := seen.missing("m1 became leader\nm2 follows\n", []string{"m2 follows", "m1 became leader"}); len(m) != 1 {
		t.Fatalf("two lines printed in the other order: missing %q", m)
	}
	// But a member list comes in the order of IDs drawn anew each run.
	list := step{cmd: "bin/raftkvctl member list", want: []string{"…, started, m4, …", "…, started, m1, …"}}
	if m := seen.missingFrom(list, "1a, started, m1, x\n2b, started, m4, x\n"); len(m) != 0 {
		t.Fatalf("a member list in another order than quoted: missing %q", m)
	}
	if m := seen.missingFrom(list, "1a, started, m1, x\n"); len(m) != 1 {
		t.Fatalf("a member missing from a member list went unnoticed: missing %q", m)
	}
}

// A status table's figures change from run to run; its words may not.
func TestStatusTableRows(t *testing.T) {
	status := step{cmd: "make status", want: []string{
		"MEMBER  ROLE           TERM  LEADER  COMMIT  APPLIED  CLIENT URL",
		"m1      follower          2  m2           9        9  http://127.0.0.1:2379",
		"m2      leader            2  m2           9        9  http://127.0.0.1:22379",
	}}
	seen := ids{}
	out := "MEMBER  ROLE           TERM  LEADER  COMMIT  APPLIED  CLIENT URL\n" +
		"m1      follower          3  m2          12       12  http://127.0.0.1:2379\n" +
		"m2      leader            3  m2          12       12  http://127.0.0.1:22379\n"
	if m := seen.missingFrom(status, out); len(m) != 0 {
		t.Fatalf("other figures in wider columns should match: missing %q", m)
	}
	if m := seen.missingFrom(status, strings.Replace(out, "m1      follower", "m1      candidate", 1)); len(m) != 1 {
		t.Fatalf("another role was not reported: missing %q", m)
	}
	if m := seen.missingFrom(status, strings.Replace(out, "m2      leader            3  m2          12       12", "m2      down              -  -            -        -", 1)); len(m) != 1 {
		t.Fatalf("a member down where the page has it answering was not reported: missing %q", m)
	}
	if m := seen.missingFrom(status, strings.Replace(out, "127.0.0.1:22379", "127.0.0.1:32379", 1)); len(m) != 1 {
		t.Fatalf("another URL was not reported: missing %q", m)
	}
	// Rows come in the members' order, which depends on who played which
	// part; the header comes first.
	if m := seen.missingFrom(step{cmd: "make status", want: []string{status.want[0], status.want[2], status.want[1]}}, out); len(m) != 0 {
		t.Fatalf("rows in another order than quoted: missing %q", m)
	}
	if m := seen.missingFrom(status, strings.Replace(out, "MEMBER", "m3      follower          3  m2          12       12  http://127.0.0.1:32379\nMEMBER", 1)); len(m) != 0 {
		t.Fatalf("an unquoted row before the header: missing %q", m)
	}
	if m := seen.missingFrom(step{cmd: "make status", want: []string{status.want[0], status.want[1]}}, "m1      follower          3  m2          12       12  http://127.0.0.1:2379\n"+out[:strings.Index(out, "\n")+1]); len(m) != 1 {
		t.Fatalf("a row printed only before the header was not reported: missing %q", m)
	}
}

// A page's story names its members; a run whose members play other parts
// reads it with the names exchanged, in commands and in quoted lines.
func TestRenamingMembers(t *testing.T) {
	c := &cluster{perm: [4]int{0, 2, 1, 3}} // the page's m1 is this run's m2
	got := c.rename("make stop-member M=1; curl 127.0.0.1:2379 127.0.0.1:22379 127.0.0.1:12380 127.0.0.1:32379; m1 | m2 missed this; data/m1 m3 m12 127.0.0.1:23790")
	want := "make stop-member M=2; curl 127.0.0.1:22379 127.0.0.1:2379 127.0.0.1:22380 127.0.0.1:32379; m2 | m1 missed this; data/m2 m3 m12 127.0.0.1:23790"
	if got != want {
		t.Fatalf("rename:\n got %s\nwant %s", got, want)
	}
}

func TestReadSteps(t *testing.T) {
	page := filepath.Join(t.TempDir(), "page.md")
	text := "Text.\n\n```\n$ one \\\n    --flag\nout 1\n\n$ two\n```\n\n```\nnot output of two\n```\n\n```sh\nnot a command\n```\n"
	if err := os.WriteFile(page, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	type plain struct {
		Cmd  string
		Want []string
	}
	var got []plain
	for _, st := range readSteps(t, page) {
		got = append(got, plain{st.cmd, st.want})
	}
	want := []plain{{"one --flag", []string{"out 1"}}, {"two", nil}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("readSteps (-want +got):\n%s", diff)
	}
}
