// Command clusterbench measures a 3-member raftkv cluster the way
// ../shared/reference/etcd-baseline.md measured etcd v3.7.3: the same load
// generator (httpbench, built from ../shared/tools/httpbench), the same
// settings, all load on the leader, the cluster reset (compacted) before every
// run, every configuration repeated and interleaved, and the CPU of the three
// members per operation read from /proc/PID/stat. It prints a markdown table
// of medians beside etcd's figures.
//
//	cd bench && go run ./clusterbench -httpbench /tmp/httpbench -reps 3 -series 2
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

type benchConfig struct {
	label string
	args  []string
	etcd  etcdRow
}

// etcdRow is the HTTP row of etcd-baseline.md for the same configuration.
type etcdRow struct {
	opsS, p50, p99, cpuUS float64
}

var configs = []benchConfig{
	{"HTTP put c=1", []string{"-op", "put", "-clients", "1", "-total", "20000", "-key-size", "8", "-val-size", "256"}, etcdRow{1067, 0.86, 2.14, 1180}},
	{"HTTP put c=16", []string{"-op", "put", "-clients", "16", "-total", "20000", "-key-size", "8", "-val-size", "256"}, etcdRow{3591, 4.04, 11.75, 414}},
	{"HTTP put c=128", []string{"-op", "put", "-clients", "128", "-total", "20000", "-key-size", "8", "-val-size", "256"}, etcdRow{6004, 20.09, 43.40, 254}},
	{"HTTP range linearizable c=16", []string{"-op", "range", "-clients", "16", "-total", "20000", "-key", "rangekey"}, etcdRow{7975, 1.66, 6.97, 171}},
	{"HTTP range serializable c=16", []string{"-op", "range", "-clients", "16", "-total", "20000", "-key", "rangekey", "-serializable"}, etcdRow{9615, 1.34, 6.22, 134}},
}

