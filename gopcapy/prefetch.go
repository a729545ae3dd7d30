package gopcapy

// prefetcher reads a file ahead of its reader in a goroutine, chunk by
// chunk into a few reused buffers, so that the read syscalls (the copy out
// of the page cache, about 40% of a columnar read's time when done in
// line) overlap the decoding on another core. Classic pcap files are read
// through it by fileCursor (cursor.go), pcapng files by a window
// (range_ahead.go).

import (
	"errors"
	"io"
	"os"
)

// prefetchChunk is the bytes per read: a chunk is decoded while still in
// the CPU's caches. A variable for the tests, which make records straddle
// many chunks.
var prefetchChunk int64 = 1 << 20

const prefetchBuffers = 3 // one being decoded, one ready, one being read

type prefetcher struct {
	file *os.File
	// head is the room before each chunk in its buffer for the start of a
	// record the previous chunk cut: at least the largest record.
	head int
	full chan filled // chunks read, in file order
	free chan []byte // buffers the reader is done with
	stop chan struct{}
	done chan struct{} // closed when the goroutine has ended and closed the file
	err  error         // the end of the file or a read error, once reached
}

// filled is one chunk: n bytes at buf[head:], then err (io.EOF at the end).
type filled struct {
	buf []byte
	n   int
	err error
}

// newPrefetcher reads file from where it is; maxRecord bounds the bytes a
// record may carry over from one chunk to the next; size is about how much
// there is to read (small files get small buffers).
func newPrefetcher(file *os.File, maxRecord int, size int64) *prefetcher {
	chunk := int(min(prefetchChunk, max(size, 4096)))
	p := &prefetcher{file: file, head: maxRecord, full: make(chan filled, prefetchBuffers),
		free: make(chan []byte, prefetchBuffers), stop: make(chan struct{}), done: make(chan struct{})}
	for range prefetchBuffers {
		p.free <- make([]byte, maxRecord+chunk)
	}
	go p.run()
	return p
}

func (p *prefetcher) run() {
	defer close(p.done)
	defer p.file.Close()
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-p.stop:
			return
		}
		n, err := io.ReadFull(p.file, buf[p.head:])
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		p.full <- filled{buf, n, err} // never blocks: full holds every buffer
		if err != nil {
			return
		}
	}
}

// chunk returns the next window of the file: rest (the start of a record
// the previous chunk cut, at most head bytes) followed by the next chunk,
// and the buffer it lies in; prev, the buffer rest lies in, is reused.
// err is io.EOF at the end of the file, or the read error.
func (p *prefetcher) chunk(prev, rest []byte) (buf, win []byte, err error) {
	if p.err != nil {
		return nil, nil, p.err
	}
	if len(rest) > p.head {
		return nil, nil, errors.New("gopcapy: record larger than the prefetch room")
	}
	c := <-p.full
	p.err = c.err // for the next call when this chunk has bytes
	if c.n == 0 {
		return nil, nil, c.err
	}
	start := p.head - len(rest)
	copy(c.buf[start:], rest)
	if prev != nil {
		p.free <- prev // never blocks: free holds every buffer
	}
	return c.buf, c.buf[start : p.head+c.n], nil
}

// room is the most bytes of a record carried from one chunk to the next.
func (p *prefetcher) room() int { return p.head }

// close stops the goroutine and waits for it to close the file.
func (p *prefetcher) close() {
	close(p.stop)
	<-p.done
}
