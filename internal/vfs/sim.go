package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
)

// SectorSize is the unit the simulated disk writes atomically: at a crash a
// torn write keeps whole sectors of its prefix, never part of one. Real disks
// promise at least this much (512-byte sectors); the WAL's rule for telling a
// torn tail from corruption depends on it.
const SectorSize = 512

var (
	// ErrCrashed is returned by a handle opened before the last SimDisk.Crash.
	ErrCrashed = errors.New("vfs: simulated disk crashed since this file was opened")
	// ErrInjected is returned by operations after the SimDisk.FailAfter budget ran out.
	ErrInjected = errors.New("vfs: injected I/O error")
)

// Faults sets how unkind a SimDisk is at a crash.
type Faults struct {
	// KeepProb is the probability that one unsynced write (or resize)
	// survives a crash. Each is decided on its own, so later writes can
	// survive while earlier ones are lost, as with a page cache that writes
	// back in any order.
	KeepProb float64
	// TearProb is the probability that a surviving write is torn: only a
	// prefix of it, cut at a sector boundary, reaches the disk.
	TearProb float64
	// GarbageProb is the probability that the part a torn write lost reads
	// back as random bytes rather than as what was there before. A real
	// disk almost never does this, and a log cannot tell it from
	// corruption, so a WAL may refuse to open afterwards; it must never
	// return wrong data.
	GarbageProb float64
}

// DefaultFaults loses or keeps each unsynced write with even odds and tears
// a third of the survivors; torn sectors keep their old contents.
func DefaultFaults() Faults { return Faults{KeepProb: 0.5, TearProb: 0.3} }

// SimDisk is an in-memory filesystem that models what a crash can do to
// data that was written but not synced. It is deterministic for a given
// random source, runs no goroutines, reads no clock, and is meant for one
// goroutine at a time.
//
// It keeps two states apart: the live state that reads see, and the durable
// state that a crash falls back to. File.Sync moves a file's data into the
// durable state; SyncDir does the same for a directory's entries. Crash
// rebuilds the live state from the durable one, replaying each unsynced
// write by the rules of Faults.
type SimDisk struct {
	rng    *rand.Rand
	faults Faults
	root   *simNode
	// gen counts crashes; a handle from an older generation is dead, like a
	// file descriptor of a process that no longer exists.
	gen   uint64
	locks map[string]bool
	// budget is how many more mutating operations succeed before every one
	// fails with ErrInjected; negative means no failure is planned.
	budget int
}

// NewSimDisk returns an empty simulated disk with DefaultFaults. All its
// randomness comes from rng, so one seed replays one history exactly.
func NewSimDisk(rng *rand.Rand) *SimDisk {
	return &SimDisk{
		rng:    rng,
		faults: DefaultFaults(),
		root:   newSimDir(),
		locks:  map[string]bool{},
		budget: -1,
	}
}

// SetFaults replaces the crash behaviour.
func (d *SimDisk) SetFaults(f Faults) { d.faults = f }

// FailAfter lets the next n mutating operations (writes, syncs, creates,
// renames, ...) succeed and makes every later one fail with ErrInjected
// until the next Crash. With the WAL this models a disk that dies midway:
// the caller must stop, crash and recover.
func (d *SimDisk) FailAfter(n int) { d.budget = n }

// simNode is a directory or a file.
type simNode struct {
	isDir bool
	// A directory's live entries, and the entries as of its last SyncDir.
	kids, durableKids map[string]*simNode
	// A file's live contents (bytes in [len(data), size) read as zero, so
	// preallocating 64 MiB costs nothing), its durable contents, and the
	// operations between the two in the order they happened.
	data    []byte
	size    int64
	synced  simContents
	pending []simOp
}

type simContents struct {
	data []byte
	size int64
}

// simOp is a write (data at off) or, when resize is set, a size change.
type simOp struct {
	resize bool
	off    int64
	data   []byte
	size   int64
}

func newSimDir() *simNode {
	return &simNode{isDir: true, kids: map[string]*simNode{}, durableKids: map[string]*simNode{}}
}

func splitPath(p string) []string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func cleanPath(p string) string { return path.Clean("/" + p) }

// lookup returns the node at p, or nil.
func (d *SimDisk) lookup(p string) *simNode {
	n := d.root
	for _, part := range splitPath(p) {
		if !n.isDir {
			return nil
		}
		if n = n.kids[part]; n == nil {
			return nil
		}
	}
	return n
}

// parent returns the directory that holds p and p's last element.
func (d *SimDisk) parent(op, p string) (*simNode, string, error) {
	parts := splitPath(p)
	if len(parts) == 0 {
		return nil, "", &fs.PathError{Op: op, Path: p, Err: fs.ErrInvalid}
	}
	dir := d.lookup(strings.Join(parts[:len(parts)-1], "/"))
	if dir == nil || !dir.isDir {
		return nil, "", &fs.PathError{Op: op, Path: p, Err: fs.ErrNotExist}
	}
	return dir, parts[len(parts)-1], nil
}

// mutate spends one unit of the failure budget.
func (d *SimDisk) mutate(op, p string) error {
	if d.budget == 0 {
		return &fs.PathError{Op: op, Path: p, Err: ErrInjected}
	}
	if d.budget > 0 {
		d.budget--
	}
	return nil
}

