package gopcapy

// Capture files read into columns: ReadFileColumns reads one file through a
// fileCursor (cursor.go), ReadFilesColumns several at once, one goroutine
// per file on all cores.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
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
}

// ReadFileColumns reads a capture file into columns with nanosecond
// timestamps. When the file is damaged midway it returns the packets before
// the damage with a *ReadError; any other error (the file cannot be opened,
// the filter does not compile, ctx is done, a timestamp does not fit TS: a
// *RangeError) comes with nil columns. Classic pcap files are read in Go,
// pcapng files and odd records by libpcap (see fileCursor).
func ReadFileColumns(ctx context.Context, path string, opt ColumnOptions) (*Columns, error) {
	f := &fileColumns{path: path, opt: opt, c: &Columns{}}
	if err := f.c.Select(opt.Fields); err != nil {
		return nil, err
	}
	cur, err := openCursor(path, opt.Filter)
	if err != nil {
		return nil, err
	}
	defer cur.close()
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		f.size = st.Size()
	}
	return f.result(f.read(ctx, cur))
}

// fileColumns is the state of ReadFileColumns.
type fileColumns struct {
	path     string
	opt      ColumnOptions
	c        *Columns
	size     int64 // the file's size, 0 when unknown
	reported int64 // progress reported so far
	grown    bool
}

// read reads the file's packets into f.c, in slices between which it
// checks ctx and reports progress.
func (f *fileColumns) read(ctx context.Context, cur *fileCursor) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		want := 1 << 16 // packets between progress reports
		if f.opt.Count > 0 {
			if want = min(want, f.opt.Count-f.c.Rows()); want == 0 {
				return nil
			}
		}
		_, err := cur.read(want, f.c.AppendRow)
		f.progress(cur.offset())
		switch {
		case f.c.err != nil:
			return f.c.err
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
	}
}

// progress reports that the file was read up to pos, and the first time
// makes room for the rest of the file at the packet size seen so far,
// instead of growing (and copying) every column many times.
func (f *fileColumns) progress(pos int64) {
	if !f.grown && pos > 0 && f.size > pos && f.c.Rows() > 0 {
		f.grown = true
		f.c.grow(int(float64(f.size-pos)/float64(pos)*float64(f.c.Rows())*1.05)+1024, f.opt.Count-f.c.Rows())
	}
	if pos > f.reported {
		if f.opt.Progress != nil {
			f.opt.Progress.Add(pos - f.reported)
		}
		f.reported = pos
	}
}

// result turns a read error into a *ReadError; other errors drop the rows.
func (f *fileColumns) result(err error) (*Columns, error) {
	var re *RangeError
	switch {
	case err == nil:
		return f.c, nil
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded), errors.As(err, &re):
		return nil, err
	}
	return f.c, &ReadError{Path: f.path, Packets: f.c.Rows(), Err: err}
}

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
