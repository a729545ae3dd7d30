package pybridge

// Reading straight into a buffer Python owns. Handing a batch to Python as a
// Go []byte costs a Go allocation, a gopy handle and a copy into bytes per
// batch; instead pcapy allocates one array('B') per reader and passes its
// address, and libpcap's packets are copied once, into that memory. Python
// then builds headers and packet bytes from it with struct, at C speed.
//
// Layout of the buffer after a read of n packets (all numbers native order):
//
//	[0, n*RecordSize)  records, as gopcapy.Batch (BatchLayout gives Python their layout)
//	[start0, used)     the packets' bytes where the records say: ReadInto
//	                   may leave other bytes between them (a plain pcap
//	                   file is read straight in, its record headers too),
//	                   ReadNgInto puts them back to back
//	last 16 bytes      ReadNgInto: two uint64 (meta, used)
//
// Python sizes the buffer with BufferSize; its last bufferReserve bytes are
// never packets'.

/*
#include <stdint.h>
static unsigned char *gp_addr(uintptr_t a) { return (unsigned char *)a; }
*/
import "C"

import (
	"encoding/binary"
	"io"
	"time"
	"unsafe"

	"github.com/gopcapy/gopcapy/gopcapy"
)

const (
	tailSize   = 16 // the two uint64 results at the end of the buffer
	ngMetaSize = 16 // pcapy-ng's next_batch record: sec, usec, offset, caplen (uint32)
	// bufferReserve is the room kept at the end of a buffer for the results.
	bufferReserve = tailSize
)

// BatchLayout returns the batch record layout, gopcapy.RecordLayout: seven
// uint32 in native order, the record size and the byte offsets of sec
// (int64), frac, caplen, len, start and end (uint32). pcapy._batch.layout()
// reads it once; Python code that reads or writes records uses that.
func BatchLayout() (b []byte, err error) {
	defer guard(&err)
	l := gopcapy.RecordLayout()
	b = make([]byte, 4*len(l))
	for i, v := range l {
		binary.NativeEndian.PutUint32(b[4*i:], uint32(v))
	}
	return b, nil
}

// BufferSize returns the size of a buffer for ReadInto/ReadNgInto that holds
// maxN packets and dataBytes of their bytes.
func BufferSize(maxN, dataBytes int) (size int, err error) {
	defer guard(&err)
	if maxN <= 0 || dataBytes < 0 {
		return 0, valueError("bad buffer size")
	}
	return maxN*gopcapy.RecordSize + dataBytes + bufferReserve, nil
}

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
// fill is given packets back to back (Batch.SetBuffer; without fill, the
// packets may lie apart: Batch.SetInPlaceBuffer).
func readIntoBuffer(h, maxN, waitMs, addr, size int, fill func(rd *reader, mem []byte, n int)) (int, error) {
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	if maxN <= 0 || addr == 0 || size < bufferReserve+maxN*gopcapy.RecordSize+64 {
		return 0, internalError("buffer too small")
	}
	mem := pyMemory(addr, size)
	body := mem[:size-bufferReserve]
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if fill != nil {
		rd.batch.SetBuffer(body)
	} else {
		rd.batch.SetInPlaceBuffer(body)
	}
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
	if fill != nil {
		fill(rd, mem, n)
	}
	return n, nil
}

// ReadInto reads up to maxN packets into the buffer of size bytes at addr
// (see the layout above) and returns their count: 0 at the end of a file, -1
// when a live capture's wait expired, -(n+1) when the n packets are in Go
// memory instead (BatchBytes gives them).
func ReadInto(h, maxN, waitMs, addr, size int) (n int, err error) {
	defer guard(&err)
	return readIntoBuffer(h, maxN, waitMs, addr, size, nil)
}

// ReadNgInto is ReadInto for pcapy-ng's next_batch: the packets' bytes stay
// back to back at [meta+16n, used) and right before them, at [meta, meta+16n),
// Go writes pcapy-ng's 16-byte records (sec, usec, offset, caplen as uint32),
// usec from the reader's own precision, and offsets counted from base (for a
// batch Python appends to earlier ones). The last 16 bytes hold (meta, used).
func ReadNgInto(h, maxN, waitMs, addr, size, base int) (n int, err error) {
	defer guard(&err)
	return readIntoBuffer(h, maxN, waitMs, addr, size, func(rd *reader, mem []byte, n int) {
		usecDiv := uint32(1)
		if rd.r.Precision() == gopcapy.Nano {
			usecDiv = 1000
		}
		putNgMeta(mem, n, rd.batch.DataStart(), len(rd.batch.Bytes()), usecDiv, uint32(base))
	})
}

// putNgMeta rewrites the n records in place as pcapy-ng's records ending
// where the data starts. It goes backwards: record i is read before any
// write can reach it, since dataStart >= n*RecordSize.
func putNgMeta(mem []byte, n, dataStart, used int, usecDiv, base uint32) {
	meta := dataStart - n*ngMetaSize
	for i := n - 1; i >= 0; i-- {
		r := mem[i*gopcapy.RecordSize:]
		sec := uint32(binary.NativeEndian.Uint64(r[gopcapy.RecordSec:]))
		usec := binary.NativeEndian.Uint32(r[gopcapy.RecordFrac:]) / usecDiv
		caplen := binary.NativeEndian.Uint32(r[gopcapy.RecordCaplen:])
		off := binary.NativeEndian.Uint32(r[gopcapy.RecordStart:]) - uint32(dataStart) + base
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