type result struct {
	OpsS   float64 `json:"ops_s"`
	P50    float64 `json:"p50_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
	Errors int     `json:"errors"`
	cpuUS  float64 // all three members, µs per operation
	leadUS float64
}

func main() {
	httpbench := flag.String("httpbench", "/tmp/httpbench", "path to the httpbench binary (go build ../shared/tools/httpbench)")
	raftkv := flag.String("raftkv", "", "path to the raftkv binary (default: build it)")
	reps := flag.Int("reps", 3, "repetitions of every configuration per series")
	series := flag.Int("series", 2, "series, each on a fresh cluster")
	profile := flag.String("profile", "", "if set, write a 10 s CPU profile of the leader under put c=128 load to this file")
	flag.Parse()
	if *raftkv == "" {
		dir, _ := os.MkdirTemp("", "clusterbench")
		*raftkv = filepath.Join(dir, "raftkv")
		if out, err := exec.Command("go", "build", "-o", *raftkv, "github.com/raftkv/raftkv/cmd/raftkv").CombinedOutput(); err != nil {
			fail("build raftkv: %v\n%s", err, out)
		}
	}
	results := map[string][]result{}
	for s := range *series {
		c := startCluster(*raftkv)
		lead := c.leader()
		fmt.Fprintf(os.Stderr, "series %d: leader %s\n", s+1, lead.name)
		// The range runs read one fixed 256-byte key.
		c.post(lead, "/v3/kv/put", fmt.Sprintf(`{"key":%q,"value":%q}`, b64("rangekey"), b64(strings.Repeat("v", 256))))
		for r := range *reps {
			for _, bc := range configs {
				c.reset(lead)
				res := c.run(*httpbench, lead, bc)
				fmt.Fprintf(os.Stderr, "  rep %d %-30s %8.0f ops/s p50 %6.2f p99 %6.2f ms  cpu %5.0f µs/op (leader %5.0f) errors %d\n",
					r+1, bc.label, res.OpsS, res.P50, res.P99, res.cpuUS, res.leadUS, res.Errors)
				results[bc.label] = append(results[bc.label], res)
			}
		}
		if *profile != "" && s == 0 {
			c.profile(*httpbench, lead, *profile)
		}
		c.stop()
	}
	fmt.Println("| config | raftkv ops/s median [min–max] | etcd ops/s | ratio | raftkv p50 / p99 ms | etcd p50 / p99 ms | raftkv CPU µs/op (3 members) | etcd CPU µs/op | CPU ratio | leader-only µs/op |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, bc := range configs {
		rs := results[bc.label]
		ops := median(rs, func(r result) float64 { return r.OpsS })
		cpu := median(rs, func(r result) float64 { return r.cpuUS })
		fmt.Printf("| %s | **%.0f** [%.0f–%.0f] | %.0f | **%.2f×** | %.2f / %.2f | %.2f / %.2f | %.0f | %.0f | %.2f× | %.0f |\n",
			bc.label, ops, minOf(rs, func(r result) float64 { return r.OpsS }), maxOf(rs, func(r result) float64 { return r.OpsS }),
			bc.etcd.opsS, ops/bc.etcd.opsS,
			median(rs, func(r result) float64 { return r.P50 }), median(rs, func(r result) float64 { return r.P99 }),
			bc.etcd.p50, bc.etcd.p99, cpu, bc.etcd.cpuUS, cpu/bc.etcd.cpuUS,
			median(rs, func(r result) float64 { return r.leadUS }))
	}
}

type member struct {
	name, client, peer, dir string
	cmd                     *exec.Cmd
}

type cluster struct{ members []*member }

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("%v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startCluster(bin string) *cluster {
	dir, _ := os.MkdirTemp("", "clusterbench-data")
	c := &cluster{}
	var initial []string
	for i := range 3 {
		m := &member{name: fmt.Sprintf("m%d", i+1), client: "http://" + freePort(), peer: "http://" + freePort(), dir: filepath.Join(dir, fmt.Sprintf("m%d", i+1))}
		initial = append(initial, m.name+"="+m.peer)
		c.members = append(c.members, m)
	}
	for _, m := range c.members {
		m.cmd = exec.Command(bin, "--name", m.name, "--data-dir", m.dir,
			"--listen-client-urls", m.client, "--advertise-client-urls", m.client,
			"--listen-peer-urls", m.peer, "--initial-advertise-peer-urls", m.peer,
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-token", "bench",
			"--heartbeat-interval", "100", "--election-timeout", "1000", "--enable-pprof")
		if err := m.cmd.Start(); err != nil {
			fail("start %s: %v", m.name, err)
		}
	}
	return c
}

func (c *cluster) stop() {
	for _, m := range c.members {
		m.cmd.Process.Kill()
		m.cmd.Wait()
		os.RemoveAll(m.dir)
	}
}

func (c *cluster) post(m *member, path, body string) map[string]any {
	resp, err := http.Post(m.client+path, "application/json", strings.NewReader(body))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}

func (c *cluster) leader() *member {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range c.members {
			st := c.post(m, "/v3/maintenance/status", "{}")
			if st == nil {
				continue
			}
			h, _ := st["header"].(map[string]any)
			if st["leader"] != nil && h != nil && st["leader"] == h["member_id"] {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	fail("no leader")
	return nil
}

// reset compacts the store to its current revision before every run, as
// the baseline did for etcd (compact + defrag), so runs do not drift as
// history grows.
func (c *cluster) reset(lead *member) {
	st := c.post(lead, "/v3/maintenance/status", "{}")
	h, _ := st["header"].(map[string]any)
	rev, _ := h["revision"].(string)
	c.post(lead, "/v3/kv/compaction", fmt.Sprintf(`{"revision":%s,"physical":true}`, rev))
	time.Sleep(2 * time.Second)
}

func cpuTicks(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start at ")".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return u + s
}

func (c *cluster) run(httpbench string, lead *member, bc benchConfig) result {
	before := map[*member]float64{}
	for _, m := range c.members {
		before[m] = cpuTicks(m.cmd.Process.Pid)
	}
	args := append([]string{"-endpoints", lead.client, "-max-duration", "150s"}, bc.args...)
	out, err := exec.Command(httpbench, args...).Output()
	if err != nil && len(out) == 0 {
		fail("httpbench: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var res result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		fail("httpbench output: %v\n%s", err, out)
	}
	const clkTck = 100
	var total float64
	for _, m := range c.members {
		d := cpuTicks(m.cmd.Process.Pid) - before[m]
		total += d
		if m == lead {
			res.leadUS = d / clkTck / 20000 * 1e6
		}
	}
	res.cpuUS = total / clkTck / 20000 * 1e6
	return res
}

// profile takes a CPU profile of the leader while put c=128 load runs.
func (c *cluster) profile(httpbench string, lead *member, path string) {
	done := make(chan struct{})
	go func() {
		exec.Command(httpbench, "-endpoints", lead.client, "-op", "put", "-clients", "128", "-total", "200000", "-max-duration", "15s").Run()
		close(done)
	}()
	time.Sleep(time.Second)
	resp, err := http.Get(lead.client + "/debug/pprof/profile?seconds=10")
	if err == nil {
		f, _ := os.Create(path)
		f.ReadFrom(resp.Body)
		f.Close()
		resp.Body.Close()
	}
	<-done
}

func b64(s string) string {
	out, _ := json.Marshal([]byte(s))
	return strings.Trim(string(out), `"`)
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func minOf(rs []result, f func(result) float64) float64 {
	m := f(rs[0])
	for _, r := range rs {
		m = min(m, f(r))
	}
	return m
}

func maxOf(rs []result, f func(result) float64) float64 {
	m := f(rs[0])
	for _, r := range rs {
		m = max(m, f(r))
	}
	return m
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "clusterbench: "+format+"\n", args...)
	os.Exit(1)
}
