package server

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/kv"
)

// backupOf is the file raftkvctl snapshot save writes from m's stream
// (serveSnapshot): the payload, then its SHA-256.
func backupOf(t *testing.T, m *Member) []byte {
	t.Helper()
	var b bytes.Buffer
	src := &backupSource{members: m.cluster.withAuth(m.auth.State()), store: m.store.Freeze()}
	if err := src.encode(&b); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b.Bytes())
	return append(b.Bytes(), sum[:]...)
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
		res, err := RestoreSnapshot(dst.disks[name], bytes.NewReader(backup), dst.cfgs[name], RestoreOptions{})
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

	if _, err := RestoreSnapshot(src.disks["m1"], bytes.NewReader(backup), cfg, RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore over a member's data directory: %v", err)
	}
	for _, tc := range []struct {
		what    string
		damaged []byte
		want    string
	}{
		{"a flipped bit", flipByte(backup, len(backup)-40), "expected sha256"},
		// The membership's JSON is covered by the digest alone.
		{"a flipped bit in the membership", flipByte(backup, len(snapshotMagic)+5), "expected sha256"},
		{"a cut tail", backup[:len(backup)/2], "expected sha256"},
		{"no digest", backup[:len(backup)-sha256.Size], "expected sha256"},
		{"not a backup", []byte("hello"), "not a raftkv snapshot"},
	} {
		disk := vfs.NewSimDisk(rand.New(rand.NewPCG(1, 2)))
		if _, err := RestoreSnapshot(disk, bytes.NewReader(tc.damaged), cfg, RestoreOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: restore said %v, want %q", tc.what, err, tc.want)
		}
		if names, _ := disk.ReadDir(cfg.DataDir); len(names) != 0 {
			t.Errorf("%s: the failed restore left %v behind", tc.what, names)
		}
		if _, err := ReadSnapshotStatus(bytes.NewReader(tc.damaged)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: status said %v, want %q", tc.what, err, tc.want)
		}
	}
}

// --skip-hash-check restores a backup that has no digest (or a wrong one);
// the store's own CRC still guards the key-value part.
func TestRestoreSnapshot_SkipHashCheck(t *testing.T) {
	src := newMemberCluster(t, 3, nil)
	src.put(src.leader(), "a", "1")
	backup := backupOf(t, src.leader())
	cfg := src.cfgs["m1"]
	skip := RestoreOptions{SkipHashCheck: true}

	for what, file := range map[string][]byte{"with its digest": backup, "without a digest": backup[:len(backup)-sha256.Size]} {
		disk := vfs.NewSimDisk(rand.New(rand.NewPCG(1, 2)))
		if res, err := RestoreSnapshot(disk, bytes.NewReader(file), cfg, skip); err != nil || res.Keys != 1 {
			t.Errorf("%s: %+v, %v; want the one key restored", what, res, err)
		}
	}
	disk := vfs.NewSimDisk(rand.New(rand.NewPCG(1, 2)))
	if _, err := RestoreSnapshot(disk, bytes.NewReader(flipByte(backup, len(backup)-40)), cfg, skip); err == nil {
		t.Error("a flipped bit in the store restored without an error")
	}
}

func flipByte(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x40
	return out
}

// A backup of a cluster with authentication on restores into a cluster
// with authentication on: the same users and roles, on every member, and a
// write by a user without the permission still refused. (The restore once
// kept the keys and dropped the auth state: the new cluster was open to
// anyone.)
func TestRestoreSnapshot_KeepsUsersRolesAndAuthentication(t *testing.T) {
	src := newMemberCluster(t, 3, nil)
	setUpAuth(t, src)
	lead := src.leader()
	backup := backupOf(t, lead)

	dst := newMemberCluster(t, 3, func(c *Config) { c.InitialClusterToken = "restored-cluster" })
	for i, name := range dst.names {
		dst.crash(name)
		dst.disks[name] = vfs.NewSimDisk(rand.New(rand.NewPCG(7, uint64(i))))
		_, err := RestoreSnapshot(dst.disks[name], bytes.NewReader(backup), dst.cfgs[name], RestoreOptions{})
		require.NoError(t, err, "restore %s", name)
	}
	for _, name := range dst.names {
		dst.start(name)
	}
	dst.tick(30)
	for _, name := range dst.names {
		a := dst.members[name].Auth()
		require.True(t, a.Enabled(), "%s: authentication still on", name)
		require.Equal(t, []string{"alice", auth.RootUser}, a.Users(), "%s's users", name)
	}
	newLead := dst.leader()
	alice := auth.Caller{User: "alice", Revision: newLead.Auth().Revision()}
	require.NoError(t, dst.writeAs(newLead, &kv.Request{Put: &kv.PutRequest{Key: []byte("k1"), Value: []byte("v")}}, alice).Err)
	err := dst.writeAs(newLead, &kv.Request{Put: &kv.PutRequest{Key: []byte("other"), Value: []byte("v")}}, alice).Err
	require.ErrorIs(t, err, auth.ErrPermissionDenied, "alice's permissions, as they were")
	err = dst.write(newLead, &kv.Request{Put: &kv.PutRequest{Key: []byte("k2"), Value: []byte("v")}}).Err
	require.Error(t, err, "a write with no user, refused")
}
