package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTranscript replays etcdctl's transcript (testdata/etcdctl.md) with
// raftkvctl in etcdctl's place, through a shell as it was taken, and checks
// that every output is etcdctl's. What must differ is normalized: IDs
// (members, leases, locks, the cluster), ports, versions, durations, sizes,
// hashes, raft terms and indexes. What must not differ is compared: counts,
// versions of keys, TTLs, and revisions — relative to where this run
// started, as the transcript's are relative to its fresh cluster. The
// steps the transcript ran side by side (a watch and the writes of another
// shell, two lock holders, a candidate and an observer) run side by side
// here too, so that the store and its revisions follow the transcript's.
func TestTranscript(t *testing.T) {
	c := cluster(t)
	// The transcript began with an empty store and no lease, at revision 1.
	c.ctl(t, "del", "", "--prefix")
	for _, id := range strings.Fields(c.ctl(t, "lease", "list").stdout)[3:] {
		c.ctl(t, "lease", "revoke", id)
	}
	rev := &revisions{offset: currentRevision(t, c) - 1}
	// Steps whose output depends on more than the normalized numbers, each
	// checked by a test of its own.
	skip := map[string]string{
		"etcdctl endpoint status -w table":                                                     "IS LEADER depends on who leads (TestLeaderIsMarked)",
		"etcdctl endpoint status --cluster -w table":                                           "IS LEADER depends on who leads (TestLeaderIsMarked)",
		"env -u ETCDCTL_ENDPOINTS etcdctl endpoint status --endpoints=127.0.0.1:22379 -w json": "its header revision is the store's now (TestLeaderIsMarked)",
	}
	// The transcript's endpoints, and its lease ID once ours is known.
	replace := []string{"ETCDCTL_", envPrefix,
		"127.0.0.1:22379", c.members[0].endpoint(), "127.0.0.1:22389", c.members[1].endpoint(), "127.0.0.1:22399", c.members[2].endpoint()}
	ran := 0
	for _, b := range transcriptBlocks(t) {
		if why, ok := skip[b.cmd]; ok {
			t.Logf("skipped %q: %s", b.cmd, why)
			continue
		}
		ran++
		if strings.Contains(b.out, "\n# ") || strings.HasPrefix(b.out, "# ") {
			sideBySide(t, c, rev, b)
			continue
		}
		wantOut, wantCode := b.out, 0
		if m := regexp.MustCompile(`\[.*exit code (\d+)\]\n`).FindStringSubmatch(wantOut); m != nil {
			fmt.Sscan(m[1], &wantCode)
			wantOut = strings.Replace(wantOut, m[0], "", 1)
		}
		line := rev.inCommand(strings.NewReplacer(replace...).Replace(b.cmd))
		r := c.sh(t, strings.ReplaceAll(line, "etcdctl", "raftkvctl"))
		if r.code != wantCode {
			t.Errorf("%s: exit %d, want %d (stderr %q)", line, r.code, wantCode, r.stderr)
		}
		got := r.stdout + r.stderr
		if b.cmd == "etcdctl member list -w json" {
			// Listed in the order of their random IDs.
			wantOut, got = membersByName(wantOut), membersByName(got)
		}
		checkRemainingTTL(t, line, wantOut, got)
		normWant, normGot := normalize(wantOut, rev.of), normalize(got, asIs)
		if b.cmd == "etcdctl member list" || b.cmd == "etcdctl member list -w table" {
			// Listed in the order of their random IDs, one member a line.
			normWant, normGot = sortedLines(normWant), sortedLines(normGot)
		}
		if diff := cmp.Diff(normWant, normGot); diff != "" {
			t.Errorf("%s (-etcdctl +raftkvctl, normalized):\n%s", line, diff)
		}
		if b.cmd == "etcdctl lease grant 60" {
			if m := regexp.MustCompile(`^lease ([0-9a-f]+) granted`).FindStringSubmatch(r.stdout); m != nil {
				replace = append(replace, "535ba20c03067310", m[1])
			}
		}
	}
	if ran < 50 {
		t.Errorf("ran only %d of the transcript's steps", ran)
	}
}

