package gopcapy

// A large file read by two goroutines, one per half, on two cores.
//
// When the caller writes the columns in place into memory with room for
// every row the file could hold (ColumnOptions.InPlace, the bridge's
// read_columns of one file), FileColumns maps the file (mapped.go) and
// guesses the record (pcapng: block) that starts the second half
// (Boundary, range_boundary.go). A goroutine reads the second half into the
// same memory, from a row a little past the first half's likely rows
// (firstHalfRows); the usual reader reads the first half and stops at the
// guess, or at that row. The second half's rows are kept only if the first
// half's reader landed exactly on the guess (so it starts a true record)
// and the second half's read cleanly to the end of the file (classic pcap:
// or up to a record the usual reader would hand to libpcap, which it then
// meets itself); a timestamp ts cannot hold, a fault, anything else in
// pcapng makes them go. They are moved after the first half's and their
// address codes translated: the result is what one reader would have
// given. In any other case the usual reader reads on from where it is, as
// if there had been no split.
//
// The second goroutine writes into the caller's memory only during Read,
// which waits for it before it returns (the bridge's contract: Go keeps
// nothing of Python's arrays between calls).

import (
	"bytes"
	"context"
	"math"
	"os"
	"runtime"
	"sync/atomic"
	"time"
)

// splitMin: smaller files are read by one goroutine. A variable for tests.
var splitMin int64 = 16 << 20

type splitState int

const (
	splitReading splitState = iota
	splitDone               // the second half was read cleanly up to its end
	splitDropped            // the usual reader reads the second half itself
)

// splitHalf is the second half of a file and the goroutine reading it.
type splitHalf struct {
	from    int64 // its first record (block), as Boundary guessed
	rowBase int   // the row its rows start at in the caller's memory
	room    int   // the rows it has room for there
	c       Columns
	// step reads on until the deadline (zero: no limit) or an end: done
	// (end set: the file's size, or for classic pcap a record libpcap must
	// read, which the usual reader then meets itself), or stopped at
	// something that makes its rows unusable.
	step    func(h *splitHalf, deadline time.Time) (done, stopped bool)
	end     int64
	state   splitState
	pos     atomic.Int64 // how far it has read, for progress
	ctx     context.Context
	running chan struct{} // closed when the goroutine of this Read has ended
	stop    atomic.Bool   // set when its rows are no longer wanted
}

// over reports whether a step must stop: the deadline passed, the Read was
// cancelled, or its rows are no longer wanted.
func (h *splitHalf) over(deadline time.Time) bool {
	return h.stop.Load() || h.ctx.Err() != nil || !deadline.IsZero() && time.Now().After(deadline)
}

// newSplitHalf sets up the reading of the second half of a mapped file of
// size bytes; r reads the file's layout over the mapping. It returns nil when the file is not worth splitting
// or no boundary is found.
func newSplitHalf(m *mapping, r *rangeReader, size int64, fields []string) *splitHalf {
	var from int64
	var rows int
	var err error
	faulted := readingMapped(func() {
		if from, err = r.Boundary(size / 2); err == nil && from > r.dataStart && from < size {
			rows = firstHalfRows(r, from)
		}
	})
	if faulted || err != nil || from <= r.dataStart || from >= size {
		return nil
	}
	h := &splitHalf{from: from, rowBase: rows}
	h.room = int((size-24)/16) - h.rowBase
	h.pos.Store(from)
	_ = h.c.Select(fields) // checked by OpenFileColumns
	return h
}

