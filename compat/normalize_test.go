package compat

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Two runs of the same commands against two clusters print the same text
// but for what must differ: IDs (of the cluster, members, leases, locks),
// ports, durations, sizes, raft terms and indexes, timestamps. normalize
// hides exactly those, and keeps every other character — revisions,
// counts, versions, keys, values, TTLs, error texts and gRPC codes — to be
// compared.
func normalize(s string) string {
	var lines []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if strings.HasPrefix(l, `{"level":`) {
			l = clientLog(l)
		}
		lines = append(lines, l)
	}
	s = normalizeTables(strings.Join(lines, ""))
	for _, r := range []struct{ re, with string }{
		// JSON (-w json): IDs, terms, indexes and sizes by field name.
		{`"(cluster_id|member_id|ID|id|leader|lease|raft_term|raftTerm|raftIndex|raftAppliedIndex|dbSize|dbSizeInUse)":\d+`, `"$1":N`},
		// -w fields.
		{`"(ClusterID|MemberID|RaftTerm|Lease)" : \d+`, `"$1" : N`},
		{`\b[0-9a-f]{16}\b`, "ID"}, // a member, lease or cluster ID in hex
		{`\b[0-9a-f]{13,15}\b`, "ID"},
		{`127\.0\.0\.1:\d+`, "ADDRESS"},
		{`\b\d+\.\d+(ns|µs|ms|s)\b|\b\d+(ns|µs|ms)\b`, "DURATION"}, // whole seconds are TTLs
		{`\b\d+(\.\d+)? (B|kB|MB|GB)\b`, "SIZE"},
		{`remaining\(\d+s\)`, "remaining(N)"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return s
}

// clientLog keeps, of a log line of etcdctl's gRPC client, what says how
// the server answered: the level, the message, the method and the error
// (gRPC's code and etcd's words); not when, nor through which connection.
func clientLog(line string) string {
	var l map[string]any
	if err := json.Unmarshal([]byte(line), &l); err != nil {
		return line
	}
	var out []string
	for _, k := range []string{"level", "msg", "method", "error"} {
		if v, ok := l[k]; ok {
			out = append(out, fmt.Sprintf("%s=%v", k, v))
		}
	}
	return "LOG " + strings.Join(out, " ") + "\n"
}

// Columns whose cells must differ between two clusters.
var varyingColumns = map[string]bool{
	"ID": true, "DB SIZE": true, "IN USE": true, "PERCENTAGE NOT IN USE": true, "RAFT TERM": true,
	"RAFT INDEX": true, "RAFT APPLIED INDEX": true, "TOOK": true, "ENDPOINT": true, "PEER ADDRS": true, "CLIENT ADDRS": true,
}

// normalizeTables rewrites -w table's tables without their padding, and
// with the cells of varyingColumns hidden; rows stay in their order.
func normalizeTables(s string) string {
	var header []string
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		switch {
		case strings.HasPrefix(l, "│"):
			cells := strings.Split(strings.Trim(strings.TrimSpace(l), "│"), "│")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			if header == nil {
				header = cells
			} else {
				for i := range cells {
					if i < len(header) && varyingColumns[header[i]] {
						cells[i] = "X"
					}
				}
			}
			out = append(out, "│"+strings.Join(cells, "│")+"│\n")
		case strings.HasPrefix(l, "┌") || strings.HasPrefix(l, "├") || strings.HasPrefix(l, "└"):
			if strings.HasPrefix(l, "┌") {
				header = nil
			}
			out = append(out, regexp.MustCompile(`─+`).ReplaceAllString(l, "─"))
		default:
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// asCLI hides the name of the program and of the product where raftkvctl
// says raftkv's and etcdctl etcd's, for a comparison of the two CLIs.
func asCLI(s string) string {
	s = regexp.MustCompile(`raftkvctl version: \S+`).ReplaceAllString(s, "etcdctl version: VERSION")
	s = regexp.MustCompile(`etcdctl version: \S+`).ReplaceAllString(s, "etcdctl version: VERSION")
	return strings.NewReplacer("raftkvctl", "etcdctl", "RAFTKVCTL_", "ETCDCTL_", "raftkv member", "etcd member").Replace(s)
}

// sortedLines sorts a text's lines, for a listing in the order of random
// IDs.
func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// membersByName sorts the members of member list -w json by name, keeping
// the text of each.
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

// normalize hides what must differ, and only that: a changed revision,
// count, version, TTL or error shows.
func TestNormalize_KeepsWhatMustNotDiffer(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		same       bool
	}{
		{"IDs and terms", `{"header":{"cluster_id":6144732275940434137,"member_id":1,"revision":4,"raft_term":2}}`,
			`{"header":{"cluster_id":99,"member_id":7,"revision":4,"raft_term":5}}`, true},
		{"a revision", `{"header":{"revision":4}}`, `{"header":{"revision":5}}`, false},
		{"a count", "3\n", "2\n", false},
		{"a key's version", `"version":1`, `"version":2`, false},
		{"a granted TTL", "lease 535ba20c03067310 granted with TTL(60s)\n", "lease 694d7b5f7b0ae21c granted with TTL(30s)\n", false},
		{"a lease ID", "lease 535ba20c03067310 granted with TTL(60s)\n", "lease 694d7b5f7b0ae21c granted with TTL(60s)\n", true},
		{"an error's words", `{"level":"warn","ts":"2026","msg":"retrying of unary invoker failed","error":"rpc error: code = NotFound desc = etcdserver: requested lease not found"}` + "\n",
			`{"level":"warn","ts":"2027","msg":"retrying of unary invoker failed","error":"rpc error: code = NotFound desc = etcdserver: lease not found"}` + "\n", false},
		{"an error's code", `{"level":"warn","msg":"m","error":"rpc error: code = NotFound desc = x"}` + "\n", `{"level":"warn","msg":"m","error":"rpc error: code = Unknown desc = x"}` + "\n", false},
		{"a log line's time and peer", `{"level":"warn","ts":"2026","peer":"a","msg":"m"}` + "\n", `{"level":"warn","ts":"2027","peer":"b","msg":"m"}` + "\n", true},
		{"durations and sizes", "took = 3.540148ms\n20 kB\n", "took = 12µs\n4.1 MB\n", true},
		{"a table's sizes", "┌──┬──┐\n│ ENDPOINT │ DB SIZE │ VERSION │\n│ 127.0.0.1:1 │ 20 kB │ 3.7.3 │\n",
			"┌──────┬──┐\n│ ENDPOINT │ DB SIZE │ VERSION │\n│ 127.0.0.1:22 │   1 MB │  3.7.3 │\n", true},
		{"a table's version", "│ ENDPOINT │ VERSION │\n│ a │ 3.7.3 │\n", "│ ENDPOINT │ VERSION │\n│ a │ 3.6.0 │\n", false},
		{"a hash", "│ ENDPOINT │ HASH │\n│ a │ 3967981376 │\n", "│ ENDPOINT │ HASH │\n│ a │ 1234 │\n", false},
	} {
		if same := normalize(tc.a) == normalize(tc.b); same != tc.same {
			t.Errorf("%s: normalized alike = %v, want %v:\n%s\n%s", tc.name, same, tc.same, normalize(tc.a), normalize(tc.b))
		}
	}
}
