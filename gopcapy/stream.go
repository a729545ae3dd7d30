package gopcapy

// Streaming reads: capture files' packets handed to a function chunk by
// chunk, in file order, with memory bounded by the chunk rather than by the
// file. pcapy.iter_columns, to_parquet and read_flows read through a Stream.
//
// Classic pcap files are read in Go, as ReadFileColumns does; at the first
// record Go does not take as ordinary (damage, a read error, an odd header)
// libpcap takes over at that record, so errors and odd cases are libpcap's.
// pcapng files are read by libpcap throughout.

import (
	"encoding/binary"
	"io"
	"os"
)

// PacketFunc receives one packet: its header (Frac unused), its timestamp's
// nanoseconds, the file's link type and the captured bytes (valid only
// during the call).
type PacketFunc func(h Pkthdr, nsec int64, linkType int, data []byte)

// Stream reads capture files one after the other.
type Stream struct {
	paths  []string
	filter string
	count  int // packets wanted in all (<= 0: all)
	done   int // packets handed out
	next   int // index in paths of the next file to open
	cur    *fileCursor
}

// NewStream makes a Stream over the files, in order, keeping the packets
// matching filter ("": all), at most count in all (<= 0: all).
func NewStream(paths []string, filter string, count int) *Stream {
	return &Stream{paths: paths, filter: filter, count: count}
}

// Read hands up to n packets (n > 0) to fn and returns how many. It returns
// fewer only when the files are read (then err is io.EOF, possibly with
// packets), or with a *ReadError for a file damaged midway: the packets
// before the damage were handed out, and the next Read goes on with the next
// file. Any other error (a file that cannot be opened, a filter that does
// not compile) ends the stream.
func (s *Stream) Read(n int, fn PacketFunc) (int, error) {
	got := 0
	for got < n {
		if s.count > 0 && s.done >= s.count {
			s.Close()
			return got, io.EOF
		}
		if s.cur == nil {
			if s.next >= len(s.paths) {
				return got, io.EOF
			}
			cur, err := openCursor(s.paths[s.next], s.filter)
			s.next++
			if err != nil {
				s.next = len(s.paths)
				return got, err
			}
			s.cur = cur
		}
		want := n - got
		if s.count > 0 {
			want = min(want, s.count-s.done)
		}
		k, err := s.cur.read(want, fn)
		got += k
		s.done += k
		if err != nil {
			path, packets := s.cur.path, s.cur.packets
			s.cur.close()
			s.cur = nil
			if err != io.EOF {
				return got, &ReadError{Path: path, Packets: packets, Err: err}
			}
		}
	}
	return got, nil
}

// Close releases the file being read; Read then goes on with the next one.
func (s *Stream) Close() {
	if s.cur != nil {
		s.cur.close()
		s.cur = nil
	}
	s.next = len(s.paths)
}

// ReadColumns appends up to n rows to c; see Read.
func (s *Stream) ReadColumns(c *Columns, n int) (int, error) {
	return s.Read(n, c.AppendRow)
}

// AppendRow is Columns' PacketFunc: it decodes a packet and adds it as a row.
func (c *Columns) AppendRow(h Pkthdr, nsec int64, linkType int, data []byte) {
	c.appendNs(h, nsec, linkType, data)
}

// Reserve makes room for n more rows in the kept columns, so that a chunk
// of known size is allocated once.
func (c *Columns) Reserve(n int) { c.grow(n, 0) }

// fileCursor is the read position in one capture file.
type fileCursor struct {
	path     string
	r        *Reader // libpcap's handle: header checks, link type, and the reading after a hand-over
	linkType int
	snaplen  int
	filter   string
	prog     *BPFProgram
	packets  int // packets handed out from this file

	// The Go reader of classic pcap files; file is nil once libpcap reads.
	file    *os.File
	order   binary.ByteOrder
	fracMax uint32
	fracMul int64
	buf     []byte
	start   int
	end     int
	pos     int64 // file offset of buf[start]
	batch   Batch // libpcap's packets
}

func openCursor(path, filter string) (*fileCursor, error) {
	r, err := OpenOfflinePrecision(path, Nano)
	if err != nil {
		return nil, err
	}
	f := &fileCursor{path: path, r: r, filter: filter}
	f.linkType, _ = r.LinkType()
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

// openPcap starts the Go reader when path is a classic pcap file (version
// 2.4, either byte order, µs or ns).
func (f *fileCursor) openPcap() bool {
	file, err := os.Open(f.path)
	if err != nil {
		return false
	}
	var hdr [24]byte
	if st, err := file.Stat(); err != nil || !st.Mode().IsRegular() {
		file.Close()
		return false
	}
	if _, err := io.ReadFull(file, hdr[:]); err != nil {
		file.Close()
		return false
	}
	f.order, f.fracMax, f.fracMul = binary.LittleEndian, 1_000_000, 1000
	switch binary.LittleEndian.Uint32(hdr[:]) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		f.fracMax, f.fracMul = 1_000_000_000, 1
	case 0xd4c3b2a1:
		f.order = binary.BigEndian
	case 0x4d3cb2a1:
		f.order, f.fracMax, f.fracMul = binary.BigEndian, 1_000_000_000, 1
	default:
		file.Close()
		return false
	}
	if f.order.Uint16(hdr[4:]) != 2 || f.order.Uint16(hdr[6:]) != 4 || f.snaplen > 1<<24 {
		file.Close()
		// Older versions may swap caplen and len; a huge snapshot length
		// would need a huge buffer: libpcap knows.
		return false
	}
	f.file = file
	f.buf = make([]byte, max(1<<20, 2*(f.snaplen+16)))
	f.pos = int64(len(hdr))
	return true
}

// handOver makes libpcap read from file offset off (0: where it is).
func (f *fileCursor) handOver(off int64) error {
	if f.file != nil {
		f.file.Close()
		f.file, f.buf = nil, nil
	}
	if off > 0 && !f.r.seekTo(off) {
		return pcapErr(f.path + ": cannot seek in the file")
	}
	if f.filter != "" {
		return f.r.SetFilter(f.filter)
	}
	return nil
}

func (f *fileCursor) close() {
	if f.file != nil {
		f.file.Close()
		f.file = nil
	}
	f.r.Close()
}

// read hands up to n packets to fn; io.EOF at the end of the file.
func (f *fileCursor) read(n int, fn PacketFunc) (int, error) {
	got := 0
	if f.file != nil {
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
	order := f.order
	for {
		for f.end-f.start >= 16 && got < n {
			h := f.buf[f.start:f.end]
			sec, frac := order.Uint32(h), order.Uint32(h[4:])
			caplen, wire := order.Uint32(h[8:]), order.Uint32(h[12:])
			if caplen > uint32(f.snaplen) || sec >= 1<<31 || frac >= f.fracMax {
				return got, false // libpcap's errors or its special cases
			}
			size := 16 + int(caplen)
			if len(h) < size {
				break
			}
			data := h[16:size]
			if f.prog == nil || f.prog.Matches(data, int(wire)) {
				fn(Pkthdr{Sec: int64(sec), Caplen: caplen, Len: wire}, int64(frac)*f.fracMul, f.linkType, data)
				got++
				f.packets++
			}
			f.start += size
			f.pos += int64(size)
		}
		if got == n {
			return got, true
		}
		f.end = copy(f.buf, f.buf[f.start:f.end])
		f.start = 0
		k, err := f.file.Read(f.buf[f.end:])
		f.end += k
		switch {
		case err == io.EOF && f.end == 0:
			return got, true
		case err != nil: // a record cut short, or a read error: libpcap says which
			return got, false
		}
	}
}
