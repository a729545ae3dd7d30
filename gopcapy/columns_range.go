package gopcapy

// Byte ranges of a capture file read into columns, so that many readers
// (pcapy.dask's partitions, on many machines) can share one large capture.
//
// A range [start, end) holds the records from Boundary(start) up to
// Boundary(end), where Boundary(off) is the first record (pcapng: block)
// that starts at or after off. Classic pcap has no sync marker, so Boundary
// takes the first offset from which a run of consecutive records all look
// plausible (capture length within the snapshot length and the wire length,
// a timestamp near the file's first one, each next header plausible too);
// pcapng blocks carry their length at both ends, which makes the run very
// hard to fake.
//
// Why no packet can be lost or read twice: the reader of [start, end) walks
// the records one by one from Boundary(start) and must land exactly on
// Boundary(end), the offset the next range's reader starts at. The first
// range starts at the true first record, so by induction every range starts
// on a true record, or a reader notices that its walk stepped over the next
// range's start and says so (SplitError) instead of returning rows. A wrong
// guess of Boundary can cost an error, never a wrong result.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	// syncRecords is how many consecutive plausible records (or blocks)
	// make a boundary, unless the file ends sooner.
	syncRecords = 16
	// syncSlackSec is how far before the file's first packet a timestamp
	// may be (captures are not strictly ordered); syncSpanSec how long
	// after: longer than any capture; syncGapSec how far apart two
	// consecutive packets' timestamps may be.
	syncSlackSec = 86400
	syncSpanSec  = 20 * 365 * 86400
	syncGapSec   = 86400
	// maxBlock bounds a pcapng block's length for Boundary: a packet of
	// maxSnaplen bytes with room for options.
	maxBlock = 512 << 10
	// maxReadBlock bounds the pcapng blocks a range reader reads (skipped
	// or not), as libpcap does (its largest block for the common link
	// types): a damaged length must not make it allocate gigabytes.
	maxReadBlock = 16 << 20
	// windowSize is how much of the file a rangeReader reads at once for
	// records; probeSize for Boundary's walks, which read only headers.
	windowSize = 4 << 20
	probeSize  = 256 << 10
)

// captureLayout is what a range reader needs from the start of a file.
type captureLayout struct {
	ng         bool
	pcapFormat       // classic pcap; pcapng uses only its order
	linkType   int   // DLT_*, as libpcap reports it
	snaplen    int   // the snapshot length libpcap uses
	dataStart  int64 // the first record (pcapng: the first packet block)
	firstSec   int64 // classic pcap: the first record's seconds, -1 without records // the first record's seconds, -1 without records
	// pcapng
	ifaces []ngInterface
}

// rangeReader reads one range of one file: records through w, and
// Boundary's walks through probe, so that finding the range's end does
// not throw away the window its records are read from.
type rangeReader struct {
	captureLayout
	w     *window
	probe *window
	path  string
}

