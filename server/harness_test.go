package server

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/raft"
)

// memberCluster runs real Members in one goroutine, each on its own
// simulated disk, with a perfect in-memory network and a fake clock. It is
// the unit-test cousin of package sim.
type memberCluster struct {
	t       testing.TB
	now     time.Time
	names   []string
	members map[string]*Member
	disks   map[string]*vfs.SimDisk
	cfgs    map[string]Config
	queue   []raft.Message
	down    map[uint64]bool // IDs whose messages are dropped
	byID    map[uint64]string
	seed    uint64
}

type fakeClock struct{ c *memberCluster }

func (f fakeClock) Now() time.Time { return f.c.now }

type queueTransport struct{ c *memberCluster }

func (q queueTransport) Send(msgs []raft.Message)            { q.c.queue = append(q.c.queue, msgs...) }
func (q queueTransport) AddPeer(id uint64, urls []string)    {}
func (q queueTransport) UpdatePeer(id uint64, urls []string) {}
func (q queueTransport) RemovePeer(id uint64)                {}

type testLogger struct {
	t    testing.TB
	name string
}

func (l testLogger) Printf(format string, args ...any) {
	l.t.Logf("%s: %s", l.name, fmt.Sprintf(format, args...))
}

func peerURL(name string) string { return "http://" + name + ":2380" }

func newMemberCluster(t testing.TB, n int, tweak func(*Config)) *memberCluster {
	c := &memberCluster{
		t: t, now: time.Unix(1_700_000_000, 0), members: map[string]*Member{}, disks: map[string]*vfs.SimDisk{},
		cfgs: map[string]Config{}, down: map[uint64]bool{}, byID: map[uint64]string{}, seed: 1,
	}
	var initial []string
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("m%d", i)
		c.names = append(c.names, name)
		initial = append(initial, name+"="+peerURL(name))
	}
	for _, name := range c.names {
		cfg := DefaultConfig()
		cfg.Name = name
		cfg.DataDir = "/data/" + name
		cfg.InitialAdvertisePeerURLs = []string{peerURL(name)}
		cfg.AdvertiseClientURLs = []string{"http://" + name + ":2379"}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.SnapshotCount = 100
		cfg.SnapshotCatchUpEntries = 10
		if tweak != nil {
			tweak(&cfg)
		}
		c.cfgs[name] = cfg
		c.disks[name] = vfs.NewSimDisk(rand.New(rand.NewPCG(c.seed, uint64(len(c.disks)))))
		c.start(name)
	}
	c.settle()
	return c
}

func (c *memberCluster) start(name string) {
	c.t.Helper()
	c.seed++
	m, err := NewMember(c.cfgs[name], Env{
		FS: c.disks[name], Transport: queueTransport{c}, Clock: fakeClock{c},
		Rand: rand.New(rand.NewPCG(c.seed, 7)), Logger: testLogger{c.t, name},
		FetchCluster: c.fetchCluster,
	})
	if err != nil {
		c.t.Fatalf("start %s: %v", name, err)
	}
	c.members[name] = m
	c.byID[m.ID()] = name
}

func (c *memberCluster) fetchCluster([]string) (uint64, []MemberInfo, error) {
	for _, m := range c.members {
		if m != nil {
			return m.ClusterID(), m.Members(), nil
		}
	}
	return 0, nil, fmt.Errorf("no member running")
}

// crash stops a member abruptly: its disk loses what was not synced.
func (c *memberCluster) crash(name string) {
	c.members[name] = nil
	c.disks[name].Crash()
}

// settle delivers messages and processes members until nothing moves.
func (c *memberCluster) settle() {
	c.t.Helper()
	for round := 0; round < 100000; round++ {
		for _, name := range c.names {
			if m := c.members[name]; m != nil {
				if err := m.Process(); err != nil {
					c.t.Fatalf("%s: %v", name, err)
				}
			}
		}
		if len(c.queue) == 0 {
			return
		}
		msgs := c.queue
		c.queue = nil
		for _, msg := range msgs {
			if c.down[msg.From] || c.down[msg.To] {
				continue
			}
			if m := c.members[c.byID[msg.To]]; m != nil {
				m.Step(msg)
			}
		}
	}
	c.t.Fatal("cluster did not settle")
}

// tick advances time by one heartbeat on every member.
func (c *memberCluster) tick(n int) {
	for range n {
		c.now = c.now.Add(100 * time.Millisecond)
		for _, name := range c.names {
			if m := c.members[name]; m != nil {
				m.Tick()
			}
		}
		c.settle()
	}
}

// followers are the running members other than lead, in name order.
func (c *memberCluster) followers(lead *Member) []*Member {
	var out []*Member
	for _, name := range c.names {
		if m := c.members[name]; m != nil && m != lead {
			out = append(out, m)
		}
	}
	return out
}

// leaderOrNil is the running member that leads now, if any.
func (c *memberCluster) leaderOrNil() *Member {
	for _, name := range c.names {
		if m := c.members[name]; m != nil && m.IsLeader() {
			return m
		}
	}
	return nil
}

func (c *memberCluster) leader() *Member {
	c.t.Helper()
	for range 300 {
		for _, name := range c.names {
			if m := c.members[name]; m != nil && m.IsLeader() {
				return m
			}
		}
		c.tick(1)
	}
	c.t.Fatal("no leader")
	return nil
}

// do runs a request on a member and waits (in virtual time) for its result.
func (c *memberCluster) write(m *Member, req *kv.Request) Result {
	c.t.Helper()
	var res *Result
	m.Write(req, c.now.Add(5*time.Second), func(r Result) { res = &r })
	for i := 0; res == nil && i < 100; i++ {
		c.settle()
		if res == nil {
			c.tick(1)
		}
	}
	if res == nil {
		c.t.Fatal("request never resolved")
	}
	return *res
}

func (c *memberCluster) put(m *Member, key, value string) Result {
	c.t.Helper()
	return c.write(m, &kv.Request{Put: &kv.PutRequest{Key: []byte(key), Value: []byte(value)}})
}

// get reads a key linearizably through m.
func (c *memberCluster) get(m *Member, key string) (string, bool) {
	c.t.Helper()
	var passed, failed bool
	m.ReadBarrier(true, c.now.Add(5*time.Second), func(err error) {
		if err != nil {
			failed = true
			return
		}
		passed = true
	})
	for i := 0; !passed && !failed && i < 100; i++ {
		c.settle()
		if !passed && !failed {
			c.tick(1)
		}
	}
	if !passed {
		c.t.Fatalf("read barrier on %x failed", m.ID())
	}
	resp, err := m.Store().Range(&kv.RangeRequest{Key: []byte(key)})
	if err != nil {
		c.t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return "", false
	}
	return string(resp.Kvs[0].Value), true
}
