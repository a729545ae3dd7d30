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
//	[start0, used)     the packets' bytes where the records say, with other
//	                   bytes between them where a plain pcap file was read
//	                   straight in (its record headers too)
//
// Python sizes the buffer with BufferSize. pcapy-ng's next_batch layout
// (packets back to back, 16-byte records) is made from it by the C part
// (python/csrc/_ngbatch.c), copying each packet once, into the bytes
// Python returns.

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

// BufferSize returns the size of a buffer for ReadInto that holds
// maxN packets and dataBytes of their bytes.
func BufferSize(maxN, dataBytes int) (size int, err error) {
	defer guard(&err)
	if maxN <= 0 || dataBytes < 0 {
		return 0, valueError("bad buffer size")
	}
	return maxN*gopcapy.RecordSize + dataBytes, nil
}

// pyMemory is the size bytes at addr, memory Python owns and keeps alive for
// the duration of the call (the reader's buffer). Go never keeps it longer
// than the reader's handle.
func pyMemory(addr, size int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(C.gp_addr(C.uintptr_t(addr)))), size)
}

// ReadInto reads up to maxN packets into the buffer of size bytes at addr
// (see the layout above) and returns their count: 0 at the end of a file, -1
// when a live capture's wait expired, -(n+1) when the n packets are in Go
// memory instead (BatchBytes gives them).
func ReadInto(h, maxN, waitMs, addr, size int) (n int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	if maxN <= 0 || addr == 0 || size < maxN*gopcapy.RecordSize+64 {
		return 0, internalError("buffer too small")
	}
	mem := pyMemory(addr, size)
	rd.mu.Lock()
	defer rd.mu.Unlock()
	rd.batch.SetInPlaceBuffer(mem)
	n, err = rd.r.ReadBatch(&rd.batch, maxN, time.Duration(waitMs)*time.Millisecond)
	switch {
	case err == io.EOF:
		return 0, nil
	case err == gopcapy.ErrTimeout:
		return -1, nil
	case err != nil:
		return 0, kinded(err)
	case !rd.batch.InBuffer(mem):
		return -(n + 1), nil
	}
	return n, nil
}