// sideBySide runs a step of the transcript that ran with others at once,
// and checks what each printed.
func sideBySide(t *testing.T, c *testCluster, rev *revisions, b block) {
	t.Helper()
	var want []string // what the transcript shows the step printing
	var other []string
	for _, l := range strings.Split(strings.TrimSuffix(b.out, "\n"), "\n") {
		if cmd, ok := strings.CutPrefix(l, "# (other shell) $ "); ok {
			cmd, _, _ = strings.Cut(cmd, "->")
			other = append(other, strings.TrimSpace(cmd))
		} else if !strings.HasPrefix(l, "# ") && !strings.HasPrefix(l, "$ ") && !strings.HasPrefix(l, "[") {
			want = append(want, l)
		}
	}
	args := shellWords(b.cmd)
	switch {
	case args[1] == "watch" && len(other) > 0:
		// A watch, while another shell writes. It says nothing when it
		// starts, so a put it must show says it is there; that put
		// moves this run's revisions on from the transcript's.
		w := c.start(t, args[1:]...)
		key := args[2]
		if strings.Contains(b.cmd, "--prefix") {
			key += "/sync"
		}
		before := currentRevision(t, c)
		syncWatch(t, c, w, key)
		rev.add(rev.latest(before), currentRevision(t, c)-before)
		seen := len(w.out.String())
		for _, cmd := range other {
			if r := c.sh(t, strings.ReplaceAll(cmd, "etcdctl", "raftkvctl")); r.code != 0 {
				t.Errorf("%s (beside %s): %+v", cmd, b.cmd, r)
			}
		}
		wantOut := normalize(strings.Join(want, "\n")+"\n", rev.of)
		require.EventuallyWithT(t, func(ct *assert.CollectT) {
			assert.Equal(ct, wantOut, normalize(w.out.String()[seen:], asIs))
		}, waitLimit, pollEvery, "%s to print what etcdctl printed (normalized) beside %q", b.cmd, other)
		w.signal(t, syscall.SIGTERM) // as timeout(1) ended it
		w.wait(t)
	case b.cmd == "etcdctl lock mylock   # first holder (background, 3 s)":
		// A second client asks for the lock while the first holds it,
		// and gets it when the first ends.
		first := c.start(t, "lock", "mylock")
		require.Eventually(t, func() bool { return strings.HasSuffix(first.out.String(), "\n\n") || first.exited() },
			waitLimit, pollEvery, "the first holder of mylock to print its key")
		second := c.start(t, "lock", "mylock", "echo", "got-it")
		require.Eventually(t, func() bool {
			return strings.Count(c.ctl(t, "get", "mylock", "--prefix", "--keys-only").stdout, "mylock/") == 2 || second.exited()
		}, waitLimit, pollEvery, "the second client to queue for mylock")
		first.signal(t, syscall.SIGTERM) // as timeout(1) ended it
		first.wait(t)
		second.wait(t)
		got := "# first holder printed: " + strings.TrimSpace(first.out.String()) + "\n" + second.out.String()
		if diff := cmp.Diff(normalize(b.out[strings.Index(b.out, "# first holder printed"):strings.Index(b.out, "# second client waited")], rev.of), normalize(got, asIs)); diff != "" {
			t.Errorf("%s (-etcdctl +raftkvctl, normalized):\n%s", b.cmd, diff)
		}
	case b.cmd == "etcdctl elect myelection p1   # background, 3 s":
		// A candidate leads; an observer sees it.
		p1 := c.start(t, "elect", "myelection", "p1")
		require.Eventually(t, func() bool { return strings.HasSuffix(p1.out.String(), "\np1\n") || p1.exited() },
			waitLimit, pollEvery, "p1 to lead myelection")
		observer := c.start(t, "elect", "-l", "myelection")
		require.Eventually(t, func() bool { return strings.HasSuffix(observer.out.String(), "\np1\n") || observer.exited() },
			waitLimit, pollEvery, "the observer to see p1 lead")
		for _, p := range []*proc{observer, p1} {
			p.signal(t, syscall.SIGTERM) // as timeout(1) ended them
			p.wait(t)
		}
		got := "# elect output:\n" + p1.out.String() + "# elect -l (listen) output:\n" + observer.out.String()
		if diff := cmp.Diff(normalize(b.out[strings.Index(b.out, "# elect output:"):], rev.of), normalize(got, asIs)); diff != "" {
			t.Errorf("%s (-etcdctl +raftkvctl, normalized):\n%s", b.cmd, diff)
		}
	default:
		t.Errorf("%s: a step run beside others that TestTranscript does not know how to run", b.cmd)
	}
}

