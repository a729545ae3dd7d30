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
// packets read past it handed back with SetFilterKeep.
type batchScript struct {
	maxN, bufSize int
	next          bool
	filter        string
	filterAt      int
}

// traceReads reads r to its end by script; with libpcapOnly, every read is
// libpcap's (ScanFile off).
func traceReads(t *testing.T, r *Reader, sc batchScript, libpcapOnly bool) readTrace {
	t.Helper()
	r.scan.off = libpcapOnly
	tr := readTrace{readEnd: map[int]int64{}}
	var b Batch
	if sc.bufSize > 0 {
		b.SetBuffer(make([]byte, sc.bufSize))
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
				if r.scan.fs.buf != nil { // ScanFile read the file
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
