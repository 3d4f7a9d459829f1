package wal

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/raftkv/raftkv/internal/vfs"
)

// logReader reads a run of segments in order and checks what ties them
// together: each starts with a CRC record carrying the previous segment's
// last CRC, then a metadata record equal to every other segment's; neither
// appears anywhere else.
type logReader struct {
	fs   vfs.FS
	dir  string
	segs []segment
	// writeLast opens the last segment for reading and writing and keeps
	// it open, for the WAL to go on appending to it.
	writeLast bool
	// visit sees every valid record; its payload is valid only during the call.
	visit func(seg segment, r *record) error
}

// logEnd is where the valid records stop.
type logEnd struct {
	seg  segment
	path string
	tail vfs.File // open on the last segment when writeLast, else nil
	off  int64    // end of the last valid record
	size int64    // size of the last segment file
	crc  uint32   // CRC of the last valid record
	md   Metadata
	torn *tornTail // non-nil when a torn write follows off
}

func (lr *logReader) run() (end logEnd, err error) {
	var buf []byte
	for i, seg := range lr.segs {
		last := i == len(lr.segs)-1
		path := filepath.Join(lr.dir, seg.name())
		var f vfs.File
		if last && lr.writeLast {
			f, err = lr.fs.OpenReadWrite(path)
		} else {
			f, err = lr.fs.Open(path)
		}
		if err != nil {
			return end, fmt.Errorf("wal: open %s: %w", path, err)
		}
		e, err := lr.segment(f, seg, path, last, i > 0, end, &buf)
		if err != nil || !last || !lr.writeLast {
			f.Close()
		}
		if err != nil {
			return end, err
		}
		end = e
		if last && lr.writeLast {
			end.tail = f
		}
	}
	return end, nil
}

// segment reads one segment; prev describes the end of the one before it.
func (lr *logReader) segment(f vfs.File, seg segment, path string, last, chained bool, prev logEnd, buf *[]byte) (logEnd, error) {
	size, err := f.Size()
	if err != nil {
		return logEnd{}, fmt.Errorf("wal: stat %s: %w", path, err)
	}
	sc := newScanner(f, path, size, last, *buf)
	defer func() { *buf = sc.buf }()
	end := logEnd{seg: seg, path: path, size: size, md: prev.md}
	// Declared once: visit takes &r, which would otherwise put a new record
	// on the heap for every record read.
	var r record
	var torn *tornTail
	for n := 0; ; n++ {
		var err error
		r, err = sc.next()
		switch {
		case err == io.EOF:
		case errors.As(err, &torn):
			end.torn = torn
		case err != nil:
			return logEnd{}, err
		}
		if err != nil {
			// Both header records are synced before the segment gets its
			// name, so a segment without them was damaged, not torn.
			if n < 2 {
				return logEnd{}, corrupt(path, sc.pos, "segment ends before its crc and metadata records (%v)", err)
			}
			end.off, end.crc = sc.pos, sc.crc
			return end, nil
		}
		if err := lr.check(path, n, &r, chained, &end, prev.crc); err != nil {
			return logEnd{}, err
		}
		if lr.visit != nil {
			if err := lr.visit(seg, &r); err != nil {
				return logEnd{}, err
			}
		}
	}
}

// check enforces the segment header rules on the n-th record of a segment.
func (lr *logReader) check(path string, n int, r *record, chained bool, end *logEnd, prevCRC uint32) error {
	switch {
	case n == 0 && r.typ != RecordCRC:
		return corrupt(path, r.off, "segment starts with a %s record, want crc", r.typ)
	case n == 1 && r.typ != RecordMetadata:
		return corrupt(path, r.off, "second record is %s, want metadata", r.typ)
	case n > 1 && (r.typ == RecordCRC || r.typ == RecordMetadata):
		return corrupt(path, r.off, "%s record in the middle of a segment", r.typ)
	case n == 0:
		seed, err := decodeSeed(r.payload)
		if err != nil {
			return corrupt(path, r.off, "%v", err)
		}
		if chained && seed != prevCRC {
			return corrupt(path, r.off, "crc chain broken: segment continues from %08x, previous segment ended at %08x", seed, prevCRC)
		}
	case n == 1:
		md, err := decodeMetadata(r.payload)
		if err != nil {
			return corrupt(path, r.off, "%v", err)
		}
		if chained && md != end.md {
			return corrupt(path, r.off, "metadata %+v differs from the previous segment's %+v", md, end.md)
		}
		end.md = md
	}
	return nil
}