// firstHalfRows is where the second half's rows go: after the rows the
// first half is likely to have, with a margin, and never past the most it
// can have (each record takes at least 16 bytes after the file's 24-byte
// header). Close to the first half's rows, moving the second half's rows
// after them (spliceTail) writes mostly into memory it already wrote,
// which saves the system zeroing fresh pages twice. Should the first half
// have more, its reader meets the second half's rows before the boundary
// and reads the rest of the file itself (FileColumns.Read).
func firstHalfRows(r *rangeReader, from int64) int {
	most := int((from - 24) / 16)
	// Records' mean size from a sample at the start and the middle of the
	// first half.
	var bytes, records int64
	for _, at := range []int64{r.dataStart, from / 2} {
		q, err := r.Boundary(at)
		for k := 0; k < 4096 && err == nil && q < from; k++ {
			var size int64
			if size, err = r.readableSize(q); size == 0 {
				break
			}
			q, bytes, records = q+size, bytes+size, records+1
		}
	}
	if records == 0 {
		return most
	}
	likely := float64(from-r.dataStart) / (float64(bytes) / float64(records))
	return min(most, int(likely*1.2)+4096)
}

// splitWanted reports whether a file of size bytes read with opt is read
// by two goroutines.
func splitWanted(opt ColumnOptions, size int64) bool {
	return opt.InPlace && opt.Count <= 0 && size >= splitMin && runtime.GOMAXPROCS(0) > 1
}

// mapPath maps the size bytes of the file at path; nil when it cannot.
func mapPath(path string, size int64) *mapping {
	file, err := os.Open(path)
	if err != nil {
		return nil
	}
	m := mapFile(file, size)
	if m == nil {
		file.Close()
	}
	return m
}

// planSplit sets up the second half's reading of a mapped file, or gives
// the mapping up when no reader uses it.
func (f *FileColumns) planSplit() {
	var h *splitHalf
	switch {
	case f.m == nil:
		return
	case f.cur.chunks != nil:
		if r := mappedRange(f.m, f.path); r != nil && !r.ng {
			if h = newSplitHalf(f.m, r, f.size, f.opt.Fields); h != nil {
				h.step = classicStep(f.cur, h.from, f.m)
				f.cur.setLimit(h.from)
				f.cur.leaving = f.dropSplit
			}
		}
	case f.ng != nil && f.ng.w.mapped:
		if h = newSplitHalf(f.m, f.ng, f.size, f.opt.Fields); h != nil {
			h.step = ngStep(f.ng, f.cur.prog, h.from, f.m)
			f.ngLimit = h.from
		}
	default:
		f.m.unmap()
		f.m = nil
	}
	f.split = h
}

// dropSplit makes the usual reader read the whole file.
func (f *FileColumns) dropSplit() {
	f.split.drop()
	f.split = nil
	f.ngLimit = f.size
	if f.cur != nil {
		f.cur.setLimit(f.size)
	}
}

// makeRoom is called when the first half reached the row the second
// half's rows start at before the boundary (more, smaller records than
// firstHalfRows thought): the second half's goroutine is paused, its rows
// moved up to the most rows the first half can have ((from-24)/16, every
// record taking at least 16 bytes), and it goes on from there. The split
// is dropped when they are there already (which the first half cannot
// outgrow).
func (f *FileColumns) makeRoom(ctx context.Context, c *Columns, deadline time.Time) {
	h := f.split
	most := int((h.from - 24) / 16)
	if h.rowBase >= most {
		f.dropSplit()
		return
	}
	h.stop.Store(true)
	h.wait()
	if h.state != splitReading && h.state != splitDone {
		f.dropSplit()
		return
	}
	c.moveTail(&h.c, h.rowBase, most)
	h.rowBase, h.room = most, h.room-(most-h.rowBase)
	h.stop.Store(false)
	h.start(ctx, c, deadline) // nothing when it is done; Read waits for it
}

// atSplit is called when the usual reader stopped at its limit, at pos.
// When the second half's rows were added after c's, end is where they end
// (the file's size, or a record the usual reader must see for itself);
// later when the second half is not read yet (this Read's time is up);
// else (end 0) the usual reader must read on from pos.
func (f *FileColumns) atSplit(c *Columns, pos int64) (end int64, later bool) {
	h := f.split
	h.wait()
	switch {
	case pos == h.from && h.state == splitReading:
		return 0, true
	case pos == h.from && h.state == splitDone && (f.opt.Count <= 0 || c.rows+h.c.rows <= f.opt.Count):
		c.spliceTail(&h.c, h.rowBase)
		f.split = nil
		return h.end, false
	}
	f.dropSplit()
	return 0, false
}

