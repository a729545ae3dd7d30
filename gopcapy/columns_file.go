package gopcapy

// Capture files read into columns: ReadFileColumns reads one file through a
// fileCursor (cursor.go), ReadFilesColumns several at once, one goroutine
// per file on all cores.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ReadError reports a capture file that could not be read to its end; the
// packets before the damage were read.
type ReadError struct {
	Path    string
	Packets int   // packets read before the error
	Err     error // libpcap's error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("%s: %v (after %d packets)", e.Path, e.Err, e.Packets)
}

func (e *ReadError) Unwrap() error { return e.Err }

// ColumnOptions tune ReadFileColumns and ReadFilesColumns.
type ColumnOptions struct {
	Filter   string        // a BPF filter expression ("": every packet)
	Count    int           // read at most this many packets of each file (<= 0: all)
	Fields   []string      // the columns to keep (nil: all), see Columns.Select
	Progress *atomic.Int64 // if not nil, the bytes of the files read so far are added to it
	// InPlace tells FileColumns that every Read writes into memory attached
	// with room for MaxRows rows (Columns.Attach): a large file is then
	// read by two goroutines (columns_split.go).
	InPlace bool
}

// ReadFileColumns reads a capture file into columns with nanosecond
// timestamps. When the file is damaged midway it returns the packets before
// the damage with a *ReadError; any other error (the file cannot be opened,
// the filter does not compile, ctx is done, a timestamp does not fit TS: a
// *RangeError) comes with nil columns. Classic pcap files are read in Go
// (fileCursor), pcapng files too, through a read-ahead window
// (range_ahead.go); damaged or odd records and blocks by libpcap.
func ReadFileColumns(ctx context.Context, path string, opt ColumnOptions) (*Columns, error) {
	f, err := OpenFileColumns(path, opt)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &Columns{}
	_ = c.Select(opt.Fields) // checked by OpenFileColumns
	_, err = f.Read(ctx, c, 0)
	return f.result(c, err)
}

// FileColumns reads one capture file into columns a slice of time at a
// time (ReadFileColumns reads it in one go).
type FileColumns struct {
	path     string
	opt      ColumnOptions
	cur      *fileCursor
	size     int64 // the file's size, 0 when unknown
	reported int64 // progress reported so far
	grown    bool

	// A pcapng file is read in Go by a range reader over the whole file
	// (columns_range.go), from ngPos on, its blocks read ahead by a
	// goroutine (range_ahead.go) or copied from the file mapped (mapped.go);
	// at anything it does not take (damage, a second section...) the rows
	// go and libpcap reads the file from its start: errors and odd cases
	// stay libpcap's.
	ng      *rangeReader
	ngPos   int64
	ngLimit int64 // where Go stops reading the blocks: the second half's start, or the file's size

	// A file read by two goroutines (columns_split.go) is mapped (m), and
	// split is its second half, read by the other.
	m       *mapping
	split   *splitHalf
	dropped int64 // the mapped pages before this were given back (mapping.dropBehind)
}

// OpenFileColumns opens a capture file for reading into columns that keep
// opt.Fields (errors as ReadFileColumns').
func OpenFileColumns(path string, opt ColumnOptions) (*FileColumns, error) {
	if err := new(Columns).Select(opt.Fields); err != nil {
		return nil, err
	}
	f := &FileColumns{path: path, opt: opt}
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		f.size = st.Size()
	}
	f.ngLimit = f.size
	if splitWanted(opt, f.size) {
		f.m = mapPath(path, f.size)
	}
	cur, err := openCursor(path, opt.Filter, f.m)
	if err != nil {
		f.m.unmap()
		return nil, err
	}
	f.cur = cur
	if !cur.goReads() && f.size > 0 { // not classic pcap read in Go: pcapng?
		f.openNg()
	}
	f.planSplit()
	return f, nil
}

// openNg starts the Go reader of a pcapng file: over the mapping when the
// file is mapped, else through a read-ahead window.
func (f *FileColumns) openNg() {
	if f.m != nil {
		if r := mappedRange(f.m, f.path); r != nil && r.ng && r.linkType == f.cur.linkType {
			r.w = newMappedWindow(f.m, r.dataStart)
			f.ng, f.ngPos = r, r.dataStart
		}
		return
	}
	file, err := os.Open(f.path)
	if err != nil {
		return
	}
	r, err := openRange(file, f.size, f.path)
	if err != nil || !r.ng || r.linkType != f.cur.linkType {
		file.Close()
		return
	}
	// The blocks from the first packet on are read ahead; the layout was
	// read through r.probe, which is not used again.
	if r.w, err = newAheadWindow(file, f.size, r.dataStart); err != nil {
		file.Close()
		return
	}
	f.ng, f.ngPos = r, r.dataStart
}

