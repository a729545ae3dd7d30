package pybridge

import (
	"encoding/binary"
	"strings"
	"testing"
	"unsafe"

	"github.com/gopcapy/gopcapy/gopcapy"
)

func TestFilterCallsNeedARunningLoop(t *testing.T) {
	h, err := OpenOffline(writeCapture(t, 3), false)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(h)
	buf := make([]byte, 1024*gopcapy.RecordSize+4096+FilterSideSize(1024))
	addr := int(uintptr(unsafe.Pointer(&buf[0])))
	if _, err := FilterRead(h, 1024, 0, addr, len(buf)); err == nil || !strings.HasPrefix(err.Error(), "InternalError") {
		t.Fatalf("FilterRead without FilterStart: %v", err)
	}
	if _, err := FilterStart(h, 0, 7, 0, 0, 0, "-", "x", 53, 14, 0); err == nil {
		t.Fatal("a bad port list is an error")
	}
	if _, err := FilterStart(h, 0, 7, 0, 0, 0, "-", "-", 53, 65, 0); err == nil ||
		err.Error() != "ValueError: l2_offset out of range [0,64]" {
		t.Fatalf("l2_offset 65: %v", err)
	}
}

func TestFilterReadPutsTheAdmittedPacketsAndEveryClass(t *testing.T) {
	h, err := OpenOffline(writeCapture(t, 5), false)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(h)
	if _, err := FilterStart(h, 0, 7, 0, 0, 0, "-", "-", 53, 14, 0); err != nil {
		t.Fatal(err)
	}
	defer FilterEnd(h)
	const maxN = 16
	buf := make([]byte, maxN*gopcapy.RecordSize+4096+FilterSideSize(maxN))
	addr := int(uintptr(unsafe.Pointer(&buf[0])))
	n, err := FilterRead(h, maxN, 0, addr, len(buf))
	if err != nil || n != 5 {
		t.Fatalf("FilterRead = %d, %v", n, err)
	}
	tail := buf[len(buf)-filterTail:]
	admitted := binary.NativeEndian.Uint64(tail)
	fmtStart, fmtEnd := binary.NativeEndian.Uint64(tail[8:]), binary.NativeEndian.Uint64(tail[16:])
	if admitted != 5 || !strings.HasPrefix(string(buf[fmtStart:fmtEnd]), "448x") {
		t.Fatalf("admitted %d, format %q", admitted, buf[fmtStart:fmtEnd])
	}
	if n, err := FilterRead(h, maxN, 0, addr, len(buf)); n != 0 || err != nil {
		t.Fatalf("at the end: %d, %v", n, err)
	}
}
