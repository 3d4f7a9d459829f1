package vfs

import (
	"errors"
	"io"
	"io/fs"
	"slices"
)

// simFile is an open handle on a simulated file.
type simFile struct {
	d      *SimDisk
	n      *simNode
	name   string
	gen    uint64
	write  bool
	pos    int64
	closed bool
}

func (d *SimDisk) newFile(n *simNode, name string, write bool) *simFile {
	return &simFile{d: d, n: n, name: name, gen: d.gen, write: write}
}

func (f *simFile) Name() string { return f.name }

// check reports why the handle cannot be used, if it cannot.
func (f *simFile) check(op string, write bool) error {
	switch {
	case f.closed:
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	case f.gen != f.d.gen:
		return &fs.PathError{Op: op, Path: f.name, Err: ErrCrashed}
	case write && !f.write:
		return &fs.PathError{Op: op, Path: f.name, Err: errors.New("file not open for writing")}
	case f.n.isDir && (write || op == "read"):
		return &fs.PathError{Op: op, Path: f.name, Err: errors.New("is a directory")}
	case write:
		return f.d.mutate(op, f.name)
	}
	return nil
}

func (f *simFile) Read(p []byte) (int, error) {
	n, err := f.ReadAt(p, f.pos)
	f.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (f *simFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: fs.ErrInvalid}
	}
	if off >= f.n.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), f.n.size-off))
	c := 0
	if off < int64(len(f.n.data)) {
		c = copy(p[:n], f.n.data[off:])
	}
	clear(p[c:n]) // the sparse, preallocated part reads as zeros
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *simFile) Write(p []byte) (int, error) {
	n, err := f.WriteAt(p, f.pos)
	f.pos += int64(n)
	return n, err
}

func (f *simFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrInvalid}
	}
	if len(p) == 0 {
		return 0, nil
	}
	f.n.apply(simOp{off: off, data: slices.Clone(p)})
	return len(p), nil
}

func (f *simFile) Sync() error {
	if err := f.check("sync", true); err != nil {
		return err
	}
	f.n.sync()
	return nil
}

func (f *simFile) Truncate(size int64) error {
	if err := f.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: fs.ErrInvalid}
	}
	f.n.resize(size)
	return nil
}

func (f *simFile) Preallocate(size int64) error {
	if err := f.check("preallocate", true); err != nil {
		return err
	}
	if size > f.n.size {
		f.n.resize(size)
	}
	return nil
}

func (f *simFile) Size() (int64, error) {
	if err := f.check("stat", false); err != nil {
		return 0, err
	}
	return f.n.size, nil
}

func (f *simFile) Close() error {
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	return nil
}

// apply performs op on the live contents and remembers it until the next sync.
func (n *simNode) apply(op simOp) {
	c := simContents{n.data, n.size}
	c.apply(op)
	n.data, n.size = c.data, c.size
	n.pending = append(n.pending, op)
}

func (n *simNode) resize(size int64) { n.apply(simOp{resize: true, size: size}) }

// sync makes the pending operations durable, replaying them onto the synced
// contents: the cost is what was written since the last sync, not the file size.
func (n *simNode) sync() {
	for _, op := range n.pending {
		n.synced.apply(op)
	}
	n.pending = nil
}

func (c *simContents) apply(op simOp) {
	if op.resize {
		if op.size < int64(len(c.data)) {
			c.data = c.data[:op.size]
		}
		c.size = op.size
		return
	}
	end := op.off + int64(len(op.data))
	if end > int64(len(c.data)) {
		old := len(c.data)
		c.data = slices.Grow(c.data, int(end)-old)[:end]
		clear(c.data[old:]) // the spare capacity may hold bytes from before a shrink
	}
	copy(c.data[op.off:], op.data)
	c.size = max(c.size, end)
}