// revisions maps the transcript's revisions to this run's: this run's
// revision is the transcript's plus offset, plus the revisions this run
// made that the transcript did not (each after the transcript's revision
// at that point).
type revisions struct {
	offset int64
	extra  []extraRevisions
}

type extraRevisions struct{ after, n int64 }

func (r *revisions) of(rev int64) int64 {
	ours := rev + r.offset
	for _, e := range r.extra {
		if rev > e.after {
			ours += e.n
		}
	}
	return ours
}

// add records n revisions this run made after the transcript's revision
// after.
func (r *revisions) add(after, n int64) {
	if n > 0 {
		r.extra = append(r.extra, extraRevisions{after, n})
	}
}

// latest is the transcript's revision for ours, this run's latest: ours
// less the offset and every extra revision.
func (r *revisions) latest(ours int64) int64 {
	t := ours - r.offset
	for _, e := range r.extra {
		t -= e.n
	}
	return t
}

// asIs leaves this run's own revisions as they are.
func asIs(rev int64) int64 { return rev }

// inCommand maps the revisions a command names (--rev=N, compaction N).
func (r *revisions) inCommand(line string) string {
	return regexp.MustCompile(`(--rev=|compaction )(\d+)\b`).ReplaceAllStringFunc(line, func(m string) string {
		i := strings.IndexAny(m, "0123456789")
		n, _ := strconv.ParseInt(m[i:], 10, 64)
		return m[:i] + strconv.FormatInt(r.of(n), 10)
	})
}

// currentRevision is the store's revision now.
func currentRevision(t *testing.T, c *testCluster) int64 {
	t.Helper()
	var resp struct {
		Header struct {
			Revision int64 `json:"revision"`
		} `json:"header"`
	}
	r := c.ctl(t, "get", "revision-probe", "-w", "json")
	if err := json.Unmarshal([]byte(r.stdout), &resp); err != nil || resp.Header.Revision == 0 {
		t.Fatalf("get -w json: %v %+v", err, r)
	}
	return resp.Header.Revision
}

// membersByName sorts the members of member list -w json by name,
// keeping the text of each.
func membersByName(s string) string {
	start := strings.Index(s, `"members":[{`)
	end := strings.LastIndex(s, `}]}`)
	if start < 0 || end < start {
		return s
	}
	start += len(`"members":[{`)
	members := strings.Split(s[start:end], "},{")
	name := func(m string) string { _, after, _ := strings.Cut(m, `"name":`); return after }
	slices.SortFunc(members, func(a, b string) int { return strings.Compare(name(a), name(b)) })
	return s[:start] + strings.Join(members, "},{") + s[end:]
}

// checkRemainingTTL: where etcdctl printed a lease's remaining TTL, ours is
// printed too, and lies between the granted TTL and a few seconds less
// (the time since the grant). normalize hides the number itself.
func checkRemainingTTL(t *testing.T, line, want, got string) {
	t.Helper()
	if !strings.Contains(want, "remaining(") {
		return
	}
	m := regexp.MustCompile(`TTL\((\d+)s\), remaining\((\d+)s\)`).FindStringSubmatch(got)
	if m == nil {
		t.Errorf("%s: no granted and remaining TTL in %q", line, got)
		return
	}
	granted, _ := strconv.Atoi(m[1])
	remaining, _ := strconv.Atoi(m[2])
	if remaining > granted || remaining < granted-5 {
		t.Errorf("%s: remaining TTL %ds of %ds", line, remaining, granted)
	}
}

