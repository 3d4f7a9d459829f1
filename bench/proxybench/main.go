// Command proxybench measures what a grpc-proxy in front of a 3-member
// cluster buys and costs, for raftkv's proxy and, in the same run, for
// etcd's (etcd grpc-proxy start, of the etcd binary given):
//
//   - watch coalescing: W client watch streams, spread over K keys, through
//     one proxy — how many watches the cluster then holds (the members'
//     etcd_debugging_mvcc_watcher_total), and whether every watcher gets
//     every event of its key, in order, once;
//
//   - serializable range throughput through the proxy (its cache warm)
//     beside the same reads straight to a member;
//
//   - the latency a put gains through the proxy.
//
//     cd bench && go run ./proxybench -etcd /work/etcd-bin/etcd
//
// Every cluster and proxy is a process of its own on 127.0.0.1, started
// fresh for each system.
package main

import (
	"bufio"
	"context"
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
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type settings struct {
	watchers, keys, rounds int
	reads, readClients     int
	puts                   int
}

func main() {
	raftkv := flag.String("raftkv", "", "the raftkv binary (default: build it)")
	etcd := flag.String("etcd", "", "the etcd binary, to measure etcd's grpc-proxy beside raftkv's (empty: raftkv only)")
	var s settings
	flag.IntVar(&s.watchers, "watchers", 1000, "client watch streams through the proxy")
	flag.IntVar(&s.keys, "keys", 10, "keys they watch (watchers spread evenly)")
	flag.IntVar(&s.rounds, "rounds", 20, "puts of every key while they watch")
	flag.IntVar(&s.reads, "reads", 50000, "serializable ranges per read run")
	flag.IntVar(&s.readClients, "read-clients", 16, "concurrent readers")
	flag.IntVar(&s.puts, "puts", 2000, "puts per latency run (one client)")
	base := flag.Int("base-port", 31500, "first of the ports the clusters and proxies use (below Linux's ephemeral range)")
	flag.Parse()
	if *raftkv == "" {
		dir, _ := os.MkdirTemp("", "proxybench")
		*raftkv = filepath.Join(dir, "raftkv")
		build := exec.Command("go", "build", "-o", *raftkv, "./cmd/raftkv")
		build.Dir = ".." // the main module, with its own go.sum
		if out, err := build.CombinedOutput(); err != nil {
			fail("build raftkv: %v\n%s", err, out)
		}
	}
	systems := []string{*raftkv}
	if *etcd != "" {
		systems = append(systems, *etcd)
	}
	var rows []string
	for i, bin := range systems {
		name := "raftkv"
		if i == 1 {
			name = "etcd v3.7.3"
		}
		fmt.Fprintf(os.Stderr, "== %s\n", name)
		rows = append(rows, measure(name, bin, *base+i*100, s)...)
	}
	fmt.Printf("| system | measure | through the proxy | straight to a member |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Println(r)
	}
}

func measure(name, bin string, port int, s settings) []string {
	c := startCluster(bin, port)
	defer c.stop()
	proxyAddr := fmt.Sprintf("127.0.0.1:%d", port+50)
	p := c.startProxy(bin, proxyAddr)
	defer p.kill()
	member := c.clientAddr(0)
	var rows []string

	w := watchRun(proxyAddr, c, s)
	rows = append(rows,
		fmt.Sprintf("| %s | %d watch streams on %d keys: watches the cluster holds once they are created | %d | (%d) |", name, s.watchers, s.keys, w.clusterWatches, s.watchers),
		fmt.Sprintf("| %s | … and after the events below | %d | (%d) |", name, w.clusterWatchesAfter, s.watchers),
		fmt.Sprintf("| %s | events delivered (%d puts, each to %d watchers): in order, once | %d of %d, %s | |", name, s.rounds*s.keys, s.watchers/s.keys, w.delivered, w.expected, w.verdict))

	cpu0 := c.cpu()
	viaProxy := readRun(proxyAddr, s)
	cpu1 := c.cpu()
	direct := readRun(member, s)
	cpu2 := c.cpu()
	rows = append(rows, fmt.Sprintf("| %s | serializable range c=%d, ops/s (p50 / p99 ms) | %.0f (%.2f / %.2f) | %.0f (%.2f / %.2f) |",
		name, s.readClients, viaProxy.opsS, viaProxy.p50, viaProxy.p99, direct.opsS, direct.p50, direct.p99),
		fmt.Sprintf("| %s | the members' CPU per serializable range, µs | %.1f | %.1f |",
			name, float64((cpu1-cpu0).Microseconds())/float64(s.reads), float64((cpu2-cpu1).Microseconds())/float64(s.reads)))

	putProxy := putRun(proxyAddr, s)
	putDirect := putRun(member, s)
	rows = append(rows, fmt.Sprintf("| %s | put c=1, p50 / p99 ms | %.2f / %.2f | %.2f / %.2f |", name, putProxy.p50, putProxy.p99, putDirect.p50, putDirect.p99))
	return rows
}

// watchResult is what the watch run saw.
type watchResult struct {
	clusterWatches      int
	clusterWatchesAfter int
	delivered, expected int
	verdict             string
}

func watchRun(proxyAddr string, c *cluster, s settings) watchResult {
	before := c.watchers()
	const perConn = 20
	var conns []*grpc.ClientConn
	defer func() {
		for _, conn := range conns {
			conn.Close()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type watcher struct {
		key  string
		got  []int64 // revisions seen
		mu   sync.Mutex
		done chan struct{}
	}
	var all []*watcher
	var created sync.WaitGroup
	var want atomic.Int64
	for i := range s.watchers {
		if i%perConn == 0 {
			conns = append(conns, dial(proxyAddr))
		}
		w := &watcher{key: fmt.Sprintf("/bench/watch/%d", i%s.keys), done: make(chan struct{})}
		all = append(all, w)
		stream, err := pb.NewWatchClient(conns[len(conns)-1]).Watch(ctx)
		check(err)
		check(stream.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{Key: []byte(w.key)}}}))
		created.Add(1)
		go func() {
			first := true
			for {
				resp, err := stream.Recv()
				if err != nil {
					return
				}
				if resp.Created && first {
					first = false
					created.Done()
					continue
				}
				w.mu.Lock()
				for _, e := range resp.Events {
					w.got = append(w.got, e.Kv.ModRevision)
				}
				n := len(w.got)
				w.mu.Unlock()
				if int64(n) == want.Load() {
					close(w.done)
					return
				}
			}
		}()
	}
	created.Wait()
	var res watchResult
	// The cluster's count settles as the proxy merges what it opened.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res.clusterWatches = c.watchers() - before
		if res.clusterWatches <= s.keys || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	want.Store(int64(s.rounds))
	kvc := pb.NewKVClient(dial(proxyAddr))
	revs := map[string][]int64{}
	for range s.rounds {
		for k := range s.keys {
			key := fmt.Sprintf("/bench/watch/%d", k)
			resp, err := kvc.Put(ctx, &pb.PutRequest{Key: []byte(key), Value: []byte("v")})
			check(err)
			revs[key] = append(revs[key], resp.Header.Revision)
		}
	}
	timeout := time.After(30 * time.Second)
	for _, w := range all {
		select {
		case <-w.done:
		case <-timeout:
		}
	}
	res.clusterWatchesAfter = c.watchers() - before
	res.verdict = "all"
	for _, w := range all {
		w.mu.Lock()
		res.delivered += len(w.got)
		res.expected += s.rounds
		if !slices.Equal(w.got, revs[w.key]) {
			res.verdict = "NOT in order once"
		}
		w.mu.Unlock()
	}
	return res
}

