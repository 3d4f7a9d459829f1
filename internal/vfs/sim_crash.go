package vfs

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
)

// Crash simulates a power failure and a reboot: every handle and lock dies,
// each directory falls back to its entries as of its last SyncDir, and each
// file keeps its synced contents plus whichever unsynced operations Faults
// lets through (each kept or lost on its own, a kept write possibly torn at
// a sector boundary). Injected failures stop.
func (d *SimDisk) Crash() {
	d.gen++
	d.locks = map[string]bool{}
	d.budget = -1
	d.crashDir(d.root, map[*simNode]bool{})
}

func (d *SimDisk) crashDir(dir *simNode, seen map[*simNode]bool) {
	dir.kids = maps.Clone(dir.durableKids)
	// Sorted, so that the random draws happen in the same order every run.
	for _, name := range slices.Sorted(maps.Keys(dir.kids)) {
		n := dir.kids[name]
		if seen[n] {
			continue
		}
		seen[n] = true
		if n.isDir {
			d.crashDir(n, seen)
		} else {
			d.crashFile(n)
		}
	}
}

func (d *SimDisk) crashFile(n *simNode) {
	c := simContents{data: slices.Clone(n.synced.data), size: n.synced.size}
	for _, op := range n.pending {
		if d.rng.Float64() >= d.faults.KeepProb {
			continue // lost
		}
		if op.resize || d.rng.Float64() >= d.faults.TearProb {
			c.apply(op)
			continue
		}
		d.tear(&c, op)
	}
	n.data, n.size = c.data, c.size
	n.synced = simContents{data: slices.Clone(c.data), size: c.size}
	n.pending = nil
}

// tear applies a prefix of write op that ends on a sector boundary (possibly
// nothing of it); the rest keeps its old bytes or, with GarbageProb, turns
// into random bytes.
func (d *SimDisk) tear(c *simContents, op simOp) {
	end := op.off + int64(len(op.data))
	cuts := []int64{op.off}
	for b := (op.off/SectorSize + 1) * SectorSize; b < end; b += SectorSize {
		cuts = append(cuts, b)
	}
	cut := cuts[d.rng.IntN(len(cuts))]
	if cut > op.off {
		c.apply(simOp{off: op.off, data: op.data[:cut-op.off]})
	}
	if d.rng.Float64() < d.faults.GarbageProb {
		junk := make([]byte, end-cut)
		for i := range junk {
			junk[i] = byte(d.rng.Uint32())
		}
		c.apply(simOp{off: cut, data: junk})
	}
}

// FlipBit inverts one bit of a file, in its live and its durable contents:
// the medium itself went bad. Tests use it to plant corruption.
func (d *SimDisk) FlipBit(name string, off int64, bit uint) error {
	n := d.lookup(name)
	if n == nil || n.isDir {
		return &fs.PathError{Op: "flipbit", Path: name, Err: fs.ErrNotExist}
	}
	if off < 0 || off >= n.size || bit > 7 {
		return &fs.PathError{Op: "flipbit", Path: name, Err: fmt.Errorf("offset %d bit %d outside the file (%d bytes)", off, bit, n.size)}
	}
	live := simContents{n.data, n.size}
	flip(&live, off, bit)
	n.data = live.data
	if off < n.synced.size {
		flip(&n.synced, off, bit)
	}
	return nil
}

func flip(c *simContents, off int64, bit uint) {
	if off >= int64(len(c.data)) {
		c.apply(simOp{off: off, data: []byte{0}}) // materialise the sparse zero
	}
	c.data[off] ^= 1 << bit
}
