package server

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The conformance test replays the requests of the etcd v3.7.3 transcripts
// (../shared/reference/etcd-json-gateway.md, copied into client/wire/testdata)
// against a fresh three-member raftkv cluster, in order, and compares each
// answer with etcd's: the same HTTP status, the same body byte for byte —
// revisions included — once the values that must differ between any two
// clusters (cluster and member IDs, raft term, server-chosen lease IDs,
// hashes, sizes, version strings) are normalized.

const transcriptPath = "../client/wire/testdata/etcd-json-gateway.md"

type transcriptStep struct {
	section string
	method  string
	path    string
	port    string // 22379 (m1), 22389 (m2), ...
	body    string
	status  int
	want    []string // response body lines (several for a stream)
	actions []string // "(meanwhile)" puts and deletes during a watch
}

var curlRE = regexp.MustCompile(`^\$ curl .*-X (\w+) http://127\.0\.0\.1:(\d+)(\S*)(?: -d '(.*))?$`)

func parseTranscript(t *testing.T) []transcriptStep {
	f, err := os.Open(transcriptPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []transcriptStep
	var cur *transcriptStep
	section := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	state := "" // "body": inside a multi-line -d '...'; "resp": reading the response
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#### ") || strings.HasPrefix(line, "## "):
			section = strings.TrimLeft(line, "# ")
			continue
		case strings.HasPrefix(line, "Setup (not shown)"):
			steps = append(steps, transcriptStep{section: "SETUP " + line})
			continue
		}
		if m := curlRE.FindStringSubmatch(line); m != nil {
			steps = append(steps, transcriptStep{section: section, method: m[1], port: m[2], path: m[3]})
			cur = &steps[len(steps)-1]
			body := m[4]
			if !strings.Contains(line, " -d '") || strings.HasSuffix(body, "'") {
				cur.body, state = strings.TrimSuffix(body, "'"), "resp"
			} else {
				cur.body, state = body, "body"
			}
			continue
		}
		if cur == nil {
			continue
		}
		switch {
		case state == "body":
			if strings.HasSuffix(line, "'") {
				cur.body += "\n" + strings.TrimSuffix(line, "'")
				state = "resp"
			} else {
				cur.body += "\n" + line
			}
		case state == "resp" && strings.HasPrefix(line, "# (meanwhile, from another shell) "):
			cur.actions = append(cur.actions, strings.TrimPrefix(line, "# (meanwhile, from another shell) "))
		case state == "resp" && strings.HasPrefix(line, "HTTP/1.1 ") && !strings.Contains(line, "100 Continue"):
			fmt.Sscanf(strings.TrimPrefix(line, "HTTP/1.1 "), "%d", &cur.status)
		case state == "resp" && (strings.HasPrefix(line, "{") || line == "ok" || line == "404 page not found"):
			cur.want = append(cur.want, line)
		case state == "resp" && (line == "```" || strings.HasPrefix(line, "[curl exit") || strings.HasPrefix(line, "# the same stream")):
			state = "done"
		}
	}
	return steps
}

// normalizer rewrites what legitimately differs between two clusters.
type normalizer struct {
	leases map[string]string // our server-chosen lease IDs -> etcd's
}

var (
	idFields   = regexp.MustCompile(`"(cluster_id|member_id|raft_term|leader|memberID)":"\d+"`)
	hashFields = regexp.MustCompile(`"hash":\d+`)
	sizeFields = regexp.MustCompile(`"(dbSize|dbSizeInUse|raftIndex|raftAppliedIndex|raftTerm)":"\d+"`)
	verFields  = regexp.MustCompile(`"(version|storageVersion)":"[0-9.]+"`)
)

func (n *normalizer) apply(s string) string {
	for ours, theirs := range n.leases {
		s = strings.ReplaceAll(s, ours, theirs)
	}
	s = idFields.ReplaceAllString(s, `"$1":"X"`)
	s = hashFields.ReplaceAllString(s, `"hash":X`)
	s = sizeFields.ReplaceAllString(s, `"$1":"X"`)
	s = verFields.ReplaceAllString(s, `"$1":"X"`)
	return s
}

