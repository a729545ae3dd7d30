package pybridge

// One capture file read straight into numpy arrays: pcapy.read_columns of a
// single file allocates its arrays for ColumnsMaxRows rows (memory the
// system maps lazily: rows never written cost nothing), and ColumnsFill
// has Go write each row once, in its final place. Then Python shrinks the
// arrays to the rows read. No Go copy of the columns, no export copy: peak
// memory is the result's.
//
// Go writes into Python's memory only during a ColumnsFill call, which
// returns after about ms milliseconds (Python polls it, so Ctrl-C and the
// progress bar work); between calls the job keeps the file and the address
// table, never the addresses of Python's arrays.

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"
	"unsafe"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// ColumnsOpenFile opens one capture file for ColumnsFill, keeping the
// packets matching filter ("": all), at most count (<= 0: all), in the
// columns named in fields ("\n" separated). It returns a job (free it with
// ColumnsFree), or -1 when the file's size is unknown (not a regular file):
// read it with ColumnsReadFiles then.
func ColumnsOpenFile(path, filter string, count int, fields string) (job int, err error) {
	defer guard(&err)
	names, err := fieldList(fields)
	if err != nil {
		return 0, err
	}
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return -1, nil // a pipe is read once: by ColumnsReadFiles, which says what is wrong
	}
	opt := gopcapy.ColumnOptions{Filter: filter, Count: count, Fields: names, InPlace: true}
	j := &colJob{count: count}
	opt.Progress = &j.progress
	f, err := gopcapy.OpenFileColumns(path, opt)
	if err != nil {
		return 0, kinded(err)
	}
	if f.MaxRows() < 0 {
		f.Close()
		return -1, nil
	}
	f.LimitRows(f.MaxRows())
	c := &gopcapy.Columns{}
	_ = c.Select(names)
	j.file, j.parts, j.errs = f, []*gopcapy.Columns{c}, []error{nil}
	return colJobs.add(j), nil
}

// ColumnsMaxRows returns the most rows a ColumnsOpenFile job can give: the
// rows Python's arrays must have room for.
func ColumnsMaxRows(job int) (n int, err error) {
	defer guard(&err)
	j, err := getJob(job)
	if err != nil {
		return 0, err
	}
	if j.file == nil {
		return 0, internalError("not a file job")
	}
	return j.file.MaxRows(), nil
}

// ColumnsFill reads the job's file for about ms milliseconds into Python's
// arrays: n addresses (uint64, native order) at addrs, one per kept column
// in their order, each an array of ColumnsMaxRows rows of the column's
// type. It returns 1 when the file is read (ColumnsRows, ColumnsDamage and
// ColumnsAddresses then tell the rest), 0 when there is more to read.
func ColumnsFill(job, addrs, n, capRows, ms int) (done int, err error) {
	defer guard(&err)
	j, err := getJob(job)
	if err != nil {
		return 0, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.file == nil || j.finished {
		return 0, internalError("not a file job being read")
	}
	if capRows != j.file.MaxRows() || n <= 0 || addrs == 0 {
		return 0, internalError("arrays do not match the job")
	}
	mem := make([]unsafe.Pointer, n)
	for i, a := range unsafe.Slice((*uint64)(unsafe.Pointer(&pyMemory(addrs, 8*n)[0])), n) {
		mem[i] = unsafe.Pointer(&pyMemory(int(a), 1)[0])
	}
	c := j.parts[0]
	if err := c.Attach(mem, c.Rows(), capRows); err != nil {
		return 0, internalError(err.Error())
	}
	finished, err := j.file.Read(context.Background(), c, time.Duration(max(ms, 1))*time.Millisecond)
	c.Detach() // nothing of Python's memory is kept
	if !finished {
		return 0, nil
	}
	j.file.Close()
	j.finished, j.rows = true, c.Rows()
	if _, err = j.file.Result(c, err); err != nil {
		var re *gopcapy.ReadError
		if !errors.As(err, &re) {
			return 0, kinded(err)
		}
		j.damage = []string{re.Error()}
	}
	// The codes in Python's src and dst are final: one file, one table.
	names := make([]string, len(c.Addrs))
	for i, a := range c.Addrs {
		names[i] = a.String()
	}
	j.addrs, j.direct = strings.Join(names, "\n"), true
	return 1, nil
}