func (d *SimDisk) Create(name string) (File, error) {
	if err := d.mutate("create", name); err != nil {
		return nil, err
	}
	dir, base, err := d.parent("create", name)
	if err != nil {
		return nil, err
	}
	n := dir.kids[base]
	switch {
	case n == nil:
		n = &simNode{}
		dir.kids[base] = n
	case n.isDir:
		return nil, &fs.PathError{Op: "create", Path: name, Err: errors.New("is a directory")}
	default:
		n.resize(0)
	}
	return d.newFile(n, name, true), nil
}

func (d *SimDisk) Open(name string) (File, error) { return d.open("open", name, false) }

func (d *SimDisk) OpenReadWrite(name string) (File, error) { return d.open("open", name, true) }

func (d *SimDisk) open(op, name string, write bool) (File, error) {
	n := d.lookup(name)
	if n == nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	if n.isDir && write {
		return nil, &fs.PathError{Op: op, Path: name, Err: errors.New("is a directory")}
	}
	return d.newFile(n, name, write), nil
}

func (d *SimDisk) Rename(oldpath, newpath string) error {
	if err := d.mutate("rename", oldpath); err != nil {
		return err
	}
	odir, obase, err := d.parent("rename", oldpath)
	if err != nil {
		return err
	}
	n := odir.kids[obase]
	if n == nil {
		return &fs.PathError{Op: "rename", Path: oldpath, Err: fs.ErrNotExist}
	}
	ndir, nbase, err := d.parent("rename", newpath)
	if err != nil {
		return err
	}
	if o := cleanPath(oldpath); strings.HasPrefix(cleanPath(newpath)+"/", o+"/") {
		if cleanPath(newpath) == o {
			return nil
		}
		return &fs.PathError{Op: "rename", Path: newpath, Err: fs.ErrInvalid}
	}
	if old := ndir.kids[nbase]; old != nil {
		if old.isDir != n.isDir || (old.isDir && len(old.kids) > 0) {
			return &fs.PathError{Op: "rename", Path: newpath, Err: fs.ErrExist}
		}
	}
	delete(odir.kids, obase)
	ndir.kids[nbase] = n
	return nil
}

func (d *SimDisk) Remove(name string) error {
	if err := d.mutate("remove", name); err != nil {
		return err
	}
	dir, base, err := d.parent("remove", name)
	if err != nil {
		return err
	}
	n := dir.kids[base]
	if n == nil {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	if n.isDir && len(n.kids) > 0 {
		return &fs.PathError{Op: "remove", Path: name, Err: errors.New("directory not empty")}
	}
	delete(dir.kids, base)
	return nil
}

func (d *SimDisk) RemoveAll(p string) error {
	if err := d.mutate("removeall", p); err != nil {
		return err
	}
	dir, base, err := d.parent("removeall", p)
	if err != nil {
		return nil // no parent, so nothing to remove
	}
	delete(dir.kids, base)
	return nil
}

func (d *SimDisk) ReadDir(dir string) ([]string, error) {
	n := d.lookup(dir)
	if n == nil {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
	}
	if !n.isDir {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: errors.New("not a directory")}
	}
	return slices.Sorted(maps.Keys(n.kids)), nil
}

// MkdirAll syncs the parent of every directory it creates, as the OS version does.
func (d *SimDisk) MkdirAll(dir string) error {
	n := d.root
	for _, part := range splitPath(dir) {
		next := n.kids[part]
		switch {
		case next == nil:
			if err := d.mutate("mkdir", dir); err != nil {
				return err
			}
			next = newSimDir()
			n.kids[part] = next
			n.syncDir()
		case !next.isDir:
			return &fs.PathError{Op: "mkdir", Path: dir, Err: errors.New("not a directory")}
		}
		n = next
	}
	return nil
}

func (d *SimDisk) SyncDir(dir string) error {
	if err := d.mutate("syncdir", dir); err != nil {
		return err
	}
	n := d.lookup(dir)
	if n == nil || !n.isDir {
		return &fs.PathError{Op: "syncdir", Path: dir, Err: fs.ErrNotExist}
	}
	n.syncDir()
	return nil
}

func (n *simNode) syncDir() { n.durableKids = maps.Clone(n.kids) }

func (d *SimDisk) Stat(name string) (FileInfo, error) {
	n := d.lookup(name)
	if n == nil {
		return FileInfo{}, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return FileInfo{Size: n.size, IsDir: n.isDir}, nil
}

// Lock keeps no file on the simulated disk: a crash ends the process that
// held the lock, so Crash simply forgets every lock.
func (d *SimDisk) Lock(dir string) (io.Closer, error) {
	n := d.lookup(dir)
	if n == nil || !n.isDir {
		return nil, &fs.PathError{Op: "lock", Path: dir, Err: fs.ErrNotExist}
	}
	key := cleanPath(dir)
	if d.locks[key] {
		return nil, fmt.Errorf("vfs: lock %s: %w", dir, ErrLocked)
	}
	d.locks[key] = true
	return &simLock{d: d, key: key, gen: d.gen}, nil
}

type simLock struct {
	d    *SimDisk
	key  string
	gen  uint64
	done bool
}

func (l *simLock) Close() error {
	if !l.done && l.gen == l.d.gen {
		delete(l.d.locks, l.key)
	}
	l.done = true
	return nil
}