func TestConformance_EtcdJSONGatewayTranscript(t *testing.T) {
	steps := parseTranscript(t)
	if len(steps) < 60 {
		t.Fatalf("parsed only %d steps from the transcript", len(steps))
	}
	c := startLiveCluster(t, 3, nil)
	// Let every member publish its name and client URLs, as etcd's have.
	require.Eventually(t, func() bool {
		for _, m := range c.servers[0].view.Load().Members {
			if m.Name == "" || len(m.ClientURLs) == 0 {
				return false
			}
		}
		return true
	}, 10*time.Second, 5*time.Millisecond, "every member to publish its name and client URLs")
	n := &normalizer{leases: map[string]string{}}
	member := func(port string) int { return map[string]int{"22379": 0, "22389": 1, "22399": 2}[port] }
	put := func(key, value, lease string) {
		body := fmt.Sprintf(`{"key":%q,"value":%q`, b64(key), b64(value))
		if lease != "" {
			body += fmt.Sprintf(`,"lease":%q`, lease)
		}
		if status, resp := c.post(0, "/v3/kv/put", body+"}"); status != 200 {
			t.Fatalf("setup put %s: %d %s", key, status, resp)
		}
	}
	ourLease := func(etcdID string) string {
		for ours, theirs := range n.leases {
			if theirs == etcdID {
				return ours
			}
		}
		return etcdID
	}
	checked := 0
	for _, st := range steps {
		// The transcript's silent setup steps, done the way the text says.
		switch {
		case strings.Contains(st.section, "put /demo/a=1"):
			for _, k := range []string{"a", "b", "c", "d"} {
				put("/demo/"+k, map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}[k], "")
			}
			continue
		case strings.Contains(st.section, "put /del/a, /del/b"):
			for _, k := range []string{"/del/a", "/del/b", "/del/c", "/pd/x", "/pd/y"} {
				put(k, "val-"+k, "")
			}
			continue
		case strings.Contains(st.section, "put lk1, lk2 attached"):
			// The transcript's revisions say three writes happened here.
			put("lk1", "v", ourLease("4400297100864306"))
			put("lk2", "v", ourLease("4400297100864306"))
			put("lk3", "v", "")
			continue
		case strings.HasPrefix(st.section, "(setup) tx = v1"):
			put("tx", "v1", "")
		case strings.HasPrefix(st.section, "(setup) /wp/a = p0"):
			put("/wp/a", "p0", "")
		}
		if st.method == "" {
			continue
		}
		body := st.body
		for ours, theirs := range n.leases {
			body = strings.ReplaceAll(body, theirs, ours)
		}
		switch {
		case st.path == "/metrics":
			checkMetrics(t, c)
			continue
		case st.path == "/v3/watch":
			checkWatch(t, c, st, body, n, put)
			checked++
			continue
		}
		if i := member(st.port); i != 0 {
			// etcd's other member had applied everything before it was
			// asked; a linearizable read makes ours catch up the same way.
			c.post(i, "/v3/kv/range", `{"key":"AA=="}`)
		}
		req, _ := http.NewRequest(st.method, c.url(member(st.port))+st.path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", st.section, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := strings.TrimRight(string(raw), "\n")
		if resp.StatusCode != st.status {
			t.Errorf("%s: status %d, etcd %d (body %s)", st.section, resp.StatusCode, st.status, got)
			continue
		}
		if len(st.want) == 0 {
			continue
		}
		want := st.want[0]
		// A lease ID the server chose: remember ours for etcd's.
		if strings.Contains(st.path, "lease/grant") && !strings.Contains(body, `"ID"`) {
			var g, e struct{ ID string }
			json.Unmarshal(raw, &g)
			json.Unmarshal([]byte(want), &e)
			if g.ID != "" {
				n.leases[g.ID] = e.ID
			}
		}
		if strings.Contains(st.path, "timetolive") {
			// Remaining TTLs depend on the seconds that passed in each run.
			ttl := regexp.MustCompile(`"TTL":"([1-9]\d*)"`)
			got, want = ttl.ReplaceAllString(got, `"TTL":"N"`), ttl.ReplaceAllString(want, `"TTL":"N"`)
		}
		if strings.Contains(st.path, "lease/leases") {
			// etcd lists leases in no particular order (a follower's lessor
			// sorts equal expiry times); raftkv lists them by ID.
			got, want = sortLeaseList(got), sortLeaseList(want)
		}
		if strings.Contains(st.path, "member/list") {
			got, want = normalizeMembers(t, got), normalizeMembers(t, want)
		}
		if st.path == "/version" {
			got, want = verFields2.ReplaceAllString(got, `"$1":"X"`), verFields2.ReplaceAllString(want, `"$1":"X"`)
		}
		if g, w := n.apply(got), n.apply(want); g != w {
			t.Errorf("%s (%s %s %s):\n got  %s\n etcd %s", st.section, st.method, st.path, st.body, g, w)
		}
		checked++
	}
	t.Logf("compared %d answers with etcd's", checked)
}

