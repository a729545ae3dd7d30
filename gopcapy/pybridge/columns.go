package pybridge

// Columnar reading for pcapy.read_columns/read_dataframe. A job gathers
// decoded packets in Go (from files read in background goroutines, or from
// an open reader, batch by batch); Python then allocates one numpy array per
// column and Go copies each column into it (ColumnsExport), dropping its own
// copy as it goes: no per-packet Python work, and one copy of each column.
// A single regular file skips even that copy (columns_direct.go).
//
// Addresses travel as int32 codes into one table of distinct addresses that
// Go formats (ColumnsAddresses), so Python builds strings or categoricals
// from a few hundred names instead of formatting a million.

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// colJob is one read_columns call.
type colJob struct {
	mu       sync.Mutex
	done     chan struct{}
	cancel   context.CancelFunc
	progress atomic.Int64
	parts    []*gopcapy.Columns // in row order; nil entries for files that failed
	errs     []error
	count    int // rows wanted (<= 0: all)
	rows     int // rows kept, set by finish
	damage   []string
	fatal    error
	addrs    string  // the address table, once built
	codes    []int32 // src codes then dst codes, once built
	finished bool
	released int                  // bytes of columns dropped since Go's memory was last handed back
	file     *gopcapy.FileColumns // a ColumnsOpenFile job's file (columns_direct.go)
	direct   bool                 // the columns are in Python's arrays already; addrs is the table
}

var colJobs registry[*colJob]

func getJob(job int) (*colJob, error) {
	j, ok := colJobs.get(job)
	if !ok {
		return nil, internalError("no such column job")
	}
	return j, nil
}

// fieldList splits the "\n"-separated column names Python sends.
func fieldList(fields string) ([]string, error) {
	names := strings.Split(fields, "\n")
	if err := new(gopcapy.Columns).Select(names); err != nil {
		return nil, valueError(err.Error())
	}
	return names, nil
}

// ColumnsReadFiles starts reading capture files (paths separated by "\n")
// concurrently in the background, at most count packets in all (<= 0: all)
// with filter ("": none), keeping the columns named in fields ("\n"
// separated). ColumnsWait tells when it is done.
func ColumnsReadFiles(paths, filter string, count int, fields string) (job int, err error) {
	defer guard(&err)
	names, err := fieldList(fields)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	j := &colJob{done: make(chan struct{}), cancel: cancel, count: count}
	list := strings.Split(paths, "\n")
	go func() {
		defer close(j.done)
		defer func() {
			if p := recover(); p != nil {
				j.fatal = internalError("panic reading columns")
			}
		}()
		parts, errs := gopcapy.ReadFilesColumns(ctx, list, gopcapy.ColumnOptions{
			Filter: filter, Count: count, Fields: names, Progress: &j.progress})
		j.mu.Lock()
		defer j.mu.Unlock()
		j.parts, j.errs = parts, errs
		j.finish()
	}()
	return colJobs.add(j), nil
}

// finish keeps the first count rows in file order and collects the errors
// of the files that contribute: a file that failed to open is fatal, a
// damaged one is reported by ColumnsDamage. Called with j.mu held.
func (j *colJob) finish() {
	j.finished = true
	j.rows = 0
	for i, c := range j.parts {
		if j.count > 0 && j.rows >= j.count {
			j.parts = j.parts[:i]
			break
		}
		var re *gopcapy.ReadError
		switch err := j.errs[i]; {
		case err == nil:
		case errors.As(err, &re):
			if j.count <= 0 || j.rows+c.Rows() < j.count {
				j.damage = append(j.damage, re.Error())
			}
		case j.fatal == nil && !errors.Is(err, context.Canceled):
			j.fatal = kinded(err)
		}
		if c != nil {
			j.rows += c.Rows()
		}
	}
	if j.count > 0 {
		j.rows = min(j.rows, j.count)
	}
}

