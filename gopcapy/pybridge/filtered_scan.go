package pybridge

// FilterRead and FilterToBuffer over a pcap file that gopcapy.ScanFile
// reads: each packet classified where the read put it, an admitted one
// copied once, straight into Python's buffer. Where ScanFile cannot read
// (pcapng, a live capture, a filter, a record libpcap must handle), the
// callers read through libpcap instead (filtered.go).

import (
	"encoding/binary"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// scanState is what the last ScanFile read of a run left for FilterUnread:
// the file offset after each packet classified (ok: that read was a scan).
type scanState struct {
	file gopcapy.FileScan
	ok   bool
	ends []int64
}

// scanFilterRead is FilterRead by ScanFile: the packets classified, and
// done false when ScanFile read nothing (libpcap's turn). n < -1 asks for a
// bigger buffer, as FilterRead's result does.
func scanFilterRead(rd *reader, run *filterRun, out *filterOut, maxN int) (n int, done bool) {
	c, none := run.c, run.c.AdmitsNone()
	run.scan.ends = run.scan.ends[:0]
	tooBig := 0
	got, _ := rd.r.ScanFile(&run.scan.file, maxN, func(h gopcapy.Pkthdr, data []byte, end int64) gopcapy.ScanStep {
		if out.off+len(data) > out.end && !none { // no room for what might be admitted: the rest waits
			tooBig = len(data) + 1
			return gopcapy.ScanLeave
		}
		idx := c.Classify(data)
		out.classes[n] = byte(idx)
		if c.Admits(idx) {
			gopcapy.PutRecord(out.mem[out.admitted*gopcapy.RecordSize:], h, out.off)
			copy(out.mem[out.off:], data)
			out.ids[out.admitted] = byte(c.ClassID(idx))
			binary.NativeEndian.PutUint32(out.positions[4*out.admitted:], uint32(n))
			out.off += len(data)
			out.admitted++
		}
		run.scan.ends = append(run.scan.ends, end)
		n++
		return gopcapy.ScanNext
	})
	run.scan.ok = got > 0
	switch {
	case got > 0:
		return got, true
	case tooBig > 0:
		return -max(2, tooBig), true
	}
	return 0, false
}

// scanUnread hands the packets after the first `from` of the last scan
// back to the reader: the file goes back to the end of packet from-1.
func scanUnread(rd *reader, run *filterRun, from int) error {
	if from <= 0 || from > len(run.scan.ends) {
		return nil // Python hands back after an admitted packet: from >= 1
	}
	err := rd.r.RewindTo(run.scan.ends[from-1])
	run.scan.ends = run.scan.ends[:from]
	return err
}

// scanToBuffer is FilterToBuffer by ScanFile over up to limit packets:
// their number, 0 when ScanFile read nothing (libpcap's turn).
func scanToBuffer(rd *reader, run *filterRun, buf []byte, st *[toBufferStats]uint64, limit int) int {
	c := run.c
	size := uint64(len(buf))
	got, _ := rd.r.ScanFile(&run.scan.file, limit, func(_ gopcapy.Pkthdr, data []byte, _ int64) gopcapy.ScanStep {
		idx := c.Classify(data)
		st[4+idx]++
		if !c.Admits(idx) {
			st[1]++
			return gopcapy.ScanNext
		}
		used, need := st[3], 5+uint64(len(data))
		if used+need > size { // full: counted, not written
			st[2]++
			return gopcapy.ScanNext
		}
		binary.LittleEndian.PutUint32(buf[used:], uint32(len(data)))
		buf[used+4] = byte(c.ClassID(idx))
		copy(buf[used+5:used+need], data)
		st[3] = used + need
		st[0]++
		return gopcapy.ScanNext
	})
	return got
}