var verFields2 = regexp.MustCompile(`"(etcdserver|etcdcluster|storage)":"[^"]*"`)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// normalizeMembers keeps what must match: how many members, their names,
// learner flags and how many URLs each has.
func normalizeMembers(t *testing.T, body string) string {
	var resp struct {
		Members []struct {
			Name       string   `json:"name"`
			PeerURLs   []string `json:"peerURLs"`
			ClientURLs []string `json:"clientURLs"`
			IsLearner  bool     `json:"isLearner"`
		} `json:"members"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("member list %s: %v", body, err)
	}
	var out []string
	for _, m := range resp.Members {
		out = append(out, fmt.Sprintf("%s/%d/%d/%v", m.Name, len(m.PeerURLs), len(m.ClientURLs), m.IsLearner))
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func checkMetrics(t *testing.T, c *liveCluster) {
	resp, err := http.Get(c.url(0) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, name := range []string{
		"etcd_server_has_leader", "etcd_server_is_leader", "etcd_server_leader_changes_seen_total",
		"etcd_server_proposals_committed_total", "etcd_server_proposals_applied_total",
		"etcd_server_proposals_pending", "etcd_server_proposals_failed_total",
		"etcd_disk_wal_fsync_duration_seconds_bucket", "etcd_network_peer_sent_bytes_total",
		"etcd_network_peer_round_trip_time_seconds", "etcd_debugging_mvcc_keys_total",
	} {
		if !strings.Contains(string(b), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("/metrics content type %q", ct)
	}
}

// checkWatch opens the watch stream, performs the transcript's concurrent
// writes once the watchers are created, and compares the stream.
func checkWatch(t *testing.T, c *liveCluster, st transcriptStep, body string, n *normalizer, put func(k, v, l string)) {
	t.Helper()
	req, _ := http.NewRequest("POST", c.url(0)+"/v3/watch", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", st.section, err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%s: stream ended after %d lines: %v", st.section, len(got), got)
			}
			return l
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: waited 10s for line %d; have %v", st.section, len(got)+1, got)
		}
		return ""
	}
	created := strings.Count(body, "create_request")
	for len(got) < len(st.want) && strings.Count(strings.Join(got, "\n"), `"created":true`) < created {
		got = append(got, next())
	}
	for _, a := range st.actions {
		var k, v string
		if _, err := fmt.Sscanf(a, "put %q = %q", &k, &v); err == nil || strings.HasPrefix(a, "put ") {
			parts := strings.Split(a, "'")
			k, v = parts[1], parts[3]
			put(k, v, "")
			continue
		}
		if strings.HasPrefix(a, "delete ") {
			k = strings.Split(a, "'")[1]
			if status, r := c.post(0, "/v3/kv/deleterange", fmt.Sprintf(`{"key":%q}`, b64(k))); status != 200 {
				t.Fatalf("delete %s: %s", k, r)
			}
		}
	}
	for len(got) < len(st.want) {
		got = append(got, next())
	}
	for i := range st.want {
		if g, w := n.apply(got[i]), n.apply(st.want[i]); g != w {
			t.Errorf("%s line %d:\n got  %s\n etcd %s", st.section, i+1, g, w)
		}
	}
}

var leaseIDRE = regexp.MustCompile(`\{"ID":"\d+"\}`)

func sortLeaseList(body string) string {
	ids := leaseIDRE.FindAllString(body, -1)
	slices.Sort(ids)
	return leaseIDRE.ReplaceAllString(body, "") + strings.Join(ids, ",")
}
