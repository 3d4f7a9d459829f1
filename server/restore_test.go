package server

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/kv"
)

// backupOf is what raftkvctl snapshot save receives from m (serveSnapshot).
func backupOf(t *testing.T, m *Member) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := writeSnapshotPayload(&b, m.cluster.clone(), m.store.Snapshot); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A backup restored on every member of a new cluster: the new cluster has
// exactly the backup's keys, history and revision, elects a leader and
// takes writes, and the old cluster's identity is gone.
func TestRestoreSnapshot_StartsANewClusterWithTheBackupsData(t *testing.T) {
	src := newMemberCluster(t, 3, nil)
	lead := src.leader()
	for i := range 20 {
		src.put(lead, fmt.Sprintf("k%02d", i), fmt.Sprintf("v%d", i))
	}
	if r := src.write(lead, &kv.Request{DeleteRange: &kv.DeleteRangeRequest{Key: []byte("k00")}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	backup, want := backupOf(t, lead), lead.store.Hash()

	dst := newMemberCluster(t, 3, func(c *Config) { c.InitialClusterToken = "restored-cluster" })
	for i, name := range dst.names {
		dst.crash(name)
		dst.disks[name] = vfs.NewSimDisk(rand.New(rand.NewPCG(99, uint64(i))))
		res, err := RestoreSnapshot(dst.disks[name], bytes.NewReader(backup), dst.cfgs[name])
		if err != nil {
			t.Fatalf("restore %s: %v", name, err)
		}
		if res.Revision != want.Revision || res.Keys != 19 || res.OldClusterID != src.members["m1"].ClusterID() {
			t.Fatalf("restore %s: %+v, want revision %d, 19 keys, old cluster %x", name, res, want.Revision, src.members["m1"].ClusterID())
		}
	}
	for _, name := range dst.names {
		dst.start(name)
	}
	dst.tick(30)
	newLead := dst.leader()
	if newLead.ClusterID() == lead.ClusterID() {
		t.Fatal("the restored cluster kept the old cluster's ID")
	}
	for _, name := range dst.names {
		if got := dst.members[name].store.Hash(); got != want {
			t.Fatalf("%s's store after restore: %+v, want the backup's %+v", name, got, want)
		}
		if got := len(dst.members[name].Members()); got != 3 {
			t.Fatalf("%s knows %d members, want 3", name, got)
		}
	}
	if v, ok := dst.get(newLead, "k07"); !ok || v != "v7" {
		t.Fatalf("k07 after restore: %q %v", v, ok)
	}
	if _, ok := dst.get(newLead, "k00"); ok {
		t.Fatal("a key deleted before the backup came back")
	}
	r := dst.put(newLead, "after-restore", "1")
	if r.Err != nil || r.KV.Put.Header.Revision != want.Revision+1 {
		t.Fatalf("first write after restore: %+v (want revision %d)", r, want.Revision+1)
	}
	// A restarted member comes back from the restored directory plus its WAL.
	dst.crash("m2")
	dst.start("m2")
	dst.tick(5)
	if v, ok := dst.get(dst.members["m2"], "after-restore"); !ok || v != "1" {
		t.Fatal("a restored member lost a write across a restart")
	}
}

// A restore never overwrites a data directory, and refuses a damaged or
// truncated backup without writing anything.
func TestRestoreSnapshot_RefusesBadInput(t *testing.T) {
	src := newMemberCluster(t, 3, nil)
	src.put(src.leader(), "a", "1")
	backup := backupOf(t, src.leader())
	cfg := src.cfgs["m1"]

	if _, err := RestoreSnapshot(src.disks["m1"], bytes.NewReader(backup), cfg); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore over a member's data directory: %v", err)
	}
	for what, damaged := range map[string][]byte{
		"a flipped bit": flipByte(backup, len(backup)-10),
		"a cut tail":    backup[:len(backup)/2],
		"not a backup":  []byte("hello"),
	} {
		disk := vfs.NewSimDisk(rand.New(rand.NewPCG(1, 2)))
		if _, err := RestoreSnapshot(disk, bytes.NewReader(damaged), cfg); err == nil {
			t.Errorf("%s: restored without an error", what)
		}
		if names, _ := disk.ReadDir(cfg.DataDir); len(names) != 0 {
			t.Errorf("%s: the failed restore left %v behind", what, names)
		}
	}
}

func flipByte(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x40
	return out
}
