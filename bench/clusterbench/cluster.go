package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// system is one of the two stores under test. Nothing else distinguishes
// them in this driver: both start with the same flags, take the same load
// from the same tools and are reset with the same calls. That sameness is
// what lets their ratio mean something.
type system struct {
	name string // "raftkv" or "etcd"
	bin  string
}

// member is one server process of a cluster.
type member struct {
	name      string // m1, m2, m3
	clientURL string // http://127.0.0.1:port; gRPC and JSON share it
	peerURL   string
	dataDir   string
	logPath   string
	cmd       *exec.Cmd
	// exited is closed once the process has exited and been reaped.
	exited chan struct{}
}

// clientAddr is host:port, the form etcd's benchmark tool takes.
func (m *member) clientAddr() string { return strings.TrimPrefix(m.clientURL, "http://") }

func (m *member) pid() int { return m.cmd.Process.Pid }

type cluster struct {
	sys     system
	dir     string // holds every member's data dir and log; removed by stop
	members []*member
}

// membersPerCluster is the baseline's cluster size.
const membersPerCluster = 3

// reservePorts returns n distinct free loopback ports. All n listeners are
// held open until the last is chosen, so that the kernel cannot hand the
// same port out twice; the ports are free again when it returns, and a
// port taken by someone else in between shows as a member failing to start.
func reservePorts(n int) ([]int, error) {
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("reserve a port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startCluster starts a fresh 3-member cluster of sys under dir with the
// baseline's flags, client and peer ports taken from ports (two per
// member), and waits until it has a leader. pprof adds --enable-pprof, for
// -profile only, so that measured runs use exactly the baseline's flags.
func startCluster(ctx context.Context, sys system, dir string, ports []int, pprof bool) (*cluster, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c := &cluster{sys: sys, dir: dir}
	var initial []string
	for i := range membersPerCluster {
		name := fmt.Sprintf("m%d", i+1)
		m := &member{
			name:      name,
			clientURL: "http://127.0.0.1:" + strconv.Itoa(ports[2*i]),
			peerURL:   "http://127.0.0.1:" + strconv.Itoa(ports[2*i+1]),
			dataDir:   filepath.Join(dir, name),
			logPath:   filepath.Join(dir, name+".log"),
			exited:    make(chan struct{}),
		}
		initial = append(initial, m.name+"="+m.peerURL)
		c.members = append(c.members, m)
	}
	// A fresh token per cluster: members of an earlier cluster still
	// shutting down must never be mistaken for members of this one.
	token := fmt.Sprintf("clusterbench-%s-%d", sys.name, time.Now().UnixNano())
	for _, m := range c.members {
		args := []string{"--name", m.name, "--data-dir", m.dataDir,
			"--listen-client-urls", m.clientURL, "--advertise-client-urls", m.clientURL,
			"--listen-peer-urls", m.peerURL, "--initial-advertise-peer-urls", m.peerURL,
			"--initial-cluster", strings.Join(initial, ","),
			"--initial-cluster-token", token, "--initial-cluster-state", "new",
			"--heartbeat-interval", "100", "--election-timeout", "1000"}
		if pprof {
			args = append(args, "--enable-pprof")
		}
		if err := m.start(sys.bin, args); err != nil {
			c.stop()
			return nil, fmt.Errorf("%s %s: %w", sys.name, m.name, err)
		}
	}
	if _, err := c.leader(ctx, 30*time.Second); err != nil {
		err = fmt.Errorf("%s cluster in %s: %w\n%s", sys.name, dir, err, c.logTails())
		c.stop()
		return nil, err
	}
	return c, nil
}

func (m *member) start(bin string, args []string) error {
	log, err := os.Create(m.logPath)
	if err != nil {
		return err
	}
	m.cmd = exec.Command(bin, args...)
	m.cmd.Stdout, m.cmd.Stderr = log, log
	// If the driver itself is killed (even with SIGKILL, which runs no
	// cleanup), the kernel kills the members too rather than leaving a
	// cluster running on a shared machine.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		log.Close()
		return err
	}
	go func() {
		m.cmd.Wait()
		log.Close()
		close(m.exited)
	}()
	return nil
}

func (c *cluster) pids() []int {
	var pids []int
	for _, m := range c.members {
		pids = append(pids, m.pid())
	}
	return pids
}

// leader finds the member that leads, asking every member for its status
// until one of them is the leader the others name too. The baseline asked
// before every run, since a leader can change between runs, and all load
// goes to the leader.
func (c *cluster) leader(ctx context.Context, within time.Duration) (*member, error) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	var last error
	for {
		lead, err := c.agreedLeader(ctx)
		if err == nil {
			return lead, nil
		}
		last = err
		for _, m := range c.members {
			select {
			case <-m.exited:
				return nil, fmt.Errorf("%s exited: %v", m.name, m.cmd.ProcessState)
			default:
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no leader within %s: %w", within, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *cluster) agreedLeader(ctx context.Context) (*member, error) {
	var lead *member
	var leaderID gatewayInt
	for _, m := range c.members {
		st, err := status(ctx, m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		if st.Leader == "" || st.Leader == "0" {
			return nil, fmt.Errorf("%s knows no leader", m.name)
		}
		if leaderID != "" && st.Leader != leaderID {
			return nil, fmt.Errorf("members name different leaders (%s, %s)", leaderID, st.Leader)
		}
		leaderID = st.Leader
		if st.Header.MemberID == st.Leader {
			lead = m
		}
	}
	if lead == nil {
		return nil, fmt.Errorf("leader %s is none of the members", leaderID)
	}
	return lead, nil
}

// stop ends the cluster as the baseline's stop-all.sh did (SIGTERM, then
// wait), with SIGKILL for a member that does not exit within 10 s, and
// removes its data dirs and logs. It signals only the processes it
// started.
//
// The members stop one after the other. A leader told to stop first hands
// its leadership to a live follower, which is quick; signalled all at
// once, an etcd leader tries to hand it to followers that are going away
// and waits for its timeout (7 s here).
func (c *cluster) stop() error {
	var errs []error
	for _, m := range c.members {
		if m.cmd == nil || m.cmd.Process == nil {
			continue
		}
		m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.exited:
		case <-time.After(10 * time.Second):
			m.cmd.Process.Kill()
			<-m.exited
			errs = append(errs, fmt.Errorf("%s %s ignored SIGTERM for 10 s and was killed", c.sys.name, m.name))
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// logTails is the end of every member's log, to explain a failed start.
func (c *cluster) logTails() string {
	var b strings.Builder
	for _, m := range c.members {
		log, _ := os.ReadFile(m.logPath)
		if len(log) > 2000 {
			log = log[len(log)-2000:]
		}
		fmt.Fprintf(&b, "--- %s %s log (tail) ---\n%s\n", c.sys.name, m.name, log)
	}
	return b.String()
}