// ColumnsWait waits up to ms milliseconds for a job's files to be read; it
// returns true when they are, or the error of a file that could not be
// opened or filtered.
func ColumnsWait(job, ms int) (done bool, err error) {
	defer guard(&err)
	j, err := getJob(job)
	if err != nil {
		return false, err
	}
	if j.done == nil {
		return true, nil
	}
	select {
	case <-j.done:
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return false, nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return true, j.fatal
}

// ColumnsProgress returns the bytes of the files read so far.
func ColumnsProgress(job int) (n int, err error) {
	defer guard(&err)
	j, err := getJob(job)
	if err != nil {
		return 0, err
	}
	return int(j.progress.Load()), nil
}

// ColumnsDamage returns the messages of the damaged files whose rows were
// kept, one per line ("" when none): "<path>: <libpcap's message> (after N
// packets)".
func ColumnsDamage(job int) (s string, err error) {
	defer guard(&err)
	j, err := getJob(job)
	if err != nil {
		return "", err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return strings.Join(j.damage, "\n"), nil
}

// ColumnsNew makes an empty job to fill from a reader, keeping the columns
// named in fields ("\n" separated).
func ColumnsNew(fields string) (job int, err error) {
	defer guard(&err)
	names, err := fieldList(fields)
	if err != nil {
		return 0, err
	}
	c := &gopcapy.Columns{}
	_ = c.Select(names)
	return colJobs.add(&colJob{parts: []*gopcapy.Columns{c}, errs: []error{nil}, finished: true}), nil
}

// ColumnsFromReader decodes up to maxN packets of reader h into a job,
// waiting at most waitMs for a live capture's first packet. It returns the
// count, 0 at the end of a file, -1 when the wait expired. A read error is
// returned after the packets before it were added (ColumnsRows counts them).
func ColumnsFromReader(job, h, maxN, waitMs int) (n int, err error) {
	defer guard(&err)
	j, err := getJob(job)
	if err != nil {
		return 0, err
	}
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	c := j.parts[0]
	n, err = rd.r.ReadColumns(c, maxN, time.Duration(waitMs)*time.Millisecond)
	j.rows = c.Rows()
	switch {
	case err == nil || n > 0 && (err == io.EOF || err == gopcapy.ErrTimeout):
		return n, nil
	case err == io.EOF:
		return 0, nil
	case err == gopcapy.ErrTimeout:
		return -1, nil
	}
	return n, kinded(err)
}

// ColumnsAppendRecords decodes n packets given in the batch layout
// (gopcapy.PutRecord's records, then the data) of the given link type into a
// job; nano tells whether frac is in nanoseconds (else microseconds). Python
// uses it for packets a Reader had read ahead before it was handed to
// read_columns.
func ColumnsAppendRecords(job int, blob []byte, n, linkType int, nano bool) (rc int, err error) {
	defer guard(&err)
	j, err := getJob(job)
	if err != nil {
		return 0, err
	}
	if n < 0 || n*gopcapy.RecordSize > len(blob) {
		return 0, internalError("bad record count")
	}
	prec := gopcapy.Micro
	if nano {
		prec = gopcapy.Nano
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	c := j.parts[0]
	for i := 0; i < n; i++ {
		h, start, end := gopcapy.ParseRecord(blob[i*gopcapy.RecordSize:])
		if start > end || end > len(blob) {
			return 0, internalError("bad record")
		}
		c.Append(h, prec, linkType, blob[start:end])
	}
	j.rows = c.Rows()
	return 0, nil
}

// ColumnsRows returns the number of rows of a finished job.
func ColumnsRows(job int) (n int, err error) {
	defer guard(&err)
	j, err := getJob(job)
	if err != nil {
		return 0, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.rows, nil
}

// ColumnsAddresses builds the job's address table and returns it, one
// address per line in order of first appearance ("" when there is none);
// the "src" and "dst" columns are then int32 indexes into it, -1 for
// packets without IP.
func ColumnsAddresses(job int) (s string, err error) {
	defer guard(&err)
	j, err := getJob(job)
	if err != nil {
		return "", err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.finished {
		return "", internalError("job not finished")
	}
	if j.direct {
		return j.addrs, nil
	}
	if j.codes == nil || len(j.codes) != 2*j.rows {
		j.addrs, j.codes = addressCodes(j.parts, j.rows)
	}
	return j.addrs, nil
}

// addressCodes merges the address tables of the files' columns into one
// and gives the first rows rows' src codes, then dst codes, into it.
func addressCodes(parts []*gopcapy.Columns, rows int) (string, []int32) {
	codes := make([]int32, 2*rows, 2*rows+1)
	var names []string
	index := map[netip.Addr]int32{}
	k := 0
	for _, c := range parts {
		if c == nil {
			continue
		}
		remap := make([]int32, len(c.Addrs))
		identity := true
		for i, a := range c.Addrs {
			code, ok := index[a]
			if !ok {
				code = int32(len(names))
				index[a] = code
				names = append(names, a.String())
			}
			remap[i] = code
			identity = identity && code == int32(i)
		}
		n := min(c.Rows(), rows-k)
		src, dst := codes[k:k+n], codes[rows+k:rows+k+n]
		if c.Has("src") {
			copy(src, c.Src[:n])
		}
		if c.Has("dst") {
			copy(dst, c.Dst[:n])
		}
		c.Release("src") // copied into codes
		c.Release("dst")
		if !identity {
			for i := range src {
				if src[i] >= 0 {
					src[i] = remap[src[i]]
				}
				if dst[i] >= 0 {
					dst[i] = remap[dst[i]]
				}
			}
		}
		k += n
	}
	return strings.Join(names, "\n"), codes
}

// ColumnsSpec returns the columns, one per line in their order, each as
// "<name> <numpy type code>" (gopcapy.ColumnSpecs): what pcapy's DTYPES
// must say (a test checks).
func ColumnsSpec() (s string, err error) {
	defer guard(&err)
	var b strings.Builder
	for _, spec := range gopcapy.ColumnSpecs() {
		b.WriteString(spec.Name + " " + spec.Type + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// releaseEvery is how many bytes of exported columns the job drops before
// Go's memory is handed back to the system: the Go columns and their numpy
// copies then do not both stay whole (peak memory near the result's).
const releaseEvery = 8 << 20

// ColumnsExport copies column name of a finished job into size bytes of
// Python memory at addr (a numpy array of the column's type and the job's
// row count). "src" and "dst" need ColumnsAddresses first.
func ColumnsExport(job int, name string, addr, size int) (rc int, err error) {
	defer guard(&err)
	j, err := getJob(job)
	if err != nil {
		return 0, err
	}
	spec, ok := gopcapy.ColumnSpecOf(name)
	if !ok {
		return 0, valueError("no column " + name)
	}
	width := spec.Width()
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.finished || size != width*j.rows || (j.rows > 0 && addr == 0) {
		return 0, internalError("column buffer does not match the job")
	}
	if j.rows == 0 {
		return 0, nil
	}
	dst := pyMemory(addr, size)
	switch name {
	case "src", "dst":
		if len(j.codes) != 2*j.rows {
			return 0, internalError("addresses not built")
		}
		codes := j.codes[:j.rows]
		if name == "dst" {
			codes = j.codes[j.rows:]
		}
		copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(&codes[0])), 4*len(codes)))
		return 0, nil
	}
	off := 0
	for _, c := range j.parts {
		if c == nil || off == size {
			continue
		}
		if !c.Has(name) {
			return 0, internalError("column " + name + " was not kept")
		}
		off += copy(dst[off:], c.Raw(name))
	}
	if off != size {
		return 0, internalError("column length mismatch")
	}
	j.release(name, size)
	return 0, nil
}

// release drops a column the job's parts hold once it was exported (Python
// exports each column once), and every releaseEvery bytes hands Go's free
// memory back to the system.
func (j *colJob) release(name string, size int) {
	for _, c := range j.parts {
		if c != nil {
			c.Release(name)
		}
	}
	if j.released += size; j.released >= releaseEvery {
		j.released = 0
		debug.FreeOSMemory()
	}
}

// ColumnsFree stops a job's reading (if still going) and forgets it.
func ColumnsFree(job int) (rc int, err error) {
	defer guard(&err)
	if j, ok := colJobs.remove(job); ok {
		if j.cancel != nil {
			j.cancel()
		}
		if j.file != nil {
			j.mu.Lock()
			defer j.mu.Unlock()
			j.file.Close()
		}
	}
	return 0, nil
}
