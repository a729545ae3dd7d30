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
//
// FileColumns may give a cursor the file mapped in memory (mapped.go)
// instead of the prefetcher: the cursor then copies it chunk by chunk
// (mappedChunks) up to its limit, where another goroutine reads on
// (columns_split.go).

import (
	"errors"
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

	// The Go reader of classic pcap files reads the file through pf, or
	// through chunks (mapped); both are nil once libpcap reads.
	pf     *prefetcher
	format pcapFormat
	maxCap uint32 // a larger caplen goes to libpcap
	win    []byte // bytes from file offset pos on, not yet decoded
	pos    int64
	buf    []byte // the buffer win lies in (the prefetcher's, or a mapped chunk's)
	batch  Batch  // libpcap's packets

	// A mapped file (owned by the caller, who unmaps it) is read up to
	// limit, chunk by chunk (chunks, nil for a file not mapped): the
	// packets handed out (and given to the filter, C code that must not
	// read mapped bytes: mapped.go) lie in the chunks' buffers, not in the
	// mapping.
	chunks    *mappedChunks
	limit     int64
	leaving   func() // if not nil, called when libpcap takes over
	filtering *filterBatchRoom
}

// goEnd is why the Go reader stopped.
type goEnd int

const (
	goCount   goEnd = iota // it handed out the packets asked for
	goEOF                  // the end of the file
	goLibpcap              // libpcap must read on from pos: damage, an odd record, a read error
	goLimit                // a mapped file's limit, before its end
	goFault                // the mapped file shrank under it (mapped.go): libpcap reads on
)

// errAtLimit is what read returns at a mapped file's limit.
var errAtLimit = errors.New("gopcapy: the cursor reached its limit")

// openCursor opens a capture file for reading with nanosecond timestamps,
// keeping the packets matching filter ("": all); a classic pcap file is
// read through m when not nil (the file mapped: see mapped.go).
func openCursor(path, filter string, m *mapping) (*fileCursor, error) {
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
	if !f.openPcap(m) {
		if err := f.handOver(0); err != nil {
			r.Close()
			return nil, err
		}
	}
	return f, nil
}

// openPcap starts the Go reader when path is a classic pcap 2.4 file,
// through m when not nil.
func (f *fileCursor) openPcap(m *mapping) bool {
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
	if m != nil && int64(len(m.data)) == f.size {
		file.Close()
		f.limit = f.size
		f.chunks = newMappedChunks(m, f.pos, f.limit, int(f.maxCap)+16)
		return true
	}
	f.pf = newPrefetcher(file, int(f.maxCap)+16, f.size-f.pos)
	return true
}

// setLimit makes a mapped cursor read up to limit (at most the file's size).
func (f *fileCursor) setLimit(limit int64) {
	if f.chunks != nil {
		f.limit = min(limit, f.size)
		f.chunks.end = f.limit
	}
}

// skipTo moves a mapped cursor on to pos, up to its limit: the records
// before were read by another (columns_split.go).
func (f *fileCursor) skipTo(pos int64) {
	if f.chunks != nil {
		f.pos = min(pos, f.limit)
		f.chunks.pos, f.win = f.pos, nil
	}
}

// handOver makes libpcap read from file offset off (0: where it is).
func (f *fileCursor) handOver(off int64) error {
	if f.leaving != nil {
		f.leaving()
	}
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
	}
	f.pf, f.chunks, f.win, f.buf = nil, nil, nil, nil
}

// goReads reports whether Go reads the file (not libpcap).
func (f *fileCursor) goReads() bool { return f.pf != nil || f.chunks != nil }

func (f *fileCursor) close() {
	f.stopGo()
	f.r.Close()
}

// offset returns the file offset read up to, -1 when unknown.
func (f *fileCursor) offset() int64 {
	if f.goReads() {
		return f.pos
	}
	return f.r.offset()
}

