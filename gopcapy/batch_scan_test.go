package gopcapy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/gopacket/layers"
)

// readTrace is everything a reader's batch reads showed: each packet with the
// file offsets around it (-2 for Next's), the reader's readEnd after the
// ReadBatch that handed out the nth packet, and the error that ended it.
type readTrace struct {
	packets []packet
	offsets [][2]int64
	readEnd map[int]int64
	err     error
}

// batchScript says how traceReads reads: maxN packets a ReadBatch, in a
// buffer of bufSize bytes (0: the Batch's own), a Next before each ReadBatch,
// a filter installed once filterAt packets were handed out (-1: none), the
// packets read past it handed back with SetFilterKeep; inPlace: the buffer
// set with SetInPlaceBuffer (otherwise each batch's bytes are checked back
// to back).
type batchScript struct {
	maxN, bufSize int
	next          bool
	filter        string
	filterAt      int
	inPlace       bool
}

// traceReads reads r to its end by script; with libpcapOnly, every read is
// libpcap's (ScanFile off).
func traceReads(t *testing.T, r *Reader, sc batchScript, libpcapOnly bool) readTrace {
	t.Helper()
	r.scan.off = libpcapOnly
	tr := readTrace{readEnd: map[int]int64{}}
	var b Batch
	var buf []byte
	if sc.bufSize > 0 {
		buf = make([]byte, sc.bufSize)
	}
	if sc.inPlace {
		b.SetInPlaceBuffer(buf)
	} else if buf != nil {
		b.SetBuffer(buf)
	}
	for round := 0; round < 1e5; round++ {
		if sc.next {
			h, data, err := r.Next()
			if err != nil {
				tr.err = err
				return tr
			}
			tr.packets = append(tr.packets, packet{h, data})
			tr.offsets = append(tr.offsets, [2]int64{-2, -2}) // Next shows none
		}
		n, err := r.ReadBatch(&b, sc.maxN, 0)
		if !sc.inPlace && n > 0 {
			checkPacked(t, &b)
		}
		for i := 0; i < n; i++ {
			h, data := b.Packet(i)
			tr.packets = append(tr.packets, packet{h, bytes.Clone(data)})
			tr.offsets = append(tr.offsets, [2]int64{b.offsetBefore(i), b.offsetBefore(i + 1)})
		}
		if n > 0 && !sc.next { // after a Next, readEnd includes what it read ahead
			tr.readEnd[len(tr.packets)] = r.readEnd
		}
		if sc.filter != "" && sc.filterAt >= 0 && len(tr.packets) >= sc.filterAt {
			back := len(tr.packets) - sc.filterAt
			if err := r.SetFilterKeep(sc.filter, &b, back); err != nil {
				t.Fatal(err)
			}
			tr.packets, tr.offsets = tr.packets[:sc.filterAt], tr.offsets[:sc.filterAt]
			sc.filterAt = -1
		}
		if err != nil {
			tr.err = err
			return tr
		}
	}
	t.Fatal("never ended")
	return tr
}

// checkPacked fails t unless b's packets' bytes lie back to back from its
// DataStart up to the end of Bytes.
func checkPacked(t *testing.T, b *Batch) {
	t.Helper()
	at := b.DataStart()
	for i := 0; i < b.Len(); i++ {
		_, start, end := ParseRecord(b.buf[i*RecordSize:])
		if start != at {
			t.Fatalf("packet %d of a packed batch starts at %d, want %d", i, start, at)
		}
		at = end
	}
	if at != len(b.Bytes()) {
		t.Fatalf("a packed batch's bytes end at %d, Bytes at %d", at, len(b.Bytes()))
	}
}

// sameTrace reports how got differs from libpcap's trace want ("" if not).
func sameTrace(got, want readTrace) string {
	if got.err != want.err && (got.err == nil || want.err == nil || got.err.Error() != want.err.Error()) {
		return fmt.Sprintf("error %v, libpcap's %v", got.err, want.err)
	}
	if len(got.packets) != len(want.packets) {
		return fmt.Sprintf("%d packets, libpcap's %d", len(got.packets), len(want.packets))
	}
	for i := range got.packets {
		g, w := got.packets[i], want.packets[i]
		if g.h != w.h || !bytes.Equal(g.data, w.data) {
			return fmt.Sprintf("packet %d: %+v, libpcap's %+v", i, g.h, w.h)
		}
		// Which packets Next handed out (no offsets shown) depends on where
		// its read ahead stopped.
		wild := got.offsets[i][0] == -2 || want.offsets[i][0] == -2
		if !wild && got.offsets[i] != want.offsets[i] {
			return fmt.Sprintf("packet %d: offsets %v, libpcap's %v", i, got.offsets[i], want.offsets[i])
		}
	}
	for n, end := range got.readEnd {
		if w, ok := want.readEnd[n]; ok && w != end {
			return fmt.Sprintf("readEnd after %d packets: %d, libpcap's %d", n, end, w)
		}
	}
	return ""
}

