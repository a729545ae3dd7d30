package gopcapy

// A capture file read through a memory mapping (mapped_linux.go), so that
// two goroutines can each read their half of it (columns_split.go) with no
// read syscalls and no read-ahead goroutine: each copies its next chunk out
// of the page cache itself (mappedChunks) and decodes it from its core's
// cache. Both cores decode; neither waits on the other.
//
// A mapped file can shrink while it is read (a log rotated by truncation):
// touching a page past its new end raises SIGBUS. Every read of mapped
// bytes is Go code run under readingMapped, which turns that fault into an
// error instead of a crash. No C code (libpcap, bpf_filter) is ever given
// mapped bytes: the packets the readers hand out lie in the chunks copied
// out of the mapping.

import (
	"errors"
	"io"
	"os"
	"runtime/debug"
)

// mapping is a file mapped read-only, and the file, kept open to see its
// size (shrunk).
type mapping struct {
	data []byte
	file *os.File
}

// shrunk reports whether the file is now shorter than end. A file cut in
// the middle of a page leaves zeros after the cut instead of a fault, and
// 16 zeros make a valid classic pcap record: each chunk copied from the
// mapping is checked after the copy (so nothing copied before the cut is
// doubted, and anything cut since is seen).
func (m *mapping) shrunk(end int64) bool {
	st, err := m.file.Stat()
	return err != nil || st.Size() < end
}

// errShrunk: a mapped file was cut while it was read.
var errShrunk = errors.New("gopcapy: the file shrank while it was read")

// readingMapped runs fn, which reads mapped bytes, and reports whether it
// was stopped by a page the file no longer has. Any other panic goes on.
func readingMapped(fn func()) (faulted bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			if !isFault(p) {
				panic(p)
			}
			faulted = true
		}
	}()
	fn()
	return false
}

// isFault reports whether a recovered panic is a memory fault (what
// SetPanicOnFault makes of SIGBUS).
func isFault(p any) bool {
	_, ok := p.(interface{ Addr() uintptr })
	return ok
}

// dropBehind gives back the pages of [from, to) to the system (they stay
// in the page cache): a reader calls it for what it has read, so that a
// large file's pages do not pile up in the process's resident memory.
// It returns where the next call should start.
func (m *mapping) dropBehind(from, to int64) int64 {
	const page = 4096
	from = (from + page - 1) &^ (page - 1)
	to &^= page - 1
	if m == nil || to-from < dropStep {
		return from
	}
	m.release(from, to)
	return to
}

// dropStep: pages are given back a few MiB at a time.
const dropStep = 32 << 20

// mappedChunks hands out a mapped file's bytes a chunk at a time, copied
// into one of two buffers (the prefetcher, prefetch.go, does the same for
// a file it reads), with an fstat after each (shrunk). A chunk is copied
// at the memory's full speed and its records are then decoded from the
// core's cache; decoding the mapping in place would wait on memory at
// every record header (each found from the one before, so no load can
// start early).
type mappedChunks struct {
	m    *mapping
	pos  int64 // the next byte to copy
	end  int64 // copy up to here (a cursor's limit, or the file's end)
	head int   // room before each chunk for a record the previous one cut
	bufs [2][]byte
	next int
}

// mappedChunk is the bytes copied at a time: well within a core's cache.
const mappedChunk = 256 << 10

func newMappedChunks(m *mapping, from, end int64, head int) *mappedChunks {
	return &mappedChunks{m: m, pos: from, end: end, head: head}
}

// room is the most bytes of a record carried from one chunk to the next.
func (p *mappedChunks) room() int { return p.head }

// chunk returns rest (the start of a record the previous chunk cut, at
// most room bytes; it may lie in prev) followed by the next chunk, and the
// buffer it lies in; io.EOF when everything up to end was handed out,
// errShrunk when the file no longer holds the chunk.
func (p *mappedChunks) chunk(prev, rest []byte) (buf, win []byte, err error) {
	if p.pos >= p.end {
		return nil, nil, io.EOF
	}
	if len(rest) > p.head {
		return nil, nil, errors.New("gopcapy: record larger than the chunk room")
	}
	buf = p.bufs[p.next]
	if buf == nil {
		buf = make([]byte, p.head+mappedChunk)
		p.bufs[p.next] = buf
	}
	p.next ^= 1
	start := p.head - len(rest)
	copy(buf[start:], rest)
	n := copy(buf[p.head:], p.m.data[p.pos:p.end])
	if p.m.shrunk(p.pos + int64(n)) {
		return nil, nil, errShrunk
	}
	p.pos += int64(n)
	return buf, buf[start : p.head+n], nil
}