type latency struct {
	opsS, p50, p99 float64
}

func summarize(ds []time.Duration, elapsed time.Duration) latency {
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return latency{opsS: float64(len(ds)) / elapsed.Seconds(), p50: ms(ds[len(ds)/2]), p99: ms(ds[len(ds)*99/100])}
}

func readRun(addr string, s settings) latency {
	conn := dial(addr)
	defer conn.Close()
	kvc := pb.NewKVClient(conn)
	ctx := context.Background()
	_, err := kvc.Put(ctx, &pb.PutRequest{Key: []byte("/bench/read"), Value: []byte(strings.Repeat("v", 256))})
	check(err)
	req := &pb.RangeRequest{Key: []byte("/bench/read"), Serializable: true}
	for range 100 { // warm: the proxy's cache, the connections
		_, err := kvc.Range(ctx, req)
		check(err)
	}
	per := s.reads / s.readClients
	ds := make([][]time.Duration, s.readClients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range s.readClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				t := time.Now()
				_, err := kvc.Range(ctx, req)
				check(err)
				ds[i] = append(ds[i], time.Since(t))
			}
		}()
	}
	wg.Wait()
	return summarize(slices.Concat(ds...), time.Since(start))
}

func putRun(addr string, s settings) latency {
	conn := dial(addr)
	defer conn.Close()
	kvc := pb.NewKVClient(conn)
	ctx := context.Background()
	val := []byte(strings.Repeat("v", 256))
	for range 50 {
		_, err := kvc.Put(ctx, &pb.PutRequest{Key: []byte("/bench/put"), Value: val})
		check(err)
	}
	var ds []time.Duration
	start := time.Now()
	for range s.puts {
		t := time.Now()
		_, err := kvc.Put(ctx, &pb.PutRequest{Key: []byte("/bench/put"), Value: val})
		check(err)
		ds = append(ds, time.Since(t))
	}
	return summarize(ds, time.Since(start))
}

