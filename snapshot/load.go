package snapshot

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

// ErrNoSnapshot is returned by LoadNewest when no acceptable, valid snapshot exists.
var ErrNoSnapshot = errors.New("snapshot: no valid snapshot found")

// Loaded is an open, verified snapshot. Read streams its payload; Close
// releases the file.
type Loaded struct {
	Meta raft.SnapshotMeta
	Path string
	Size int64 // payload bytes
	// Broken lists newer snapshot files that failed verification and were
	// renamed to ".broken" on the way to this one. The caller should say so
	// in its log: a snapshot was lost, and the member falls back further
	// in the WAL.
	Broken []BrokenFile

	f vfs.File
	r *verifyingReader
}

// BrokenFile is a snapshot file that failed verification.
type BrokenFile struct {
	Path    string // where it was
	Renamed string // where it is now
	Err     error  // what was wrong with it
}

func (l *Loaded) Read(p []byte) (int, error) { return l.r.Read(p) }

// Close closes the snapshot file.
func (l *Loaded) Close() error { return l.f.Close() }

// LoadNewest opens the newest valid snapshot for which accept(index, term)
// is true (accept nil accepts all). A restarting member passes the markers
// of wal.ValidSnapshots: a snapshot file the WAL does not know about was
// saved just before a crash that lost its marker, and loading it would
// skip entries the WAL no longer replays.
//
// Each candidate is verified in full (header, size and payload CRC) by
// streaming it once before it is returned. A corrupt one is renamed to
// "<name>.broken" and the next older one is tried, so the member starts
// from an older snapshot plus more of the WAL instead of not at all; the
// renamed files are reported in Loaded.Broken. Without any valid one,
// LoadNewest returns an error wrapping ErrNoSnapshot (and the reasons).
func (s *Snapshotter) LoadNewest(accept func(index, term uint64) bool) (*Loaded, error) {
	names, err := s.fs.ReadDir(s.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("snapshot: list %s: %w", s.dir, err)
	}
	var broken []BrokenFile
	var reasons []error
	for _, n := range newestFirst(names) {
		if accept != nil && !accept(n.index, n.term) {
			continue
		}
		path := filepath.Join(s.dir, n.name)
		l, err := s.open(path, n)
		if err == nil {
			l.Broken = broken
			return l, nil
		}
		if !errors.Is(err, ErrCorrupt) {
			return nil, err // an I/O error says nothing about the file: stop
		}
		b := BrokenFile{Path: path, Renamed: path + ".broken", Err: err}
		if rerr := s.fs.Rename(b.Path, b.Renamed); rerr != nil {
			return nil, fmt.Errorf("snapshot: set aside %s: %w (it is corrupt: %v)", path, rerr, err)
		}
		if serr := s.fs.SyncDir(s.dir); serr != nil {
			return nil, fmt.Errorf("snapshot: %w", serr)
		}
		broken = append(broken, b)
		reasons = append(reasons, err)
	}
	return nil, errors.Join(append([]error{ErrNoSnapshot}, reasons...)...)
}

// open verifies the file at path and returns it positioned at its payload.
func (s *Snapshotter) open(path string, n snapName) (*Loaded, error) {
	f, err := s.fs.Open(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: open %s: %w", path, err)
	}
	h, size, err := verify(f, path)
	if err == nil && (h.meta.Index != n.index || h.meta.Term != n.term) {
		err = fmt.Errorf("%w: %s holds the snapshot at index %d term %d", ErrCorrupt, path, h.meta.Index, h.meta.Term)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Loaded{
		Meta: h.meta, Path: path, Size: size, f: f,
		r: &verifyingReader{r: io.NewSectionReader(f, int64(h.size), size), want: h.payloadCRC, path: path},
	}, nil
}

// verify reads the header and streams the payload through the CRC.
func verify(f vfs.File, path string) (header, int64, error) {
	h, err := readHeader(f)
	if err != nil {
		return header{}, 0, fmt.Errorf("%s: %w", path, err)
	}
	fileSize, err := f.Size()
	if err != nil {
		return header{}, 0, fmt.Errorf("snapshot: stat %s: %w", path, err)
	}
	size := fileSize - int64(h.size)
	if size < 0 || uint64(size) != h.payloadLen {
		return header{}, 0, fmt.Errorf("%w: %s: payload is %d bytes, header says %d", ErrCorrupt, path, size, h.payloadLen)
	}
	crc, err := checksum(io.NewSectionReader(f, int64(h.size), size))
	if err != nil {
		return header{}, 0, fmt.Errorf("snapshot: read %s: %w", path, err)
	}
	if crc != h.payloadCRC {
		return header{}, 0, fmt.Errorf("%w: %s: payload crc %08x, header says %08x", ErrCorrupt, path, crc, h.payloadCRC)
	}
	return h, size, nil
}

func readHeader(f io.ReaderAt) (header, error) {
	fixed := make([]byte, fixedHeaderSize)
	if _, err := f.ReadAt(fixed, 0); err != nil {
		if err == io.EOF {
			return header{}, fmt.Errorf("%w: file shorter than a header", ErrCorrupt)
		}
		return header{}, err
	}
	m, err := metaLen(fixed)
	if err != nil {
		return header{}, err
	}
	b := append(fixed, make([]byte, m)...)
	if _, err := f.ReadAt(b[fixedHeaderSize:], fixedHeaderSize); err != nil {
		if err == io.EOF {
			return header{}, fmt.Errorf("%w: header cut short", ErrCorrupt)
		}
		return header{}, err
	}
	return parseHeader(b)
}

func checksum(r io.Reader) (uint32, error) {
	buf := make([]byte, 256<<10)
	var crc uint32
	for {
		n, err := r.Read(buf)
		crc = crc32.Update(crc, castagnoli, buf[:n])
		if err == io.EOF {
			return crc, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// verifyingReader checks the CRC again as the caller streams the payload,
// and fails the read that reaches the end if the file changed since it was
// verified.
type verifyingReader struct {
	r    io.Reader
	crc  uint32
	want uint32
	path string
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.crc = crc32.Update(v.crc, castagnoli, p[:n])
	if err == io.EOF && v.crc != v.want {
		return n, fmt.Errorf("%w: %s changed while being read (crc %08x, want %08x)", ErrCorrupt, v.path, v.crc, v.want)
	}
	return n, err
}
