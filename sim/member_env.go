package sim

import (
	"fmt"
	"io"
	"time"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

// This file is the outside world of one simulated member: what server.Env
// asks for (a clock, a transport, a filesystem, a logger), built on the
// simulation's virtual time, network and disks.

// epoch is virtual time zero on the members' clocks. Any fixed instant
// would do; a recent one keeps member IDs (derived from the clock when a
// member is added) looking like real ones.
var epoch = time.Unix(1_700_000_000, 0).UTC()

// memberClock is one member's clock: the simulation's virtual time plus
// the time the member has spent so far in its current Process — a member
// whose fsync takes 200 ms sees its clock move by 200 ms, exactly as a
// real member blocked in fdatasync would.
type memberClock struct{ sl *slot }

func (c memberClock) Now() time.Time {
	return epoch.Add(time.Duration(c.sl.sim.now+c.sl.offset) * time.Microsecond)
}

// memberTransport is the member's side of the simulated network. It keeps
// the peer list the member maintains through AddPeer/RemovePeer, as the
// real transport does, so a member that forgets to add a peer cannot
// reach it here either.
type memberTransport struct{ sl *slot }

func (t memberTransport) Send(msgs []raft.Message) {
	for _, m := range msgs {
		t.sl.sim.send(t.sl, m)
	}
}

func (t memberTransport) AddPeer(id uint64, _ []string)    { t.sl.peers[id] = true }
func (t memberTransport) UpdatePeer(id uint64, _ []string) { t.sl.peers[id] = true }
func (t memberTransport) RemovePeer(id uint64)             { delete(t.sl.peers, id) }

// memberLogger records the member's log lines in the trace at -v 2, and
// for a script to look at (MemberScript.Logged).
type memberLogger struct{ sl *slot }

func (l memberLogger) Printf(format string, args ...any) {
	s := l.sl.sim
	if s.cfg.Trace <= 1 && s.script == nil {
		return
	}
	text := fmt.Sprintf(format, args...)
	if s.script != nil {
		s.script.logged = append(s.script.logged, loggedLine{slot: l.sl.idx, at: s.now + l.sl.offset, text: text})
	}
	if s.cfg.Trace > 1 {
		s.res.Trace = append(s.res.Trace, fmt.Sprintf("%s    %s: %s", s.now+l.sl.offset, l.sl.name, text))
	}
}

// timedFS is a member's filesystem: the slot's simulated disk, with fsync
// taking virtual time. Each Sync or SyncDir adds its latency to the slot's
// offset (the time spent inside the current Process); the simulation then
// holds back whatever the member does after the fsync — messages, answers
// to clients, its next inputs — until that much virtual time has passed.
// That is a blocking fsync, modelled without blocking anything.
type timedFS struct {
	sl *slot
}

func (f timedFS) disk() *vfs.SimDisk { return f.sl.disk }

func (f timedFS) Create(name string) (vfs.File, error) {
	file, err := f.disk().Create(name)
	return f.wrap(file, err)
}
func (f timedFS) Open(name string) (vfs.File, error) {
	file, err := f.disk().Open(name)
	return f.wrap(file, err)
}
func (f timedFS) OpenReadWrite(name string) (vfs.File, error) {
	file, err := f.disk().OpenReadWrite(name)
	return f.wrap(file, err)
}
func (f timedFS) Rename(oldpath, newpath string) error { return f.disk().Rename(oldpath, newpath) }
func (f timedFS) Remove(name string) error             { return f.disk().Remove(name) }
func (f timedFS) RemoveAll(path string) error          { return f.disk().RemoveAll(path) }
func (f timedFS) ReadDir(dir string) ([]string, error) { return f.disk().ReadDir(dir) }
func (f timedFS) MkdirAll(dir string) error            { return f.disk().MkdirAll(dir) }
func (f timedFS) Stat(name string) (vfs.FileInfo, error) {
	return f.disk().Stat(name)
}
func (f timedFS) Lock(dir string) (io.Closer, error) { return f.disk().Lock(dir) }

func (f timedFS) SyncDir(dir string) error {
	f.sl.sim.fsyncDelay(f.sl)
	return f.disk().SyncDir(dir)
}

func (f timedFS) wrap(file vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return timedFile{File: file, sl: f.sl}, nil
}

type timedFile struct {
	vfs.File
	sl *slot
}

func (f timedFile) Sync() error {
	f.sl.sim.fsyncDelay(f.sl)
	return f.File.Sync()
}
