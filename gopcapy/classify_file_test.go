package gopcapy

import (
	"bytes"
	"encoding/binary"
	"io"
	"path/filepath"
	"testing"

	"github.com/google/gopacket/layers"
)

// readScanning reads r to its end as a classifier loop does: ScanFile while
// it can, a ReadBatch where it cannot, then ScanFile again. It returns the
// packets, the error that ended the reading (nil at the end of the file) and
// how many packets ScanFile handed over.
func readScanning(t *testing.T, r *Reader) (out []packet, err error, scanned int) {
	t.Helper()
	var s FileScan
	var b Batch
	for round := 0; round < 1e5; round++ {
		n, more := r.ScanFile(&s, 7, func(h Pkthdr, data []byte, _ int64) ScanStep {
			out = append(out, packet{h, bytes.Clone(data)})
			return ScanNext
		})
		scanned += n
		if more {
			continue
		}
		got, err := r.ReadBatch(&b, 5, 0)
		for i := 0; i < got; i++ {
			h, data := b.Packet(i)
			out = append(out, packet{h, bytes.Clone(data)})
		}
		if err == io.EOF {
			return out, nil, scanned
		}
		if err != nil {
			return out, err, scanned
		}
	}
	t.Fatal("never ended")
	return
}

// scanCases are capture files ScanFile reads in part or not at all, each with
// packets libpcap must read itself among the plain ones.
func scanCases(t *testing.T) map[string]string {
	dir := t.TempDir()
	recs := prefixRecs()[:60]
	files := map[string]string{}
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, nanos := range []bool{false, true} {
			name := order.String() + map[bool]string{false: "-us", true: "-ns"}[nanos]
			b := pcapBytes(order, nanos, 65535, 1, recs[:20])
			b = append(b, recordHeader(order, 1<<31+5, 7, 4, 4)...) // seconds past 2038: libpcap's
			b = append(b, 1, 2, 3, 4)
			b = append(b, recordHeader(order, 1, 1_000_000_000+1, 4, 4)...) // an overlong fraction
			b = append(b, 5, 6, 7, 8)
			b = append(b, pcapBytes(order, nanos, 65535, 1, recs[20:40])[24:]...)
			files[name] = writeFile(t, filepath.Join(dir, name+".pcap"), b)
			files[name+"-truncated"] = writeFile(t, filepath.Join(dir, name+"-t.pcap"), b[:len(b)-7])
			files[name+"-sll"] = writeFile(t, filepath.Join(dir, name+"-sll.pcap"), pcapBytes(order, nanos, 65535, 113, recs[:9]))
		}
	}
	// A snapshot length shorter than some records: libpcap cuts them.
	files["snaplen"] = writeFile(t, filepath.Join(dir, "snap.pcap"), pcapBytes(binary.LittleEndian, false, 300, 1, recs))
	files["pcapng"] = writePcapng(t, filepath.Join(dir, "p.pcapng"), layers.LinkTypeEthernet, recs)
	return files
}

func TestScanFileReadsWhatLibpcapReads(t *testing.T) {
	for name, path := range scanCases(t) {
		for _, prec := range []Precision{Micro, Nano} {
			want, wantErr := readAllNext(t, open(t, path, prec))
			got, err, scanned := readScanning(t, open(t, path, prec))
			if wantErr == io.EOF {
				wantErr = nil
			}
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Errorf("%s: error %v, libpcap's %v", name, err, wantErr)
			}
			if len(got) != len(want) {
				t.Fatalf("%s: %d packets, libpcap %d", name, len(got), len(want))
			}
			for i := range got {
				if got[i].h != want[i].h || !bytes.Equal(got[i].data, want[i].data) {
					t.Fatalf("%s packet %d: %+v, libpcap %+v", name, i, got[i].h, want[i].h)
				}
			}
			libpcapOnly := name == "pcapng" || name == "BigEndian-us-sll" || name == "BigEndian-ns-sll"
			if (scanned == 0) != libpcapOnly {
				t.Errorf("%s: ScanFile handed over %d packets", name, scanned)
			}
		}
	}
}

func TestScanFileLeavesFilteredReadersToLibpcap(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "f.pcap"), layers.LinkTypeEthernet, 65535, false, prefixRecs())
	r := open(t, path, Micro)
	if err := r.SetFilter("tcp"); err != nil {
		t.Fatal(err)
	}
	got, err, scanned := readScanning(t, r)
	if err != nil || scanned != 0 || len(got) != 150 {
		t.Fatalf("%d packets (%d scanned), %v; want the 150 untagged TCP packets from libpcap", len(got), scanned, err)
	}
}

func TestRewindToGoesBackToAScannedPacket(t *testing.T) {
	recs := prefixRecs()[:30]
	path := writePcap(t, filepath.Join(t.TempDir(), "r.pcap"), layers.LinkTypeEthernet, 65535, false, recs)
	r := open(t, path, Micro)
	var s FileScan
	var ends []int64
	n, more := r.ScanFile(&s, 10, func(_ Pkthdr, _ []byte, end int64) ScanStep {
		ends = append(ends, end)
		if len(ends) == 8 {
			return ScanLeave // the 8th stays unread
		}
		return ScanNext
	})
	if n != 7 || !more {
		t.Fatalf("ScanFile: %d, %v; want 7, true", n, more)
	}
	if _, data, err := r.Next(); err != nil || !bytes.Equal(data, recs[7].data) {
		t.Fatalf("Next after the scan: %v, not packet 7", err)
	}
	if err := r.RewindTo(ends[2]); err != nil {
		t.Fatal(err)
	}
	n, _ = r.ScanFile(&s, 5, func(_ Pkthdr, data []byte, _ int64) ScanStep {
		if !bytes.Equal(data, recs[3].data) {
			t.Error("the scan after RewindTo does not start with packet 3")
		}
		return ScanStop
	})
	if _, data, err := r.Next(); n != 1 || err != nil || !bytes.Equal(data, recs[4].data) {
		t.Fatalf("Next after the rewind and a scan: %v, not packet 4", err)
	}
}