// cluster is three member processes.
type cluster struct {
	dir   string
	port  int
	procs []*exec.Cmd
}

func startCluster(bin string, port int) *cluster {
	dir, err := os.MkdirTemp("", "proxybench-cluster")
	check(err)
	c := &cluster{dir: dir, port: port}
	var initial []string
	for i := range 3 {
		initial = append(initial, fmt.Sprintf("m%d=http://127.0.0.1:%d", i+1, port+10+i))
	}
	for i := range 3 {
		client, peer := "http://"+c.clientAddr(i), fmt.Sprintf("http://127.0.0.1:%d", port+10+i)
		mustBeFree(c.clientAddr(i))
		cmd := exec.Command(bin, "--name", fmt.Sprintf("m%d", i+1), "--data-dir", filepath.Join(dir, fmt.Sprint(i)),
			"--listen-client-urls", client, "--advertise-client-urls", client,
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-token", "proxybench", "--initial-cluster-state", "new")
		log, err := os.Create(filepath.Join(dir, fmt.Sprintf("m%d.log", i+1)))
		check(err)
		cmd.Stdout, cmd.Stderr = log, log
		check(cmd.Start())
		c.procs = append(c.procs, cmd)
	}
	waitFor(func() bool {
		for i := range 3 {
			resp, err := http.Get("http://" + c.clientAddr(i) + "/health")
			if err != nil {
				return false
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return false
			}
		}
		return true
	}, "the cluster to be healthy")
	return c
}

// cpu is the CPU time the three members have used (/proc/PID/stat's utime
// and stime, in clock ticks of 10 ms).
func (c *cluster) cpu() time.Duration {
	var ticks int64
	for _, p := range c.procs {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Process.Pid))
		check(err)
		// The fields after the command name, which ends with ')'.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		for _, f := range fields[11:13] {
			n, err := strconv.ParseInt(f, 10, 64)
			check(err)
			ticks += n
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

func (c *cluster) clientAddr(i int) string { return fmt.Sprintf("127.0.0.1:%d", c.port+i) }

func (c *cluster) stop() {
	for _, p := range c.procs {
		p.Process.Kill()
		p.Wait()
	}
	os.RemoveAll(c.dir)
}

// watchers sums etcd_debugging_mvcc_watcher_total over the members.
func (c *cluster) watchers() int {
	total := 0
	for i := range 3 {
		total += int(metric("http://"+c.clientAddr(i)+"/metrics", "etcd_debugging_mvcc_watcher_total"))
	}
	return total
}

type proc struct{ cmd *exec.Cmd }

func (p *proc) kill() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

func (c *cluster) startProxy(bin, addr string) *proc {
	mustBeFree(addr)
	var eps []string
	for i := range 3 {
		eps = append(eps, c.clientAddr(i))
	}
	cmd := exec.Command(bin, "grpc-proxy", "start", "--endpoints="+strings.Join(eps, ","), "--listen-addr="+addr, "--advertise-client-url="+addr)
	log, err := os.Create(filepath.Join(c.dir, "proxy.log"))
	check(err)
	cmd.Stdout, cmd.Stderr = log, log
	check(cmd.Start())
	kvc := pb.NewKVClient(dial(addr))
	waitFor(func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := kvc.Range(ctx, &pb.RangeRequest{Key: []byte("probe")})
		return err == nil
	}, "the proxy to answer")
	return &proc{cmd: cmd}
}

func dial(addr string) *grpc.ClientConn {
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	check(err)
	return conn
}

func metric(url, name string) float64 {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

func mustBeFree(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fail("%s is taken; choose another -base-port", addr)
	}
	ln.Close()
}

func waitFor(cond func() bool, what string) {
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			fail("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "proxybench: "+format+"\n", args...)
	os.Exit(1)
}
