package pybridge

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

// addr is the address of b's bytes, as Python passes a buffer's.
func addr(b []byte) int { return int(uintptr(unsafe.Pointer(&b[0]))) }

func TestColumnsReadRangeSplitsAFile(t *testing.T) {
	path := writeCapture(t, 10)
	st, _ := os.Stat(path)
	size, rows := int(st.Size()), 0
	for _, r := range [][2]int{{0, 200}, {200, 450}, {450, size}} {
		job, err := ColumnsReadRange(path, r[0], r[1], "", "ts\nlen")
		if err != nil {
			t.Fatal(err)
		}
		n, _ := ColumnsRows(job)
		rows += n
		ColumnsFree(job)
	}
	if rows != 10 {
		t.Fatalf("%d rows in the three ranges, want 10", rows)
	}
	if _, err := ColumnsReadRange(filepath.Join(t.TempDir(), "none.pcap"), 0, 10, "", "ts"); err == nil ||
		!strings.HasPrefix(err.Error(), "PcapError: ") || !strings.Contains(err.Error(), "none.pcap") {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := ColumnsReadRange(path, 0, size, "", "nope"); err == nil || !strings.HasPrefix(err.Error(), "ValueError: ") {
		t.Fatalf("unknown field: %v", err)
	}
}

func TestColumnsReadRangeMemoryAsksForMissingBytes(t *testing.T) {
	data, err := os.ReadFile(writeCapture(t, 10))
	if err != nil {
		t.Fatal(err)
	}
	job, err := ColumnsReadRangeMemory("m.pcap", len(data), addr(data), len(data), 0, addr(data), len(data), 0, len(data), "", "ts")
	if n, _ := ColumnsRows(job); err != nil || n != 10 {
		t.Fatalf("whole file from memory: %d rows, %v", n, err)
	}
	ColumnsFree(job)
	// Only the head: the range's records are missing, Go says from where.
	rc, err := ColumnsReadRangeMemory("m.pcap", len(data), addr(data), 40, 0, addr(data), 40, 0, len(data), "", "ts")
	if err != nil || rc >= 0 || -rc-1 < 40 {
		t.Fatalf("got %d, %v; want -(offset+1) of a byte at or after 40", rc, err)
	}
	if _, err := ColumnsReadRangeMemory("m.pcap", 10, addr(data), 40, 0, 0, 0, 0, 10, "", "ts"); err == nil ||
		!strings.HasPrefix(err.Error(), "InternalError: ") {
		t.Fatalf("pieces larger than the file: %v", err)
	}
}

func TestColumnsRangeTimes(t *testing.T) {
	path := writeCapture(t, 10)
	out := make([]byte, 24)
	if _, err := ColumnsRangeTimes(path, 0, 1<<20, addr(out)); err != nil {
		t.Fatal(err)
	}
	first, last := int64(binary.NativeEndian.Uint64(out)), int64(binary.NativeEndian.Uint64(out[8:]))
	if first != 1000*1e9 || last != 1009*1e9+9*1001*1000 || binary.NativeEndian.Uint64(out[16:]) != 1 {
		t.Fatalf("times %d %d %v", first, last, out[16:])
	}
	if _, err := ColumnsRangeTimes(path, 0, 10, 0); err == nil {
		t.Fatal("no memory: no error")
	}
	if n, err := ColumnsRangeLookback(); err != nil || n < 2*262160 {
		t.Fatalf("lookback %d, %v", n, err)
	}
}