// classicStep reads a classic pcap file's second half with a cursor of its
// own over the mapping, with the rules of cur, the usual reader's. At a
// record cur would give libpcap (damage, an odd record, a last record cut
// short) it is done: the rows before it stand, and the usual reader goes
// on from there, meets that record and hands it to libpcap itself.
func classicStep(cur *fileCursor, from int64, m *mapping) func(*splitHalf, time.Time) (bool, bool) {
	half := &fileCursor{linkType: cur.linkType, prog: cur.prog, size: cur.size, format: cur.format,
		maxCap: cur.maxCap, limit: cur.size, pos: from,
		chunks: newMappedChunks(m, from, cur.size, int(cur.maxCap)+16)}
	dropped := from
	return func(h *splitHalf, deadline time.Time) (done, stopped bool) {
		c := &h.c
		for {
			_, end := half.readGo(4096, c.AppendRow)
			dropped = m.dropBehind(dropped, half.pos)
			h.pos.Store(half.pos)
			switch {
			case c.err != nil:
				return false, true
			case end == goEOF || end == goLibpcap:
				h.end = half.pos
				return true, false
			case h.over(deadline):
				return false, false
			}
		}
	}
}

// ngStep reads a pcapng file's second half with a range reader of its own
// over the mapping, like r, the usual reader's.
func ngStep(r *rangeReader, prog *BPFProgram, from int64, m *mapping) func(*splitHalf, time.Time) (bool, bool) {
	half := *r
	half.w = newMappedWindow(m, from)
	pos, dropped := from, from
	return func(h *splitHalf, deadline time.Time) (done, stopped bool) {
		c := &h.c
		for pos < half.w.size {
			next, k := half.ngRun(c, prog, pos, half.w.size, math.MaxInt, 4096)
			if k == 0 { // a block the common case does not cover
				size, err := half.next(c, prog, pos)
				if err != nil {
					return false, true
				}
				next = pos + size
			}
			pos = next
			if c.err != nil {
				return false, true
			}
			dropped = m.dropBehind(dropped, pos)
			h.pos.Store(pos)
			if h.over(deadline) {
				return false, false
			}
		}
		h.end = pos
		return true, false
	}
}

// mappedRange reads a mapped file's layout; nil when it is not a capture
// a range reader takes.
func mappedRange(m *mapping, path string) *rangeReader {
	var r *rangeReader
	var err error
	if readingMapped(func() { r, err = openRange(bytes.NewReader(m.data), int64(len(m.data)), path) }) || err != nil {
		return nil
	}
	return r
}

// start runs the second half's goroutine for this Read, writing into c's
// memory (attached) from rowBase on.
func (h *splitHalf) start(ctx context.Context, c *Columns, deadline time.Time) {
	if h.state != splitReading || h.running != nil {
		return
	}
	h.ctx = ctx
	c.viewTail(&h.c, h.rowBase)
	h.running = make(chan struct{})
	go func() {
		defer close(h.running)
		defer func() {
			if recover() != nil { // the usual reader reads this half, and meets what this met
				h.state = splitDropped
			}
		}()
		var done, stopped bool
		if readingMapped(func() { done, stopped = h.step(h, deadline) }) || stopped || h.c.rows > h.room {
			h.state = splitDropped
		} else if done {
			h.state = splitDone
		}
	}()
}

// wait waits for this Read's goroutine, after which nothing writes into
// the caller's memory but the usual reader.
func (h *splitHalf) wait() {
	if h != nil && h.running != nil {
		<-h.running
		h.running = nil
		h.c.Detach()
	}
}

// drop makes the usual reader read the second half itself.
func (h *splitHalf) drop() {
	if h != nil {
		h.stop.Store(true)
		h.wait()
		h.state = splitDropped
	}
}
