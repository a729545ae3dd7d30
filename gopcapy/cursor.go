package gopcapy

// fileCursor: the read position in one capture file, the one reader of
// capture files behind ReadFileColumns and Stream.
//
// Classic pcap files (version 2.4, either byte order, µs or ns) are read in
// Go: one copy of the bytes instead of libpcap's three, no cgo call per
// packet, and the read syscalls (the copy out of the page cache) run in a
// goroutine ahead of the decoding (prefetcher), so on two cores reading and
// decoding overlap. At the first record Go does not take as ordinary (a
// damaged or odd record, a read error) libpcap takes over at that record,
// so errors and odd cases are libpcap's. A cursor leaves pcapng files to
// libpcap; FileColumns reads them in Go (columns_file.go, range_ahead.go).

import (
	"io"
	"os"
)

// PacketFunc receives one packet: its header (Frac unused), its timestamp's
// nanoseconds, the file's link type and the captured bytes (valid only
// during the call).
type PacketFunc func(h Pkthdr, nsec int64, linkType int, data []byte)

// fileCursor reads one capture file from its first packet on.
type fileCursor struct {
	path     string
	r        *Reader // libpcap's handle: header checks, link type, and the reading after a hand-over
	linkType int
	snaplen  int
	filter   string
	prog     *BPFProgram
	packets  int   // packets handed out from this file
	size     int64 // the file's size (0 when not a regular file)

	// The Go reader of classic pcap files; pf is nil once libpcap reads.
	pf     *prefetcher
	format pcapFormat
	maxCap uint32 // a larger caplen goes to libpcap
	win    []byte // bytes from file offset pos on, not yet decoded
	pos    int64
	buf    []byte // the prefetcher's buffer win lies in
	batch  Batch  // libpcap's packets
}

// openCursor opens a capture file for reading with nanosecond timestamps,
// keeping the packets matching filter ("": all).
func openCursor(path, filter string) (*fileCursor, error) {
	r, err := OpenOfflinePrecision(path, Nano)
	if err != nil {
		return nil, err
	}
	f := &fileCursor{path: path, r: r, filter: filter}
	f.linkType, _ = r.Datalink()
	f.snaplen, _ = r.Snaplen()
	if filter != "" {
		// What SetFilter installs: optimized, netmask 0 for files.
		if f.prog, err = Compile(f.linkType, f.snaplen, filter, true, 0); err != nil {
			r.Close()
			return nil, err
		}
	}
	if !f.openPcap() {
		if err := f.handOver(0); err != nil {
			r.Close()
			return nil, err
		}
	}
	return f, nil
}

// openPcap starts the Go reader when path is a classic pcap 2.4 file.
func (f *fileCursor) openPcap() bool {
	file, err := os.Open(f.path)
	if err != nil {
		return false
	}
	var hdr [24]byte
	st, err := file.Stat()
	if err == nil && st.Mode().IsRegular() {
		f.size = st.Size()
		_, err = io.ReadFull(file, hdr[:])
	}
	format, _, _, version24, ok := parsePcapHeader(hdr[:])
	if err != nil || f.size == 0 || !ok || !version24 {
		file.Close()
		return false
	}
	f.format = format
	// libpcap refuses a caplen above its per-link-type maximum (262144 for
	// most, more for a few) even under a larger snaplen: anything above the
	// common maximum goes to libpcap, which knows.
	f.maxCap = uint32(min(f.snaplen, maxSnaplen))
	f.pos = int64(len(hdr))
	f.pf = newPrefetcher(file, int(f.maxCap)+16, f.size-f.pos)
	return true
}

// handOver makes libpcap read from file offset off (0: where it is).
func (f *fileCursor) handOver(off int64) error {
	f.stopGo()
	if off > 0 && !f.r.seekTo(off) {
		return pcapErr(f.path + ": cannot seek in the file")
	}
	if f.filter != "" {
		return f.r.SetFilter(f.filter)
	}
	return nil
}

func (f *fileCursor) stopGo() {
	if f.pf != nil {
		f.pf.close()
		f.pf, f.win, f.buf = nil, nil, nil
	}
}

func (f *fileCursor) close() {
	f.stopGo()
	f.r.Close()
}

// offset returns the file offset read up to, -1 when unknown.
func (f *fileCursor) offset() int64 {
	if f.pf != nil {
		return f.pos
	}
	return f.r.offset()
}

// read hands up to n packets to fn; io.EOF at the end of the file.
func (f *fileCursor) read(n int, fn PacketFunc) (int, error) {
	got := 0
	if f.pf != nil {
		k, ok := f.readGo(n, fn)
		got += k
		if ok {
			if got == n {
				return got, nil
			}
			return got, io.EOF
		}
		if err := f.handOver(f.pos); err != nil {
			return got, err
		}
	}
	for got < n {
		k, err := f.r.ReadBatch(&f.batch, min(n-got, columnsBatch), 0)
		for i := 0; i < k; i++ {
			h, data := f.batch.Packet(i)
			fn(h, int64(h.Frac), f.linkType, data)
		}
		got += k
		f.packets += k
		if err != nil {
			return got, err
		}
	}
	return got, nil
}

// readGo reads up to n packets in Go. ok is false when libpcap must take
// over at f.pos; true means n packets, or the end of the file when fewer.
func (f *fileCursor) readGo(n int, fn PacketFunc) (got int, ok bool) {
	format := &f.format
	for {
		win := f.win
		for len(win) >= 16 && got < n {
			sec, frac, caplen, wire := format.record(win)
			if caplen > f.maxCap || sec >= 1<<31 || frac >= format.fracMax {
				f.win = win
				return got, false // libpcap's errors or its special cases
			}
			size := 16 + int(caplen)
			if len(win) < size {
				break
			}
			data := win[16:size:size]
			if f.prog == nil || f.prog.Matches(data, int(wire)) {
				fn(Pkthdr{Sec: int64(sec), Caplen: caplen, Len: wire}, int64(frac)*format.fracMul, f.linkType, data)
				got++
				f.packets++
			}
			win = win[size:]
			f.pos += int64(size)
		}
		f.win = win
		if got == n {
			return got, true
		}
		buf, next, err := f.pf.next(f.buf, f.win)
		switch {
		case err == io.EOF && len(f.win) == 0:
			return got, true
		case err != nil: // a record cut short, or a read error: libpcap says which
			return got, false
		}
		f.buf, f.win = buf, next
	}
}
