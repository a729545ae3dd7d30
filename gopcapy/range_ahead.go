package gopcapy

// A window (range_source.go) over a file read once, in file order, by the
// prefetcher's goroutine (prefetch.go): the read syscalls run on another
// core while the blocks are decoded, as for classic pcap files (cursor.go).
// FileColumns reads pcapng files through it.

import (
	"errors"
	"io"
	"os"
)

// aheadSource is what a window read ahead holds besides its bytes.
type aheadSource struct {
	pf   chunkSource
	held []byte // the chunk's buffer the window lies in (nil before the first chunk)
	big  []byte // a block larger than the prefetcher's room, gathered from its chunks
}

// chunkSource is where a window read ahead gets its chunks: a prefetcher
// reading the file, or the file mapped (mappedChunks).
type chunkSource interface {
	chunk(prev, rest []byte) (buf, win []byte, err error)
	room() int
}

// newMappedWindow reads a mapped file from offset from to its end through
// chunks copied from the mapping (mapped.go).
func newMappedWindow(m *mapping, from int64) *window {
	size := int64(len(m.data))
	return &window{size: size, base: from, mapped: true,
		ahead: &aheadSource{pf: newMappedChunks(m, from, size, aheadRoom)}}
}

// aheadRoom is how much of a block the prefetcher carries from one chunk
// to the next: larger blocks (rare: a packet block holds at most
// maxSnaplen bytes and its options) are gathered into a buffer of their own.
const aheadRoom = maxBlock

// newAheadWindow reads file from offset from to its end (size bytes in
// all) through the prefetcher, which owns file from now on: closeAhead
// closes it.
func newAheadWindow(file *os.File, size, from int64) (*window, error) {
	if _, err := file.Seek(from, io.SeekStart); err != nil {
		return nil, err
	}
	pf := newPrefetcher(file, aheadRoom, size-from)
	return &window{size: size, base: from, ahead: &aheadSource{pf: pf}}, nil
}

// closeAhead stops the read-ahead and closes its file.
func (w *window) closeAhead() {
	if w.ahead != nil {
		if pf, ok := w.ahead.pf.(*prefetcher); ok {
			pf.close()
		}
		w.ahead = nil
		w.buf = nil
	}
}

// errBehind: a read-ahead window serves only what lies ahead of it.
var errBehind = errors.New("gopcapy: read-ahead window read backwards")

// readAhead returns the n bytes at off, at or after the window's start, and
// makes the window begin at off (or at a chunk's start) when it must move.
func (w *window) readAhead(off int64, n int) ([]byte, error) {
	a := w.ahead
	if off < w.base {
		return nil, errBehind
	}
	for {
		end := w.base + int64(len(w.buf)) // where the read-ahead has reached
		if off+int64(n) <= end {
			return w.buf[off-w.base : off-w.base+int64(n)], nil
		}
		var rest []byte // the bytes from off the window already has
		if off < end {
			rest = w.buf[off-w.base:]
		}
		if n > a.pf.room() {
			return w.gather(off, n, rest)
		}
		buf, win, err := a.pf.chunk(a.held, rest)
		if err != nil {
			return nil, aheadErr(err)
		}
		a.held, w.buf, w.base = buf, win, end-int64(len(rest))
	}
}

// gather reads a block larger than the prefetcher's room into a buffer of
// its own, with the rest of the chunk it ends in (the window then lies
// there). rest are the block's first bytes, off its offset.
func (w *window) gather(off int64, n int, rest []byte) ([]byte, error) {
	a := w.ahead
	big := append(a.big[:0], rest...)
	base := w.base + int64(len(w.buf)) - int64(len(rest)) // rest's offset, or the read-ahead's
	for base+int64(len(big)) < off+int64(n) {
		buf, win, err := a.pf.chunk(a.held, nil)
		if err != nil {
			return nil, aheadErr(err)
		}
		a.held, big = buf, append(big, win...)
		if base+int64(len(big)) <= off { // bytes before the block: not kept
			base, big = base+int64(len(big)), big[:0]
		}
	}
	a.big, w.buf, w.base = big, big, base
	return w.buf[off-base : off-base+int64(n)], nil
}

// aheadErr is a read-ahead's error for bytes the file should hold: the end
// of the file there means it shrank.
func aheadErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