// openRange reads a capture's layout: the file header, and for pcapng the
// section header and the interface blocks before the first packet.
func openRange(src io.ReaderAt, size int64, path string) (*rangeReader, error) {
	r := &rangeReader{w: &window{src: src, size: size, chunk: windowSize},
		probe: &window{src: src, size: size, chunk: probeSize}, path: path}
	magic, err := r.probe.at(0, 4)
	if err != nil {
		return nil, r.headerErr(err, "file too short for a capture header")
	}
	switch binary.LittleEndian.Uint32(magic) {
	case 0x0a0d0d0a:
		err = r.ngLayout()
	default:
		err = r.classicLayout()
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// headerErr keeps a source's own errors (missing bytes, I/O) and turns the
// end of the file into msg.
func (r *rangeReader) headerErr(err error, msg string) error {
	if err == io.EOF {
		return pcapErr(r.path + ": " + msg)
	}
	var mb *MissingBytesError
	if errors.As(err, &mb) {
		return err
	}
	return pcapErr(fmt.Sprintf("%s: %v", r.path, err))
}

func (r *rangeReader) classicLayout() error {
	hdr, err := r.probe.at(0, 24)
	if err != nil {
		return r.headerErr(err, "file too short for a pcap header")
	}
	format, snaplen, linkType, version24, ok := parsePcapHeader(hdr)
	switch {
	case !ok:
		return pcapErr(r.path + ": not a pcap or pcapng capture (unknown magic number)")
	case !version24:
		return pcapErr(r.path + ": only pcap version 2.4 files can be read in byte ranges")
	}
	r.pcapFormat = format
	r.snaplen = adjustSnaplen(snaplen)
	r.linkType = dltOfLinkType(linkType)
	r.dataStart, r.firstSec = 24, -1
	if h, err := r.probe.at(24, 16); err == nil {
		r.firstSec = int64(r.order.Uint32(h))
	}
	return nil
}

// ReadRangeColumns reads into columns the packets of a capture (classic
// pcap 2.4 or pcapng) between Boundary(start) and Boundary(end), with
// nanosecond timestamps. src holds the file's size bytes; path names it in
// errors. Count in opt is ignored.
//
// Like ReadFileColumns, a file damaged within the range returns the rows
// before the damage with a *ReadError. A *SplitError, a *MissingBytesError
// (from a PiecesSource) and other errors come with nil columns.
func ReadRangeColumns(ctx context.Context, src io.ReaderAt, size int64, path string, start, end int64,
	opt ColumnOptions) (*Columns, error) {
	r, err := openRange(src, size, path)
	if err != nil {
		return nil, err
	}
	c := &Columns{}
	if err := c.Select(opt.Fields); err != nil {
		return nil, err
	}
	var prog *BPFProgram
	if opt.Filter != "" {
		if prog, err = Compile(r.linkType, r.snaplen, opt.Filter, true, 0); err != nil {
			return nil, err
		}
	}
	from, err := r.Boundary(start)
	if err != nil {
		return nil, r.sourceErr(err)
	}
	to, err := r.Boundary(max(end, start))
	if err != nil {
		return nil, r.sourceErr(err)
	}
	r.w.stop = to // a small range reads no more than it holds
	at, err := r.read(ctx, c, prog, from, to)
	var mb *MissingBytesError
	switch {
	case errors.As(err, &mb), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, err
	case err != nil:
		var fatal *Error
		if errors.As(err, &fatal) {
			return nil, err
		}
		return c, &ReadError{Path: path, Packets: c.Rows(), Err: err}
	case at != to:
		return nil, &SplitError{Path: path, At: at, Want: to}
	}
	return c, nil
}

// sourceErr keeps a source's missing bytes and names the file in a read
// error.
func (r *rangeReader) sourceErr(err error) error {
	var mb *MissingBytesError
	if errors.As(err, &mb) {
		return err
	}
	return pcapErr(fmt.Sprintf("%s: %v", r.path, err))
}

// read appends the records from offset from to offset to and returns where
// they ended. Damage is returned as a plain error; what makes the range
// unreadable as a whole as an *Error.
func (r *rangeReader) read(ctx context.Context, c *Columns, prog *BPFProgram, from, to int64) (int64, error) {
	pos := from
	for n := 0; pos < to; n++ {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return pos, err
			}
		}
		if n == 1024 && pos > from { // room for the rest at the size seen so far: no regrowing
			c.grow(int(float64(to-pos)/float64(pos-from)*float64(c.Rows())*1.05)+64, 0)
		}
		size, err := r.next(c, prog, pos)
		if err != nil {
			return pos, err
		}
		pos += size
	}
	return pos, nil
}

// next appends the packet of the record or block at pos, if it holds one,
// and returns its size.
func (r *rangeReader) next(c *Columns, prog *BPFProgram, pos int64) (int64, error) {
	if r.ng {
		return r.ngBlock(c, prog, pos)
	}
	return r.record(c, prog, pos)
}

