package pybridge

// Reading straight into a buffer Python owns. Handing a batch to Python as a
// Go []byte costs a Go allocation, a gopy handle and a copy into bytes per
// batch; instead pcapy allocates one array('B') per reader and passes its
// address, and libpcap's packets are copied once, into that memory. Python
// then builds headers and packet bytes from it with struct, at C speed.
//
// Layout of the buffer after a read of n packets (all numbers native order):
//
//	[0, n*28)        records, as gopcapy.Batch (sec, frac, caplen, len, start, end)
//	[start0, used)   the packets' bytes, back to back
//	[fmt, fmtEnd)    ReadInto: a struct format "<start0>x<caplen0>s<caplen1>s..."
//	                 that unpacks every packet as bytes in one call
//	last 16 bytes    two uint64: (fmt, fmtEnd) for ReadInto, (meta, used) for ReadNgInto
//
// The format region is the buffer's last formatReserve(maxN) bytes; packets
// never go there.

/*
#include <stdint.h>
static unsigned char *gp_addr(uintptr_t a) { return (unsigned char *)a; }
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"time"
	"unsafe"

	"github.com/gopcapy/gopcapy/gopcapy"
)

const (
	tailSize   = 16 // the two uint64 results at the end of the buffer
	ngMetaSize = 16 // pcapy-ng's next_batch record: sec, usec, offset, caplen (uint32)
)

// formatReserve is the room kept at the end of a buffer for the format of
// maxN packets ("262144s" is 7 bytes) and the results.
func formatReserve(maxN int) int { return 8*maxN + 32 + tailSize }

// pyMemory is the size bytes at addr, memory Python owns and keeps alive for
// the duration of the call (the reader's buffer). Go never keeps it longer
// than the reader's handle.
func pyMemory(addr, size int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(C.gp_addr(C.uintptr_t(addr)))), size)
}

// readIntoBuffer reads up to maxN packets of reader h into Python's buffer.
// It returns the packets and the buffer; n == 0 is end of file, -1 a timeout,
// and -(n+1) means the n packets did not fit and are in Go memory (get them
// with BatchBytes).
func readIntoBuffer(h, maxN, waitMs, addr, size int, fill func(rd *reader, mem []byte, n int)) (int, error) {
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	if maxN <= 0 || addr == 0 || size < formatReserve(maxN)+maxN*gopcapy.RecordSize+64 {
		return 0, errors.New("InternalError: buffer too small")
	}
	mem := pyMemory(addr, size)
	body := mem[:size-formatReserve(maxN)]
	rd.mu.Lock()
	defer rd.mu.Unlock()
	rd.batch.SetBuffer(body)
	n, err := rd.r.ReadBatch(&rd.batch, maxN, time.Duration(waitMs)*time.Millisecond)
	switch {
	case err == io.EOF:
		return 0, nil
	case err == gopcapy.ErrTimeout:
		return -1, nil
	case err != nil:
		return 0, kinded(err)
	case !rd.batch.InBuffer(body):
		return -(n + 1), nil
	}
	fill(rd, mem, n)
	return n, nil
}

// ReadInto reads up to maxN packets into the buffer of size bytes at addr
// (see the layout above) and returns their count: 0 at the end of a file, -1
// when a live capture's wait expired, -(n+1) when the n packets are in Go
// memory instead (BatchBytes gives them).
func ReadInto(h, maxN, waitMs, addr, size int) (n int, err error) {
	defer guard(&err)
	return readIntoBuffer(h, maxN, waitMs, addr, size, putFormat)
}

// putFormat writes the struct format of the batch's packets and its bounds.
func putFormat(rd *reader, mem []byte, n int) {
	size := len(mem)
	start := size - formatReserve(n)
	// Python's maxN may be larger than n: the reserve for n is always inside.
	f := mem[start : start : size-tailSize]
	f = strconv.AppendInt(f, int64(rd.batch.DataStart()), 10)
	f = append(f, 'x')
	for i := 0; i < n; i++ {
		caplen := binary.NativeEndian.Uint32(mem[i*gopcapy.RecordSize+12:])
		f = strconv.AppendUint(f, uint64(caplen), 10)
		f = append(f, 's')
	}
	end := start + len(f)
	if &f[0] != &mem[start] { // did not fit (caplens beyond 7 digits): Python builds it
		end = start
	}
	binary.NativeEndian.PutUint64(mem[size-16:], uint64(start))
	binary.NativeEndian.PutUint64(mem[size-8:], uint64(end))
}

// ReadNgInto is ReadInto for pcapy-ng's next_batch: the packets' bytes stay
// back to back at [meta+16n, used) and right before them, at [meta, meta+16n),
// Go writes pcapy-ng's 16-byte records (sec, usec, offset, caplen as uint32)
// with usec = fraction / usecDiv and offsets counted from base (for a batch
// Python appends to earlier ones). The last 16 bytes hold (meta, used).
func ReadNgInto(h, maxN, waitMs, addr, size, usecDiv, base int) (n int, err error) {
	defer guard(&err)
	if usecDiv <= 0 {
		usecDiv = 1
	}
	return readIntoBuffer(h, maxN, waitMs, addr, size, func(rd *reader, mem []byte, n int) {
		putNgMeta(mem, n, rd.batch.DataStart(), len(rd.batch.Bytes()), uint32(usecDiv), uint32(base))
	})
}

// putNgMeta rewrites the n records in place as pcapy-ng's records ending
// where the data starts. It goes backwards: record i is read before any
// write can reach it, since dataStart >= n*RecordSize.
func putNgMeta(mem []byte, n, dataStart, used int, usecDiv, base uint32) {
	meta := dataStart - n*ngMetaSize
	for i := n - 1; i >= 0; i-- {
		r := mem[i*gopcapy.RecordSize:]
		sec := uint32(binary.NativeEndian.Uint64(r))
		usec := binary.NativeEndian.Uint32(r[8:]) / usecDiv
		caplen := binary.NativeEndian.Uint32(r[12:])
		off := binary.NativeEndian.Uint32(r[20:]) - uint32(dataStart) + base
		m := mem[meta+i*ngMetaSize:]
		binary.NativeEndian.PutUint32(m, sec)
		binary.NativeEndian.PutUint32(m[4:], usec)
		binary.NativeEndian.PutUint32(m[8:], off)
		binary.NativeEndian.PutUint32(m[12:], caplen)
	}
	size := len(mem)
	binary.NativeEndian.PutUint64(mem[size-16:], uint64(meta))
	binary.NativeEndian.PutUint64(mem[size-8:], uint64(used))
}