// read hands up to n packets to fn; io.EOF at the end of the file,
// errAtLimit at a mapped file's limit.
func (f *fileCursor) read(n int, fn PacketFunc) (int, error) {
	got := 0
	if f.goReads() {
		k, end := f.readGoSafely(n, fn)
		got += k
		switch end {
		case goCount:
			return got, nil
		case goEOF:
			return got, io.EOF
		case goLimit:
			return got, errAtLimit
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

// readGoSafely is readGo, which for a mapped file may meet a page the file
// no longer has (when it copies the next chunk, between two packets): the
// packets before it stand, libpcap reads on from there (and tells what it
// finds).
func (f *fileCursor) readGoSafely(n int, fn PacketFunc) (got int, end goEnd) {
	if f.chunks == nil {
		return f.readGo(n, fn)
	}
	before := f.packets
	if readingMapped(func() { got, end = f.readGo(n, fn) }) {
		return f.packets - before, goFault
	}
	return got, end
}

// readGo reads up to n records in Go, handing out those the filter
// keeps, and says why it stopped (goCount: n records looked at; with a
// filter that keeps few, fewer packets). Counting records, not packets,
// keeps a call short whatever the filter, for its callers' deadlines.
func (f *fileCursor) readGo(n int, fn PacketFunc) (got int, end goEnd) {
	take := f.take
	if f.prog != nil {
		take = f.takeFiltered
	}
	seen := 0
	for {
		k, looked, odd := take(n-seen, fn)
		got, seen = got+k, seen+looked
		switch {
		case odd:
			return got, goLibpcap // libpcap's errors or its special cases
		case seen == n:
			return got, goCount
		}
		var source chunkSource = f.chunks
		if f.pf != nil {
			source = f.pf
		}
		buf, next, err := source.chunk(f.buf, f.win)
		switch {
		case err == io.EOF && f.chunks != nil && f.limit < f.size:
			return got, goLimit
		case err == io.EOF && len(f.win) == 0:
			return got, goEOF
		case err != nil: // a record cut short, or a read error: libpcap says which
			return got, goLibpcap
		}
		f.buf, f.win = buf, next
	}
}

// ordinary reads the record header at the start of b; ok false for a
// record libpcap must read (a caplen above the largest Go takes, libpcap's
// special timestamps).
func (f *fileCursor) ordinary(b []byte) (sec, frac, caplen, wire uint32, ok bool) {
	sec, frac, caplen, wire = f.format.record(b)
	return sec, frac, caplen, wire, caplen <= f.maxCap && sec < 1<<31 && frac < f.format.fracMax
}

// take hands the whole records of the window, up to n of them, to fn and
// says how many it looked at, and whether it stopped at one libpcap must
// read (odd).
func (f *fileCursor) take(n int, fn PacketFunc) (got, looked int, odd bool) {
	win := f.win
	defer func() { f.win = win }()
	for ; len(win) >= 16 && looked < n; looked++ {
		sec, frac, caplen, wire, ok := f.ordinary(win)
		if !ok {
			return got, looked, true
		}
		size := 16 + int(caplen)
		if len(win) < size {
			break
		}
		fn(Pkthdr{Sec: int64(sec), Caplen: caplen, Len: wire}, int64(frac)*f.format.fracMul, f.linkType, win[16:size:size])
		got++
		f.packets++
		win = win[size:]
		f.pos += int64(size)
	}
	return got, looked, false
}

// filterBatch is how many records the filter looks at in one C call.
const filterBatch = 256

// filterBatchRoom is takeFiltered's room for a batch.
type filterBatchRoom struct {
	recs  [filterBatch]filterRec
	times [filterBatch][2]uint32 // seconds and fraction
	match [filterBatch]bool
}

// takeFiltered is take for a filtered cursor: the whole records of the
// window in batches, each batch given to the filter in one call.
func (f *fileCursor) takeFiltered(n int, fn PacketFunc) (got, looked int, odd bool) {
	if f.filtering == nil {
		f.filtering = new(filterBatchRoom)
	}
	b := f.filtering
	win := f.win
	defer func() { f.win = win }()
	for looked < n {
		k, used := 0, 0
		for ; k < filterBatch && looked+k < n && len(win)-used >= 16; k++ {
			sec, frac, caplen, wire, ok := f.ordinary(win[used:])
			if !ok {
				odd = true
				break
			}
			size := 16 + int(caplen)
			if len(win)-used < size {
				break
			}
			b.recs[k] = filterRec{off: uint32(used + 16), caplen: caplen, wire: wire}
			b.times[k] = [2]uint32{sec, frac}
			used += size
		}
		f.prog.matchMany(win[:used], b.recs[:k], b.match[:k])
		for i, r := range b.recs[:k] {
			if b.match[i] {
				end := r.off + r.caplen
				fn(Pkthdr{Sec: int64(b.times[i][0]), Caplen: r.caplen, Len: r.wire},
					int64(b.times[i][1])*f.format.fracMul, f.linkType, win[r.off:end:end])
				got++
				f.packets++
			}
		}
		win = win[used:]
		f.pos += int64(used)
		looked += k
		if odd || k < filterBatch {
			break // libpcap's record, the window's end, or n records
		}
	}
	return got, looked, odd
}
