package gopcapy

// Where a range reader's bytes come from (an io.ReaderAt: a file, or
// pieces of one held in memory), read through windows; and the errors
// particular to byte ranges.

import (
	"fmt"
	"io"
)

// SplitError reports a range whose last record does not end where the next
// range begins: Boundary guessed wrong, or the file changed. No rows are
// returned with it.
type SplitError struct {
	Path     string
	At, Want int64 // where the records ended, where the next range starts
}

func (e *SplitError) Error() string {
	return fmt.Sprintf("%s: cannot split the capture at byte %d: its records run to byte %d "+
		"(read the file whole, without splitting it)", e.Path, e.Want, e.At)
}

// MissingBytesError is returned by a RangeSource that does not hold the
// bytes at Off: the caller can supply more and try again.
type MissingBytesError struct{ Off int64 }

func (e *MissingBytesError) Error() string {
	return fmt.Sprintf("gopcapy: bytes at offset %d not supplied", e.Off)
}

// PiecesSource is an io.ReaderAt over two pieces of a file held in memory:
// Head at offset 0 and Part at offset PartOff. Reading elsewhere fails with
// a *MissingBytesError. It lets a range be read from bytes fetched from a
// remote store, without the rest of the file.
type PiecesSource struct {
	Head    []byte
	PartOff int64
	Part    []byte
}

// ReadAt implements io.ReaderAt. It reads from the piece that holds off,
// and fails with the first offset it lacks when that piece ends too soon.
func (s *PiecesSource) ReadAt(p []byte, off int64) (int, error) {
	piece, base := s.Head, int64(0)
	if off >= s.PartOff && off < s.PartOff+int64(len(s.Part)) {
		piece, base = s.Part, s.PartOff
	} else if off < 0 || off >= int64(len(s.Head)) {
		return 0, &MissingBytesError{Off: off}
	}
	n := copy(p, piece[off-base:])
	if n < len(p) {
		return n, &MissingBytesError{Off: base + int64(len(piece))}
	}
	return n, nil
}

// window serves byte slices of a file read through an io.ReaderAt, reading
// chunk bytes (or more, for a large block) at a time; or, for a file read
// once from start to end, from a read-ahead goroutine (range_ahead.go).
type window struct {
	src   io.ReaderAt
	size  int64
	chunk int
	stop  int64 // reads need not go past this offset (0: the end of the file)
	base  int64 // the file offset of buf[0]
	buf   []byte

	ahead *aheadSource // nil: read through src
	// mapped: the window's chunks are copied from the file mapped in
	// memory (mapped.go): its reads must run under readingMapped.
	mapped bool
}

// rest returns the bytes the window holds from off on (nil when it does
// not hold off), valid until the next call of at: a look without a call.
func (w *window) rest(off int64) []byte {
	if i := off - w.base; i >= 0 && i < int64(len(w.buf)) {
		return w.buf[i:]
	}
	return nil
}

// at returns the n bytes at off, valid until the next call; io.EOF when the
// file ends before off+n.
func (w *window) at(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || off+int64(n) > w.size {
		return nil, io.EOF
	}
	if off >= w.base && off+int64(n) <= w.base+int64(len(w.buf)) {
		return w.buf[off-w.base : off-w.base+int64(n)], nil
	}
	if w.ahead != nil {
		return w.readAhead(off, n)
	}
	until := w.size
	if w.stop > off && w.stop < w.size {
		until = w.stop
	}
	want := int(max(int64(n), min(int64(w.chunk), until-off)))
	if cap(w.buf) < want {
		w.buf = make([]byte, want)
	}
	w.buf = w.buf[:want]
	got, err := w.src.ReadAt(w.buf, off)
	if got < n { // a source may give less than asked: enough is enough
		w.buf = w.buf[:0]
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF // the file shrank
		}
		return nil, err
	}
	w.buf, w.base = w.buf[:got], off
	return w.buf[:n], nil
}