// stopNg ends the Go reading of a pcapng file.
func (f *FileColumns) stopNg() {
	if f.ng != nil {
		f.ng.w.closeAhead() // and the file
		f.ng = nil
	}
}

// readNg reads a pcapng file's blocks in Go until the deadline (zero: no
// limit); ok false when libpcap must read the file instead (c is then
// empty again).
func (f *FileColumns) readNg(ctx context.Context, c *Columns, deadline time.Time) (done, ok bool, err error) {
	if !f.ng.w.mapped {
		return f.readNgBlocks(ctx, c, deadline)
	}
	if readingMapped(func() { done, ok, err = f.readNgBlocks(ctx, c, deadline) }) {
		f.ngFailed(c) // the file shrank: libpcap says what it finds
		return false, false, nil
	}
	return done, ok, err
}

func (f *FileColumns) readNgBlocks(ctx context.Context, c *Columns, deadline time.Time) (done, ok bool, err error) {
	pos := f.ngPos
	defer func() { f.ngPos = pos }()
	for {
		stop := f.ngRows()
		for n := 0; pos < f.ngLimit; {
			if c.rows >= stop {
				if f.opt.Count > 0 && c.rows >= f.opt.Count {
					f.dropSplit()
					break
				}
				f.makeRoom(ctx, c, deadline) // the first half outgrew its estimate
				stop = f.ngRows()
			}
			if n >= 4096 {
				n = 0
				f.progress(c, pos)
				if err := ctx.Err(); err != nil {
					return true, true, err
				}
				if !deadline.IsZero() && time.Now().After(deadline) {
					return false, true, nil
				}
			}
			next, k := f.ng.ngRun(c, f.cur.prog, pos, f.ngLimit, stop, 4096-n)
			if k == 0 { // a block the common case does not cover
				size, err := f.ng.next(c, f.cur.prog, pos)
				if err != nil && c.err == nil {
					f.ngFailed(c)
					return false, false, nil
				}
				next, k = pos+size, 1
			}
			pos, n = next, n+k
			if c.err != nil {
				return true, true, c.err
			}
		}
		if f.split == nil {
			break
		}
		end, later := f.atSplit(c, pos)
		if later {
			f.progress(c, pos)
			return false, true, nil
		}
		if end > 0 { // pcapng halves are joined only when read to the end
			pos = end
			break
		}
	}
	f.progress(c, pos)
	f.stopNg()
	return true, true, nil
}

// ngRows is how many rows the pcapng reader may have before it must look
// at what to do: opt.Count, or the second half's first row.
func (f *FileColumns) ngRows() int {
	n := math.MaxInt
	if f.opt.Count > 0 {
		n = f.opt.Count
	}
	if f.split != nil {
		n = min(n, f.split.rowBase)
	}
	return n
}

// ngFailed gives the pcapng file to libpcap, from its start.
func (f *FileColumns) ngFailed(c *Columns) {
	f.dropSplit()
	f.stopNg()
	c.reset()
}

// MaxRows returns the most rows the file can give (-1: unknown, for a file
// that is not regular): every record takes at least 16 bytes after the
// 24-byte file header, and pcapng blocks more; at most opt.Count.
func (f *FileColumns) MaxRows() int {
	if f.size == 0 {
		return -1
	}
	n := int(max(0, f.size-24) / 16)
	if f.opt.Count > 0 {
		n = min(n, f.opt.Count)
	}
	return n
}

// LimitRows makes Read stop after n rows in all (as opt.Count does): for
// memory with room for n rows, whatever happens to the file meanwhile.
func (f *FileColumns) LimitRows(n int) { f.opt.Count = n }

// Close closes the file (again: nothing).
func (f *FileColumns) Close() {
	f.split.drop()
	f.split = nil
	f.stopNg()
	if f.cur != nil {
		f.cur.close()
		f.cur = nil
	}
	f.m.unmap() // no reader is left
	f.m = nil
}

