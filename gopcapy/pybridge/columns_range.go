package pybridge

// Byte ranges of captures for pcapy.dask: one partition reads the packets
// of one range of a file (gopcapy.ReadRangeColumns) into a column job that
// Python exports as read_columns does (ColumnsRows, ColumnsAddresses,
// ColumnsExport, ColumnsDamage, ColumnsFree).
//
// Local files are read by Go straight from disk. Files fsspec fetches from
// elsewhere (s3://, memory://...) come as two pieces of Python memory, the
// file's head and the range's bytes, which Go reads in place: no copy into
// Go, and the decoding stays in Go. When the pieces lack bytes Go needs,
// the call says which offset, and Python fetches more and calls again.

import (
	"context"
	"encoding/binary"
	"errors"
	"os"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// ColumnsReadRange reads the packets of the local capture file path that
// lie between the record boundaries at or after start and end (byte
// offsets), with filter ("": none), keeping the columns named in fields
// ("\n" separated). Damage within the range is reported by ColumnsDamage
// with the rows before it kept; other errors come back as errors.
func ColumnsReadRange(path string, start, end int, filter, fields string) (job int, err error) {
	defer guard(&err)
	names, err := fieldList(fields)
	if err != nil {
		return 0, err
	}
	f, size, err := openSized(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	opt := gopcapy.ColumnOptions{Filter: filter, Fields: names}
	c, err := gopcapy.ReadRangeColumns(context.Background(), f, size, path, int64(start), int64(end), opt)
	return rangeJob(c, err)
}

// ColumnsReadRangeMemory is ColumnsReadRange on a file of size bytes that
// Python holds in part: headLen bytes at headAddr are the file's first
// bytes, partLen bytes at partAddr its bytes from partOff on (Python keeps
// both alive during the call). It returns a job, or -(off+1) when the bytes
// at offset off are needed and were not given; name is the file's name in
// messages.
func ColumnsReadRangeMemory(name string, size, headAddr, headLen, partOff, partAddr, partLen, start, end int,
	filter, fields string) (job int, err error) {
	defer guard(&err)
	names, err := fieldList(fields)
	if err != nil {
		return 0, err
	}
	if headLen < 0 || partLen < 0 || partOff < 0 || headLen > size || partOff+partLen > size ||
		headLen > 0 && headAddr == 0 || partLen > 0 && partAddr == 0 {
		return 0, internalError("bad memory pieces")
	}
	src := &gopcapy.PiecesSource{PartOff: int64(partOff)}
	if headLen > 0 {
		src.Head = pyMemory(headAddr, headLen)
	}
	if partLen > 0 {
		src.Part = pyMemory(partAddr, partLen)
	}
	opt := gopcapy.ColumnOptions{Filter: filter, Fields: names}
	c, err := gopcapy.ReadRangeColumns(context.Background(), src, int64(size), name, int64(start), int64(end), opt)
	var mb *gopcapy.MissingBytesError
	if errors.As(err, &mb) {
		return -int(mb.Off) - 1, nil
	}
	return rangeJob(c, err)
}

// ColumnsRangeLookback returns how many bytes before a range's start its
// reader looks at (to find the first record): what Python fetches along
// with a range of a remote file.
func ColumnsRangeLookback() (n int, err error) {
	defer guard(&err)
	return int(gopcapy.RangeLookback()), nil
}

// rangeJob makes a finished job of a range's columns, or returns its error:
// damage is kept for ColumnsDamage, anything else is the call's error.
func rangeJob(c *gopcapy.Columns, err error) (int, error) {
	var re *gopcapy.ReadError
	if err != nil && !errors.As(err, &re) {
		var se *gopcapy.SplitError
		if errors.As(err, &se) {
			return 0, pcapError(se.Error())
		}
		return 0, kinded(err)
	}
	j := &colJob{parts: []*gopcapy.Columns{c}, errs: []error{err}}
	j.finish()
	return colJobs.add(j), nil
}

// ColumnsRangeTimes writes into 24 bytes of Python memory at addr three
// int64: the timestamps (ns) of the first and last packets of a range of
// the local capture file path, and 1 if it holds any (else 0). It reads
// little of the range (see gopcapy.RangeTimes); pcapy.dask makes a
// DataFrame's divisions with it.
func ColumnsRangeTimes(path string, start, end, addr int) (rc int, err error) {
	defer guard(&err)
	if addr == 0 {
		return 0, internalError("no memory for the times")
	}
	f, size, err := openSized(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	first, last, ok, err := gopcapy.RangeTimes(f, size, path, int64(start), int64(end))
	if err != nil {
		return 0, kinded(err)
	}
	out := pyMemory(addr, 24)
	binary.NativeEndian.PutUint64(out, uint64(first))
	binary.NativeEndian.PutUint64(out[8:], uint64(last))
	if ok {
		binary.NativeEndian.PutUint64(out[16:], 1)
	} else {
		binary.NativeEndian.PutUint64(out[16:], 0)
	}
	return 0, nil
}

// openSized opens a local capture file for range reading, with its size.
func openSized(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, pcapError(err.Error())
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, pcapError(err.Error())
	}
	return f, st.Size(), nil
}