// record appends the classic record at pos and returns its size.
func (r *rangeReader) record(c *Columns, prog *BPFProgram, pos int64) (int64, error) {
	h, err := r.w.at(pos, 16)
	if err != nil {
		return 0, r.damage(err, pos, "truncated record header")
	}
	sec, frac, caplen, wire := r.pcapFormat.record(h)
	if caplen > maxSnaplen {
		return 0, fmt.Errorf("invalid packet capture length %d, bigger than maximum of %d (at byte %d)",
			caplen, maxSnaplen, pos)
	}
	data, err := r.w.at(pos+16, int(caplen))
	if err != nil {
		return 0, r.damage(err, pos, fmt.Sprintf("truncated record: %d captured bytes", caplen))
	}
	r.appendPacket(c, prog, int64(sec), int64(frac)*r.fracMul, data, wire)
	return 16 + int64(caplen), nil
}

// appendPacket adds a packet as libpcap hands it over: no more than the
// snapshot length captured.
func (r *rangeReader) appendPacket(c *Columns, prog *BPFProgram, sec, nsec int64, data []byte, wire uint32) {
	if len(data) > r.snaplen {
		data = data[:r.snaplen]
	}
	if prog == nil || prog.Matches(data, int(wire)) {
		c.appendNs(Pkthdr{Sec: sec, Caplen: uint32(len(data)), Len: wire}, nsec, r.linkType, data)
	}
}

// damage describes a record the file cannot give; a source's own errors
// (missing bytes, I/O) pass through.
func (r *rangeReader) damage(err error, pos int64, what string) error {
	if err == io.EOF {
		return fmt.Errorf("%s at byte %d, the file ends at %d", what, pos, r.w.size)
	}
	return err
}

// RangeTimes returns the timestamps (nanoseconds) of the first and the last
// packet of a range, as ReadRangeColumns would read it, reading only a
// little of it: the first record and the last few hundred KiB. ok is false
// when the range holds no packet. Damage is an error.
func RangeTimes(src io.ReaderAt, size int64, path string, start, end int64) (first, last int64, ok bool, err error) {
	r, err := openRange(src, size, path)
	if err != nil {
		return 0, 0, false, err
	}
	from, err := r.Boundary(start)
	if err != nil {
		return 0, 0, false, r.sourceErr(err)
	}
	to, err := r.Boundary(max(end, start))
	if err != nil {
		return 0, 0, false, r.sourceErr(err)
	}
	c := &Columns{}
	_ = c.Select([]string{"ts"})
	pos, err := r.times(c, from, to, 1)
	if err != nil || c.Rows() == 0 {
		return 0, 0, false, err
	}
	first = c.TS[0]
	// The last records: from a boundary far enough before the end to hold
	// one whole record, or where the first one ended.
	tail, err := r.Boundary(max(pos, to-2*probeSize))
	if err != nil {
		return 0, 0, false, r.sourceErr(err)
	}
	if tail >= to {
		tail = pos
	}
	c = &Columns{}
	_ = c.Select([]string{"ts"})
	stop, err := r.times(c, tail, to, 0)
	if err == nil && stop != to { // Boundary guessed wrong: follow the records from the first
		c = &Columns{}
		_ = c.Select([]string{"ts"})
		_, err = r.times(c, pos, to, 0)
	}
	if err != nil {
		return 0, 0, false, err
	}
	last = first
	if c.Rows() > 0 {
		last = c.TS[c.Rows()-1]
	}
	return first, last, true, nil
}

// times reads the records from offset from until offset to, or until c has
// limit rows (limit > 0), and returns where it stopped.
func (r *rangeReader) times(c *Columns, from, to int64, limit int) (int64, error) {
	pos := from
	for pos < to && (limit <= 0 || c.Rows() < limit) {
		size, err := r.next(c, nil, pos)
		if err != nil {
			var fatal *Error
			if errors.As(err, &fatal) {
				return pos, err
			}
			return pos, pcapErr(fmt.Sprintf("%s: %v", r.path, err))
		}
		pos += size
	}
	return pos, nil
}