// Read reads the file's packets into c for about budget (0: until the end)
// and reports whether it reached the end (or opt.Count rows); errors as
// ReadFileColumns' (see result).
func (f *FileColumns) Read(ctx context.Context, c *Columns, budget time.Duration) (done bool, err error) {
	var deadline time.Time
	if budget > 0 {
		deadline = time.Now().Add(budget)
	}
	if f.cur == nil {
		return true, errors.New("gopcapy: FileColumns read after Close")
	}
	if h := f.split; h != nil {
		switch {
		case h.state == splitDropped, !c.attached, c.room() < h.rowBase+h.room, c.skip != h.c.skip:
			f.dropSplit() // or no room for the second half's rows, or not the same columns
		case h.state == splitReading:
			h.start(ctx, c, deadline)
			defer h.wait() // before c's memory goes back to the caller
		}
	}
	if f.ng != nil {
		if done, ok, err := f.readNg(ctx, c, deadline); ok {
			return done, err
		}
	}
	// At least one step, however short the budget: every Read makes progress.
	for first := true; first || budget <= 0 || time.Now().Before(deadline); first = false {
		if err := ctx.Err(); err != nil {
			return true, err
		}
		want := 1 << 16 // packets between progress reports
		if f.opt.Count > 0 {
			if want = min(want, f.opt.Count-c.Rows()); want == 0 {
				return true, nil
			}
		}
		if f.split != nil && f.split.rowBase-c.Rows() <= 0 && f.cur.pos != f.split.from {
			f.makeRoom(ctx, c, deadline) // the first half outgrew its estimate
		}
		if f.split != nil && f.cur.pos != f.split.from {
			want = min(want, f.split.rowBase-c.Rows())
		} // else the cursor is at its limit, and says so
		_, err := f.cur.read(want, c.AppendRow)
		if err == errAtLimit {
			end, later := f.atSplit(c, f.cur.pos)
			if later {
				f.progress(c, f.cur.offset())
				return false, nil
			}
			err = nil // the usual reader reads on: from end when joined
			if end > 0 {
				f.cur.setLimit(f.size)
				f.cur.skipTo(end)
			}
		}
		f.progress(c, f.cur.offset())
		switch {
		case c.err != nil:
			return true, c.err
		case err == io.EOF:
			return true, nil
		case err != nil:
			return true, err
		}
	}
	return false, nil
}

// progress reports that the file was read up to pos, and the first time
// makes room for the rest of the file at the packet size seen so far,
// instead of growing (and copying) every column many times.
func (f *FileColumns) progress(c *Columns, pos int64) {
	if !f.grown && pos > 0 && f.size > pos && c.Rows() > 0 {
		f.grown = true
		c.grow(int(float64(f.size-pos)/float64(pos)*float64(c.Rows())*1.05)+1024, f.opt.Count-c.Rows())
	}
	if f.m != nil {
		f.dropped = f.m.dropBehind(f.dropped, pos)
	}
	if f.split != nil { // and what the second half's goroutine has read
		pos += max(0, f.split.pos.Load()-f.split.from)
	}
	if pos > f.reported {
		if f.opt.Progress != nil {
			f.opt.Progress.Add(pos - f.reported)
		}
		f.reported = pos
	}
}

// result turns a read error into a *ReadError with the rows read before
// it; other errors drop the rows.
func (f *FileColumns) result(c *Columns, err error) (*Columns, error) {
	var re *RangeError
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded), errors.As(err, &re):
		return nil, err
	}
	return c, &ReadError{Path: f.path, Packets: c.Rows(), Err: err}
}

// Result is what ReadFileColumns returns for a Read's error and c.
func (f *FileColumns) Result(c *Columns, err error) (*Columns, error) { return f.result(c, err) }

// ReadFilesColumns reads capture files concurrently, one goroutine per file
// and at most GOMAXPROCS at a time, and returns each file's columns and
// error in the order of paths (see ReadFileColumns). When a file fails other
// than by damage, the files not yet read are not started.
func ReadFilesColumns(ctx context.Context, paths []string, opt ColumnOptions) ([]*Columns, []error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cols := make([]*Columns, len(paths))
	errs := make([]error, len(paths))
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			// A panic here would end the whole program (a Python kernel):
			// report it as this file's error instead.
			defer func() {
				if p := recover(); p != nil {
					cols[i], errs[i] = nil, fmt.Errorf("gopcapy: panic reading %s: %v", path, p)
					cancel()
				}
			}()
			cols[i], errs[i] = ReadFileColumns(ctx, path, opt)
			var re *ReadError
			if errs[i] != nil && !errors.As(errs[i], &re) {
				cancel()
			}
		}()
	}
	wg.Wait()
	return cols, errs
}
