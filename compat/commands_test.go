package compat

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Commands of etcdctl that its transcript does not show — every option of
// get, put and del, alarms, move-leader, snapshot save, compaction —
// written for etcdctl; {dir} is a directory of the run's own, {m2} the
// second member's ID in hex, {ep1} the first member's endpoint.
var moreCommands = []string{
	"etcdctl put /a 1",
	"etcdctl put /b 22",
	"etcdctl put /c 333",
	"etcdctl put /a 1111 --prev-kv",
	"etcdctl put /b --ignore-value",
	"etcdctl put /c 3 --ignore-lease -w json",
	"etcdctl get / --prefix --sort-by=MODIFY --order=DESCEND",
	"etcdctl get / --prefix --sort-by=VALUE --order=ASCEND -w json",
	"etcdctl get / --prefix --sort-by=CREATE --order=DESCEND --keys-only",
	"etcdctl get / --prefix --sort-by=VERSION --order=DESCEND --limit=1 -w fields",
	"etcdctl get /b --from-key",
	"etcdctl get /a /c",
	"etcdctl get / --prefix --consistency=s --count-only -w fields",
	"etcdctl get / --prefix --rev=3 --print-value-only",
	"etcdctl get / --prefix --min-mod-rev=5 --max-mod-rev=6",
	"etcdctl get / --prefix --min-create-rev=3 --max-create-rev=3",
	"etcdctl get / --prefix --rev=100",
	"etcdctl get /a --hex",
	"etcdctl del /a --prev-kv -w json",
	"etcdctl del /zz",
	"etcdctl del / --prefix --prev-kv",
	"etcdctl put /d 4",
	"etcdctl compaction 5 --physical",
	"etcdctl get / --prefix --rev=3",
	"etcdctl compaction 5",
	"etcdctl alarm list",
	"etcdctl alarm disarm",
	"etcdctl member list -w simple",
	"etcdctl endpoint health -w json",
	"etcdctl endpoint hashkv --rev=9 -w json",
	"etcdctl move-leader {m2}",
	"etcdctl move-leader 1234",
	"etcdctl lease grant 100 -w json",
	"etcdctl lease list -w json",
	// A backup is taken from one member.
	"env -u ETCDCTL_ENDPOINTS etcdctl --endpoints={ep1} snapshot save {dir}/snap.db",
	"raftkvutl snapshot status {dir}/snap.db -w json",
	"etcdctl version",
}

// runCommands runs commands in order with c against a new cluster (m1
// leading, every endpoint in the CLI's ENDPOINTS variable).
func runCommands(t *testing.T, c cli, commands []string) []result {
	t.Helper()
	cl := startCluster(t, 3)
	if leader := cl.waitLeader(); leader != cl.members[0] {
		_, err := cl.client(leader.clientURL).MoveLeader(callCtx(t), cl.memberID(cl.members[0]))
		require.NoError(t, err, "make m1 the leader")
		require.Equal(t, cl.members[0], cl.waitLeader())
	}
	var endpoints []string
	for _, m := range cl.members {
		endpoints = append(endpoints, strings.TrimPrefix(m.clientURL, "http://"))
	}
	env := []string{c.envPrefix + "ENDPOINTS=" + strings.Join(endpoints, ",")}
	dir := t.TempDir()
	placeholders := strings.NewReplacer("{dir}", dir, "{m2}", fmt.Sprintf("%x", cl.memberID(cl.members[1])), "{ep1}", endpoints[0])
	var out []result
	for _, line := range commands {
		r := c.run(t, placeholders.Replace(line), env...)
		// The run's directory, as the command named it.
		r.stdout, r.stderr = strings.ReplaceAll(r.stdout, dir, "{dir}"), strings.ReplaceAll(r.stderr, dir, "{dir}")
		out = append(out, r)
	}
	return out
}

// withoutLogs drops the log lines of etcdctl's gRPC client and of its
// snapshot code, which raftkvctl (a JSON client) has no cause to print.
func withoutLogs(s string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, `{"level":"warn"`) && !strings.HasPrefix(l, `{"level":"info"`) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// raftkvctl prints what etcdctl prints for the same commands against the
// same history, both against raftkv — including a backup that
// raftkvutl finds the same, whichever CLI saved it.
func TestCommands_EtcdctlAndRaftkvctlAgree(t *testing.T) {
	e := runCommands(t, etcdctl(t), moreCommands)
	r := runCommands(t, raftkvctl(), moreCommands)
	for i, line := range moreCommands {
		want, got := e[i], r[i]
		assert.Equal(t, want.code, got.code, "%s: exit code (etcdctl said %q, raftkvctl %q)", line, want.stdout+want.stderr, got.stdout+got.stderr)
		norm := func(s string) string {
			s = asCLI(normalize(withoutLogs(s)))
			if strings.HasPrefix(line, "etcdctl member list") {
				s = sortedLines(s) // in the order of random IDs
			}
			return s
		}
		if diff := cmp.Diff(norm(want.stdout+want.stderr), norm(got.stdout+got.stderr)); diff != "" {
			t.Errorf("%s (-etcdctl +raftkvctl, both against raftkv, normalized):\n%s", line, diff)
		}
	}
	// What each command did against raftkv, where etcd's answer is known.
	index := func(line string) int {
		for i, l := range moreCommands {
			if l == line {
				return i
			}
		}
		t.Fatalf("no command %q", line)
		return 0
	}
	saved := e[index("env -u ETCDCTL_ENDPOINTS etcdctl --endpoints={ep1} snapshot save {dir}/snap.db")]
	assert.Contains(t, saved.stdout, "Snapshot saved at ", "etcdctl checked the backup's SHA-256 and saved it")
	assert.Contains(t, saved.stdout, "Server version 3.7.0\n", "the backup's storage version, as etcd 3.7.3 gives it")
	status := e[index("raftkvutl snapshot status {dir}/snap.db -w json")]
	assert.Contains(t, status.stdout, `"revision":10,"totalKey":1`, "the backup holds the history up to its revision")
	assert.Contains(t, e[index("etcdctl get / --prefix --rev=3")].stderr, "Error: etcdserver: mvcc: required revision has been compacted")
	assert.Contains(t, e[index("etcdctl compaction 5")].stderr, "Error: etcdserver: mvcc: required revision has been compacted")
	assert.Contains(t, e[index("etcdctl get / --prefix --rev=100")].stderr, "Error: etcdserver: mvcc: required revision is a future revision")
	assert.Regexp(t, `^Leadership transferred from [0-9a-f]+ to [0-9a-f]+\n$`, e[index("etcdctl move-leader {m2}")].stdout)
	assert.Contains(t, e[index("etcdctl move-leader 1234")].stderr, "Error: etcdserver: bad leader transferee")
	// /a, /b, /c last changed at revisions 5, 6 and 7.
	assert.Equal(t, "/c\n3\n/b\n22\n/a\n1111\n", e[index("etcdctl get / --prefix --sort-by=MODIFY --order=DESCEND")].stdout)
}