// normalize hides what must differ between etcd's run and ours (IDs,
// ports, versions, durations, sizes, hashes, raft terms and indexes, the
// width of table columns, the log lines of etcdctl's gRPC client) and maps
// revisions with rev; every other number stays, to be compared.
func normalize(s string, rev func(int64) int64) string {
	s = strings.NewReplacer("etcdctl", "raftkvctl", "etcd member", "raftkv member").Replace(s)
	var lines []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, `{"level":`) {
			lines = append(lines, l)
		}
	}
	s = strings.Join(lines, "")
	mapNumber := func(re string) func(string) string {
		return func(m string) string {
			sub := regexp.MustCompile(re).FindStringSubmatch(m)
			n, _ := strconv.ParseInt(sub[2], 10, 64)
			return sub[1] + strconv.FormatInt(rev(n), 10) + sub[3]
		}
	}
	for _, re := range []string{
		`("(?:revision|create_revision|mod_revision)":)(\d+)()`,
		`("(?:Revision|CreateRevision|ModRevision)" : )(\d+)()`,
		`(compacted revision )(\d+)()`,
		`(│ *\S+:\d+ *│ *\d+ *│ *)(\d+)( *│)`, // endpoint hashkv -w table: HASH REVISION
	} {
		s = regexp.MustCompile(re).ReplaceAllStringFunc(s, mapNumber(re))
	}
	for _, r := range []struct{ re, with string }{
		{`"(cluster_id|member_id|ID|leader|lease|raft_term|raftTerm|raftIndex|raftAppliedIndex|dbSize|dbSizeInUse)":\d+`, `"$1":ID`},
		{`"(ClusterID|MemberID|RaftTerm)" : \d+`, `"$1" : ID`},
		{`(│ *\S+:\d+ *│ *)\d+( *│)`, `${1}HASH$2`}, // endpoint hashkv -w table: HASH
		{`\b[0-9a-f]{12,16}\b`, "ID"},               // a member, lease or cluster ID in hex
		{`127\.0\.0\.1:\d+`, "ADDRESS"},
		{`\b\d+\.\d+\.\d+\b`, "VERSION"},
		{`\b\d+(\.\d+)?(ns|µs|ms)\b|\b\d+\.\d+s\b`, "DURATION"},
		{`\b\d+(\.\d+)? (B|kB|MB|GB)\b`, "SIZE"},
		{`remaining\(\d+s\)`, "remaining(checkRemainingTTL)"},
		{` +`, " "},
		{`─+`, "─"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return s
}

// normalize hides only what must differ: a changed count, TTL or revision
// shows.
func TestNormalizeKeepsWhatMustNotDiffer(t *testing.T) {
	shift := func(r int64) int64 { return r + 100 }
	for _, tc := range []struct {
		name, etcd, ours string
		same             bool
	}{
		{"IDs and terms", `{"header":{"cluster_id":6144732275940434137,"member_id":1,"revision":4,"raft_term":2}}`,
			`{"header":{"cluster_id":99,"member_id":7,"revision":104,"raft_term":5}}`, true},
		{"a revision off by one", `{"header":{"revision":4}}`, `{"header":{"revision":105}}`, false},
		{"a count", "3\n", "2\n", false},
		{"a key's version", `"version":1`, `"version":2`, false},
		{"a granted TTL", "lease 535ba20c03067310 granted with TTL(60s)\n", "lease 694d7b5f7b0ae21c granted with TTL(30s)\n", false},
		{"a lease ID", "lease 535ba20c03067310 granted with TTL(60s)\n", "lease 694d7b5f7b0ae21c granted with TTL(60s)\n", true},
		{"compacted revision", "compacted revision 23\n", "compacted revision 123\n", true},
		{"hashkv", "│ 127.0.0.1:22379 │ 3967981376 │            13 │\n", "│ 127.0.0.1:41234 │ 12345 │ 113 │\n", true},
		{"hashkv revision", "│ 127.0.0.1:22379 │ 3967981376 │            13 │\n", "│ 127.0.0.1:41234 │ 12345 │ 13 │\n", false},
		{"durations and sizes", "took = 3.540148ms\n20 kB\n", "took = 12µs\n4.1 MB\n", true},
	} {
		same := normalize(tc.etcd, shift) == normalize(tc.ours, asIs)
		if same != tc.same {
			t.Errorf("%s: normalized alike = %v, want %v:\n%s\n%s", tc.name, same, tc.same, normalize(tc.etcd, shift), normalize(tc.ours, asIs))
		}
	}
}

// Revisions this run made that the transcript did not (a watch's sync
// put) shift only the transcript's later revisions.
func TestRevisionsMapping(t *testing.T) {
	rev := &revisions{offset: 100}
	rev.add(rev.latest(108), 2) // two puts of ours after the transcript's 8
	for transcript, ours := range map[int64]int64{2: 102, 8: 108, 9: 111, 13: 115} {
		if got := rev.of(transcript); got != ours {
			t.Errorf("the transcript's revision %d is ours %d, want %d", transcript, got, ours)
		}
	}
	if got := rev.latest(115); got != 13 {
		t.Errorf("latest(115) = %d, want 13", got)
	}
}

// sortedLines sorts a text's lines (for listings whose order is random).
func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}