// Batches filled from ScanFile's buffer are libpcap's batches: the same
// packets, offsets, errors and ends, whatever the file (byte orders,
// nanoseconds, odd records, truncated, cut by the snapshot length, pcapng),
// the buffer (too small for some packets), Next between the batches and a
// filter installed mid-file.
func TestScannedBatchesAreLibpcapBatches(t *testing.T) {
	files := scanCases(t)
	dir := t.TempDir()
	files["plain"] = writePcap(t, filepath.Join(dir, "plain.pcap"), layers.LinkTypeEthernet, 65535, false, prefixRecs())
	// A snapshot length past libpcap's maximum does not let a longer record
	// through: libpcap refuses it.
	huge := pcapBytes(binary.LittleEndian, false, 1<<31-1, 1, prefixRecs()[:12])
	huge = append(huge, recordHeader(binary.LittleEndian, 1, 2, 300000, 300000)...)
	huge = append(huge, make([]byte, 300000)...)
	files["huge-snaplen"] = writeFile(t, filepath.Join(dir, "huge.pcap"), append(huge, pcapBytes(binary.LittleEndian, false, 0, 1, prefixRecs()[:5])[24:]...))
	scripts := []batchScript{
		{maxN: 7, filterAt: -1},
		{maxN: 256, filterAt: -1},
		{maxN: 5, bufSize: 5*RecordSize + 600, filterAt: -1}, // packets up to ~1.5k bytes do not all fit
		{maxN: 6, next: true, filterAt: -1},
		{maxN: 7, filter: "tcp", filterAt: 17},
		{maxN: 9, next: true, filter: "udp", filterAt: 4},
		{maxN: 4, bufSize: 4*RecordSize + 900, filter: "tcp", filterAt: 30},
		// The file read straight into the data area: the same, and records
		// cut by its end (read again by the next batch), records bigger than
		// all of it (libpcap's), a first read too short for the batch (read on).
		{maxN: 7, filterAt: -1, inPlace: true},
		{maxN: 256, filterAt: -1, inPlace: true},
		{maxN: 5, bufSize: 5*RecordSize + 600, filterAt: -1, inPlace: true},
		{maxN: 6, next: true, filterAt: -1, inPlace: true},
		{maxN: 7, filter: "tcp", filterAt: 17, inPlace: true},
		{maxN: 4, bufSize: 4*RecordSize + 900, filter: "tcp", filterAt: 30, inPlace: true},
		{maxN: 3, bufSize: 3*RecordSize + 1000, filterAt: -1, inPlace: true},
		{maxN: 64, bufSize: 64*RecordSize + 2500, filterAt: -1, inPlace: true},
		{maxN: 200, bufSize: 200*RecordSize + 1600, next: true, filterAt: -1, inPlace: true},
	}
	scanned := 0
	for name, path := range files {
		for _, prec := range []Precision{Micro, Nano} {
			for i, sc := range scripts {
				want := traceReads(t, open(t, path, prec), sc, true)
				r := open(t, path, prec)
				got := traceReads(t, r, sc, false)
				if diff := sameTrace(got, want); diff != "" {
					t.Errorf("%s prec %d script %d: %s", name, prec, i, diff)
				}
				if r.scan.fs.buf != nil || r.scan.perPacket > 0 { // ScanFile read the file
					scanned++
				}
			}
		}
	}
	// Every file but pcapng and the big-endian cooked ones (libpcap rewrites
	// their pseudo-headers), under each precision and script.
	if want := (len(files) - 3) * 2 * len(scripts); scanned != want {
		t.Fatalf("ScanFile read %d of the reads, want %d", scanned, want)
	}
}

// A plain pcap file is read straight into the batch's data area: each
// packet's bytes lie where the file has them, after its 16-byte record
// header, so the packets of a batch are 16 bytes apart; SetBuffer's are
// back to back.
func TestScannedBatchReadsFileInPlace(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "plain.pcap"), layers.LinkTypeEthernet, 65535, false, prefixRecs())
	for _, inPlace := range []bool{false, true} {
		var b Batch
		buf := make([]byte, 8*RecordSize+1<<16)
		gap := 0
		if inPlace {
			b.SetInPlaceBuffer(buf)
			gap = 16
		} else {
			b.SetBuffer(buf)
		}
		n, err := open(t, path, Micro).ReadBatch(&b, 8, 0)
		if err != nil || n < 2 {
			t.Fatalf("ReadBatch: %d, %v", n, err)
		}
		for i := 1; i < n; i++ {
			_, _, prevEnd := ParseRecord(b.buf[(i-1)*RecordSize:])
			if _, start, _ := ParseRecord(b.buf[i*RecordSize:]); start != prevEnd+gap {
				t.Fatalf("in place %v: packet %d starts at %d, the one before ends at %d", inPlace, i, start, prevEnd)
			}
		}
	}
}
