package pybridge

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/gopcapy/gopcapy/gopcapy"
)

// writeLongPcapng writes n Ethernet frames of 400 bytes (longer than
// gopcapy.ClassifyPrefix: an admitted one is re-read whole) to a pcapng file,
// which libpcap reads (not ScanFile).
func writeLongPcapng(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "long.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := pcapgo.NewNgWriter(f, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		data := make([]byte, 400)
		data[0] = byte(i)
		ts := time.Unix(1000+int64(i), 0)
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: 400, Length: 400}, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

// failReadWhole makes the k-th re-read of a packet fail (k from 0) until
// the test ends.
func failReadWhole(t *testing.T, k int) {
	calls := 0
	readWhole = func(r *gopcapy.Reader, b *gopcapy.Batch, i int, dst []byte) error {
		if calls++; calls > k {
			return errors.New("PcapError: the file changed")
		}
		return r.ReadPacketAt(b, i, dst)
	}
	t.Cleanup(func() { readWhole = (*gopcapy.Reader).ReadPacketAt })
}

// pcapy-ng stops at a read error: the packets before it were handed over
// (callbacks called, counted), the error comes after them. A re-read that
// fails is such an error: the packets classified before it are not lost.
func TestAFailedReReadKeepsThePacketsBeforeIt(t *testing.T) {
	h := openFile(t, writeLongPcapng(t, 10))
	failReadWhole(t, 3)
	if _, err := FilterStart(h, 0, 7, 0, 0, 0, "-", "-", 53, 14, 0); err != nil {
		t.Fatal(err)
	}
	const maxN = 16
	buf := make([]byte, maxN*gopcapy.RecordSize+64<<10+FilterSideSize(maxN))
	addr := int(uintptr(unsafe.Pointer(&buf[0])))
	n, err := FilterRead(h, maxN, 0, addr, len(buf))
	tail := buf[len(buf)-filterTail:]
	if err != nil || n != 3 || binary.NativeEndian.Uint64(tail) != 3 {
		t.Fatalf("FilterRead = %d (%d admitted), %v; want the 3 packets before the failed re-read", n,
			binary.NativeEndian.Uint64(tail), err)
	}
	if n, err := FilterRead(h, maxN, 0, addr, len(buf)); n != 0 || err == nil {
		t.Fatalf("the next FilterRead = %d, %v; want the error", n, err)
	}
	FilterEnd(h)
	// The packet that failed was not consumed: the reader gives it next.
	readWhole = (*gopcapy.Reader).ReadPacketAt
	rd, _ := getReader(h)
	if _, data, err := rd.r.Next(); err != nil || data[0] != 3 {
		t.Fatalf("Next after the loop: %v, want packet 3", err)
	}
}

func TestAFailedReReadEndsLoopToBufferWithThePacketsBeforeItCounted(t *testing.T) {
	h := openFile(t, writeLongPcapng(t, 10))
	failReadWhole(t, 4)
	if _, err := FilterStart(h, 0, 7, 0, 0, 0, "-", "-", 53, 14, 0); err != nil {
		t.Fatal(err)
	}
	defer FilterEnd(h)
	out := make([]byte, 64<<10)
	stats := make([]uint64, toBufferStats)
	n, err := FilterToBuffer(h, 0, 0, int(uintptr(unsafe.Pointer(&out[0]))), len(out),
		int(uintptr(unsafe.Pointer(&stats[0]))))
	classes := stats[4] + stats[5] + stats[6]
	if err != nil || n != 4 || stats[0] != 4 || stats[3] != 4*405 || classes != 4 {
		t.Fatalf("FilterToBuffer = %d, %v, stats %v; want the 4 packets before the failed re-read", n, err, stats)
	}
	if _, err := FilterToBuffer(h, 0, 0, int(uintptr(unsafe.Pointer(&out[0]))), len(out),
		int(uintptr(unsafe.Pointer(&stats[0])))); err == nil {
		t.Fatal("the next call does not report the error")
	}
}
