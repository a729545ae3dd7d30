package gopcapy

// Columnar decoding: a capture's packets decoded into one slice per field,
// for analysis (pcapy.read_columns / read_dataframe on the Python side).
//
// The decoder is hand-written rather than gopacket's DecodingLayerParser:
// it reads only the dozen fields it needs, allocates nothing and does not
// build layer objects. BenchmarkDecode (columns_test.go) measures both on the
// same packets; TestDecodeAgreesWithGopacket checks they agree.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Link types (DLT_* as libpcap reports them) that DecodeFields understands.
const (
	LinkNull      = 0   // BSD loopback: 4-byte address family, host byte order
	LinkEthernet  = 1   // Ethernet, with 802.1Q/802.1ad tags
	LinkRaw       = 12  // raw IP (a file's LINKTYPE_RAW 101 reads as 12)
	LinkLoop      = 108 // OpenBSD loopback: family in network byte order
	LinkLinuxSLL  = 113 // Linux "cooked" capture
	LinkIPv4      = 228 // raw IPv4
	LinkIPv6      = 229 // raw IPv6
	LinkLinuxSLL2 = 276 // Linux "cooked" capture v2 (tcpdump -i any)
)

const (
	etherIPv4 = 0x0800
	etherIPv6 = 0x86dd
)

// Fields are what DecodeFields finds in one packet. A field whose header is
// absent, not fully captured or not understood is -1 (IPVersion 0, Src and
// Dst all zero).
type Fields struct {
	// EthType is the EtherType of the network layer: the Ethernet type (or
	// 802.3 length) field after any VLAN tags, the protocol field of Linux
	// SLL, and 0x0800/0x86DD for raw IP and loopback captures.
	EthType int32
	// VLAN is the VLAN ID of the outermost 802.1Q/802.1ad tag.
	VLAN int16
	// IPVersion is 4 or 6 when a complete IP header was captured, else 0.
	IPVersion uint8
	// Src and Dst are the IP addresses; IPv4 ones IPv4-mapped (::ffff:a.b.c.d).
	Src, Dst [16]byte
	// Proto is the IP protocol: for IPv6 the header after the extension
	// headers (hop-by-hop, routing, fragment, destination options, AH).
	Proto int16
	// Sport and Dport are the TCP or UDP ports; -1 for other protocols and
	// for fragments other than the first.
	Sport, Dport int32
	// TCPFlags is the TCP header's flags byte (CWR ECE URG ACK PSH RST SYN FIN).
	TCPFlags int16
	// PayloadLen is the length of what follows the last header decoded, from
	// the headers' length fields (IP total/payload length), not from the
	// captured bytes: TCP/UDP payload, the IP payload for other protocols,
	// the bytes after the link header for non-IP frames.
	PayloadLen int32
}

func be16(b []byte) int { return int(b[0])<<8 | int(b[1]) }

// DecodeFields decodes the link, network and transport headers of a packet
// of the given link type; wireLen is its length on the wire.
func DecodeFields(linkType int, data []byte, wireLen int) Fields {
	f := Fields{EthType: -1, VLAN: -1, Proto: -1, Sport: -1, Dport: -1, TCPFlags: -1, PayloadLen: -1}
	et, off := -1, 0
	switch linkType {
	case LinkEthernet:
		if len(data) < 14 {
			return f
		}
		et, off = f.vlanTags(data, be16(data[12:]), 14)
	case LinkLinuxSLL:
		if len(data) < 16 {
			return f
		}
		et, off = f.vlanTags(data, be16(data[14:]), 16)
	case LinkLinuxSLL2:
		if len(data) < 20 {
			return f
		}
		et, off = f.vlanTags(data, be16(data), 20)
	case LinkNull, LinkLoop:
		if len(data) < 4 {
			return f
		}
		family := binary.BigEndian.Uint32(data)
		if linkType == LinkNull {
			// Host order of the machine that wrote it; tcpdump's test for which.
			if family = binary.LittleEndian.Uint32(data); family&0xffff0000 != 0 {
				family = bits.ReverseBytes32(family)
			}
		}
		off = 4
		switch family {
		case 2: // AF_INET everywhere
			et = etherIPv4
		case 24, 28, 30: // AF_INET6 of NetBSD/OpenBSD, FreeBSD, macOS
			et = etherIPv6
		}
	case LinkRaw, LinkIPv4, LinkIPv6:
		if len(data) > 0 {
			switch data[0] >> 4 {
			case 4:
				et = etherIPv4
			case 6:
				et = etherIPv6
			}
		}
	default:
		return f
	}
	if off < 0 { // a VLAN tag cut short
		return f
	}
	f.EthType = int32(et)
	rest := max(0, wireLen-off) // bytes after the link header, on the wire
	f.PayloadLen = int32(rest)
	switch et {
	case etherIPv4:
		f.ipv4(data[off:], rest)
	case etherIPv6:
		f.ipv6(data[off:], rest)
	}
	return f
}

// vlanTags skips 802.1Q/802.1ad tags starting at off and returns the inner
// type and its end; off -1 when a tag is not fully captured.
func (f *Fields) vlanTags(data []byte, et, off int) (int, int) {
	for et == 0x8100 || et == 0x88a8 || et == 0x9100 {
		if f.VLAN < 0 && len(data) >= off+2 {
			f.VLAN = int16(be16(data[off:]) & 0x0fff)
		}
		if len(data) < off+4 {
			return et, -1
		}
		et, off = be16(data[off+2:]), off+4
	}
	return et, off
}

func (f *Fields) ipv4(d []byte, rest int) {
	if len(d) < 20 || d[0]>>4 != 4 {
		return
	}
	ihl := int(d[0]&15) * 4
	if ihl < 20 {
		return
	}
	f.IPVersion = 4
	f.Src[10], f.Src[11], f.Dst[10], f.Dst[11] = 0xff, 0xff, 0xff, 0xff
	copy(f.Src[12:], d[12:16])
	copy(f.Dst[12:], d[16:20])
	f.Proto = int16(d[9])
	// Total length 0 (TCP segmentation offload on the capturing host) or
	// less than the header: trust the wire length instead.
	payload := be16(d[2:]) - ihl
	if payload < 0 {
		payload = max(0, rest-ihl)
	}
	f.PayloadLen = int32(payload)
	if be16(d[6:])&0x1fff != 0 || len(d) < ihl { // not the first fragment
		return
	}
	f.transport(d[9], d[ihl:], payload)
}

func (f *Fields) ipv6(d []byte, rest int) {
	if len(d) < 40 || d[0]>>4 != 6 {
		return
	}
	f.IPVersion = 6
	copy(f.Src[:], d[8:24])
	copy(f.Dst[:], d[24:40])
	payload := be16(d[4:])
	if payload == 0 { // a jumbogram, or segmentation offload
		payload = max(0, rest-40)
	}
	next, off := d[6], 40
	for {
		size, first := 0, true
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(d) >= off+2 {
				size = (int(d[off+1]) + 1) * 8
			}
		case 51: // authentication header
			if len(d) >= off+2 {
				size = (int(d[off+1]) + 2) * 4
			}
		case 44: // fragment
			if len(d) >= off+8 {
				size, first = 8, binary.BigEndian.Uint16(d[off+2:])&0xfff8 == 0
			}
		default:
			f.Proto = int16(next)
			f.PayloadLen = int32(max(0, payload))
			f.transport(next, d[off:], max(0, payload))
			return
		}
		if size == 0 || len(d) < off+size { // not captured: the protocol stays unknown
			f.Proto = int16(next)
			f.PayloadLen = int32(max(0, payload))
			return
		}
		next, off, payload = d[off], off+size, payload-size
		if !first {
			f.Proto = int16(next)
			f.PayloadLen = int32(max(0, payload))
			return
		}
	}
}

func (f *Fields) transport(proto byte, d []byte, payload int) {
	switch proto {
	case 6:
		if len(d) < 20 {
			return
		}
		f.Sport, f.Dport = int32(be16(d)), int32(be16(d[2:]))
		f.TCPFlags = int16(d[13])
		f.PayloadLen = int32(max(0, payload-int(d[12]>>4)*4))
	case 17:
		if len(d) < 8 {
			return
		}
		f.Sport, f.Dport = int32(be16(d)), int32(be16(d[2:]))
		f.PayloadLen = int32(max(0, payload-8))
	}
}

// Columns holds decoded packets column by column: row i of every slice is
// the i-th packet. Fields' comments say what each value means. Addresses
// are dictionary-encoded: Src[i] and Dst[i] index Addrs (-1 without IP),
// which lists the distinct addresses in order of first appearance.
type Columns struct {
	TS         []int64  // timestamp, nanoseconds since the epoch
	Caplen     []uint32 // bytes captured
	Len        []uint32 // bytes on the wire
	LinkType   []uint16 // DLT_*
	EthType    []int32
	VLAN       []int16
	IPVersion  []uint8
	Src, Dst   []int32
	Addrs      []netip.Addr
	Proto      []int16
	Sport      []int32
	Dport      []int32
	TCPFlags   []int16
	PayloadLen []int32

	// Addrs' indexes. IPv4 addresses have their own map: a uint32 key
	// hashes faster than 16 bytes.
	v4 map[uint32]int32
	v6 map[[16]byte]int32

	rows int
	skip uint32 // bit i: ColumnNames[i] is not kept
	err  error  // a *RangeError: the first row whose timestamp does not fit TS (int64 ns)
}

// tsNs is sec and nsec (in [0, 1e9)) as nanoseconds since the epoch; ok is
// false when that does not fit in an int64.
func tsNs(sec, nsec int64) (ns int64, ok bool) {
	const maxSec, maxNsec = math.MaxInt64 / 1_000_000_000, math.MaxInt64 % 1_000_000_000
	switch {
	case sec > maxSec || sec < -maxSec-1,
		sec == maxSec && nsec > maxNsec,
		sec == -maxSec-1 && nsec < 1_000_000_000-maxNsec-1: // MinInt64 is -(maxSec+1) s + that
		return 0, false
	}
	return sec*1_000_000_000 + nsec, true
}

// timestamp is a row's TS value; one that does not fit sets c.err.
func (c *Columns) timestamp(sec, nsec int64) int64 {
	ns, ok := tsNs(sec, nsec)
	if !ok && c.err == nil {
		c.err = &RangeError{Msg: fmt.Sprintf("packet %d: timestamp %d s is outside the ts column's "+
			"int64 nanoseconds (years 1677-2262); read it with next() or leave out the ts column (fields=)",
			c.rows, sec)}
	}
	return ns
}

// ColumnNames are the names of the columns, in the order of Columns' fields
// (src and dst stand for Src, Dst and Addrs); Select takes them.
var ColumnNames = []string{"ts", "caplen", "len", "linktype", "eth_type", "vlan", "ip_version",
	"src", "dst", "proto", "sport", "dport", "tcp_flags", "payload_len"}

const (
	fldTS = 1 << iota
	fldCaplen
	fldLen
	fldLinkType
	fldEthType
	fldVLAN
	fldIPVersion
	fldSrc
	fldDst
	fldProto
	fldSport
	fldDport
	fldTCPFlags
	fldPayloadLen
)

// Select makes c keep only the named columns (nil: all of them); the other
// slices stay empty. Less memory to fill makes reading faster. It must be
// called before any row is added.
func (c *Columns) Select(names []string) error {
	if c.rows > 0 {
		return errors.New("gopcapy: Select on columns that have rows")
	}
	if names == nil {
		c.skip = 0
		return nil
	}
	c.skip = 1<<len(ColumnNames) - 1
	for _, name := range names {
		i := slices.Index(ColumnNames, name)
		if i < 0 {
			return fmt.Errorf("gopcapy: no column %q", name)
		}
		c.skip &^= 1 << i
	}
	return nil
}

// Has reports whether c keeps the named column.
func (c *Columns) Has(name string) bool {
	i := slices.Index(ColumnNames, name)
	return i >= 0 && c.skip&(1<<i) == 0
}

// Rows returns the number of rows.
func (c *Columns) Rows() int { return c.rows }

// Append decodes one packet and adds it as a row. Frac is in units of prec.
func (c *Columns) Append(h Pkthdr, prec Precision, linkType int, data []byte) {
	frac := int64(h.Frac)
	if prec == Micro {
		frac *= 1000
	}
	c.appendNs(h, frac, linkType, data)
}

func (c *Columns) appendNs(h Pkthdr, nsec int64, linkType int, data []byte) {
	c.rows++
	skip := c.skip
	if skip == 0 { // all columns: the common case without a branch per column
		f := DecodeFields(linkType, data, int(h.Len))
		src, dst := int32(-1), int32(-1)
		if f.IPVersion != 0 {
			src, dst = c.addr(f.IPVersion, &f.Src), c.addr(f.IPVersion, &f.Dst)
		}
		c.TS = append(c.TS, c.timestamp(h.Sec, nsec))
		c.Caplen = append(c.Caplen, h.Caplen)
		c.Len = append(c.Len, h.Len)
		c.LinkType = append(c.LinkType, uint16(linkType))
		c.EthType = append(c.EthType, f.EthType)
		c.VLAN = append(c.VLAN, f.VLAN)
		c.IPVersion = append(c.IPVersion, f.IPVersion)
		c.Src = append(c.Src, src)
		c.Dst = append(c.Dst, dst)
		c.Proto = append(c.Proto, f.Proto)
		c.Sport = append(c.Sport, f.Sport)
		c.Dport = append(c.Dport, f.Dport)
		c.TCPFlags = append(c.TCPFlags, f.TCPFlags)
		c.PayloadLen = append(c.PayloadLen, f.PayloadLen)
		return
	}
	if skip&fldTS == 0 {
		c.TS = append(c.TS, c.timestamp(h.Sec, nsec))
	}
	if skip&fldCaplen == 0 {
		c.Caplen = append(c.Caplen, h.Caplen)
	}
	if skip&fldLen == 0 {
		c.Len = append(c.Len, h.Len)
	}
	if skip&fldLinkType == 0 {
		c.LinkType = append(c.LinkType, uint16(linkType))
	}
	const decoded = fldEthType | fldVLAN | fldIPVersion | fldSrc | fldDst | fldProto | fldSport | fldDport | fldTCPFlags | fldPayloadLen
	if skip&decoded == decoded {
		return
	}
	f := DecodeFields(linkType, data, int(h.Len))
	if skip&fldEthType == 0 {
		c.EthType = append(c.EthType, f.EthType)
	}
	if skip&fldVLAN == 0 {
		c.VLAN = append(c.VLAN, f.VLAN)
	}
	if skip&fldIPVersion == 0 {
		c.IPVersion = append(c.IPVersion, f.IPVersion)
	}
	if skip&fldSrc == 0 {
		c.Src = append(c.Src, c.addrCode(f.IPVersion, &f.Src))
	}
	if skip&fldDst == 0 {
		c.Dst = append(c.Dst, c.addrCode(f.IPVersion, &f.Dst))
	}
	if skip&fldProto == 0 {
		c.Proto = append(c.Proto, f.Proto)
	}
	if skip&fldSport == 0 {
		c.Sport = append(c.Sport, f.Sport)
	}
	if skip&fldDport == 0 {
		c.Dport = append(c.Dport, f.Dport)
	}
	if skip&fldTCPFlags == 0 {
		c.TCPFlags = append(c.TCPFlags, f.TCPFlags)
	}
	if skip&fldPayloadLen == 0 {
		c.PayloadLen = append(c.PayloadLen, f.PayloadLen)
	}
}

// addrCode is an address's code in the address table, -1 without IP.
func (c *Columns) addrCode(ipVersion uint8, a *[16]byte) int32 {
	if ipVersion == 0 {
		return -1
	}
	return c.addr(ipVersion, a)
}

// addr returns the index of an address in Addrs, adding it when new.
func (c *Columns) addr(version uint8, a *[16]byte) int32 {
	if version == 4 {
		k := binary.BigEndian.Uint32(a[12:])
		i, ok := c.v4[k]
		if !ok {
			if c.v4 == nil {
				c.v4 = map[uint32]int32{}
			}
			i = int32(len(c.Addrs))
			c.v4[k] = i
			c.Addrs = append(c.Addrs, netip.AddrFrom4([4]byte(a[12:])))
		}
		return i
	}
	i, ok := c.v6[*a]
	if !ok {
		if c.v6 == nil {
			c.v6 = map[[16]byte]int32{}
		}
		i = int32(len(c.Addrs))
		c.v6[*a] = i
		c.Addrs = append(c.Addrs, netip.AddrFrom16(*a))
	}
	return i
}

// AppendBatch adds every packet of a batch read from a reader with the given
// precision and link type.
func (c *Columns) AppendBatch(b *Batch, prec Precision, linkType int) {
	for i := 0; i < b.Len(); i++ {
		h, data := b.Packet(i)
		c.Append(h, prec, linkType, data)
	}
}

// columnsBatch is the number of packets ReadColumns reads per ReadBatch.
const columnsBatch = 2048

// ReadColumns reads up to count packets (count <= 0: no limit) from r and
// appends them to c, timestamps in r's precision. It returns how many it
// appended and why it stopped: nil when count was reached, io.EOF at the end
// of a file, ErrTimeout when a live capture had nothing within wait, or a
// read error (after the packets read before it were appended), or a
// *RangeError when a timestamp does not fit c.TS (int64 nanoseconds). A live
// capture returns after its first batch.
func (r *Reader) ReadColumns(c *Columns, count int, wait time.Duration) (int, error) {
	linkType, err := r.LinkType()
	if err != nil {
		return 0, err
	}
	var b Batch
	done := 0
	for count <= 0 || done < count {
		want := columnsBatch
		if count > 0 {
			want = min(want, count-done)
		}
		n, err := r.ReadBatch(&b, want, wait)
		c.AppendBatch(&b, r.Precision(), linkType)
		done += n
		if c.err != nil {
			return done, c.err
		}
		if err != nil {
			return done, err
		}
		if r.Live() {
			break
		}
	}
	return done, nil
}

// seekTo moves a savefile that has handed out nothing yet to offset off.
func (r *Reader) seekTo(off int64) bool {
	if err := r.lock(); err != nil {
		return false
	}
	defer r.mu.Unlock()
	if !seek(r.p, off) {
		return false
	}
	// Nothing was handed out before off: a SetFilter that follows rewinds
	// here, not to the first record (which gave rows twice).
	r.readEnd = off
	return true
}

// offset returns a savefile's read position, -1 when unknown.
func (r *Reader) offset() int64 {
	if err := r.lock(); err != nil {
		return -1
	}
	defer r.mu.Unlock()
	return tell(r.p)
}

// ReadError reports a capture file that could not be read to its end; the
// packets before the damage were read.
type ReadError struct {
	Path    string
	Packets int   // packets read before the error
	Err     error // libpcap's error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("%s: %v (after %d packets)", e.Path, e.Err, e.Packets)
}

func (e *ReadError) Unwrap() error { return e.Err }

// ColumnOptions tune ReadFileColumns and ReadFilesColumns.
type ColumnOptions struct {
	Filter   string        // a BPF filter expression ("": every packet)
	Count    int           // read at most this many packets of each file (<= 0: all)
	Fields   []string      // the columns to keep (nil: all), see Columns.Select
	Progress *atomic.Int64 // if not nil, the bytes of the files read so far are added to it
}

// ReadFileColumns reads a capture file into columns with nanosecond
// timestamps. When the file is damaged midway it returns the packets before
// the damage with a *ReadError; any other error (the file cannot be opened,
// the filter does not compile, ctx is done, a timestamp does not fit TS: a
// *RangeError) comes with nil columns.
//
// libpcap opens the file and checks its header. Classic pcap files are then
// read by readPcap, in Go, about three times faster than through libpcap
// (one copy of the bytes instead of three, no cgo call per packet); at the
// first record it does not take as ordinary (a damaged or odd record, a read
// error) it hands over to libpcap at that record, so errors and odd cases
// are libpcap's. pcapng files are read by libpcap throughout.
func ReadFileColumns(ctx context.Context, path string, opt ColumnOptions) (*Columns, error) {
	r, err := OpenOfflinePrecision(path, Nano)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	linkType, _ := r.LinkType()
	snaplen, _ := r.Snaplen()
	var prog *BPFProgram
	if opt.Filter != "" {
		// What SetFilter installs: optimized, netmask 0 for files.
		if prog, err = Compile(linkType, snaplen, opt.Filter, true, 0); err != nil {
			return nil, err
		}
	}
	f := &fileColumns{ctx: ctx, path: path, opt: opt, c: &Columns{}}
	if err := f.c.Select(opt.Fields); err != nil {
		return nil, err
	}
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		f.size = st.Size()
	}
	off, done, err := f.readPcap(linkType, snaplen, prog)
	if err == nil {
		err = f.c.err
	}
	if err != nil || done {
		return f.result(err)
	}
	if off > 0 && !r.seekTo(off) {
		return nil, pcapErr(path + ": cannot seek in the file")
	}
	if opt.Filter != "" {
		if err := r.SetFilter(opt.Filter); err != nil {
			return nil, err
		}
	}
	return f.result(f.readLibpcap(r))
}

// fileColumns is the state of ReadFileColumns.
type fileColumns struct {
	ctx      context.Context
	path     string
	opt      ColumnOptions
	c        *Columns
	size     int64 // the file's size, 0 when unknown
	reported int64 // progress reported so far
	grown    bool
}

// progress reports that the file was read up to pos, and the first time
// makes room for the rest of the file at the packet size seen so far,
// instead of growing (and copying) every column many times.
func (f *fileColumns) progress(pos int64) {
	if !f.grown && pos > 0 && f.size > pos && f.c.Rows() > 0 {
		f.grown = true
		f.c.grow(int(float64(f.size-pos)/float64(pos)*float64(f.c.Rows())*1.05)+1024, f.opt.Count-f.c.Rows())
	}
	if pos > f.reported {
		if f.opt.Progress != nil {
			f.opt.Progress.Add(pos - f.reported)
		}
		f.reported = pos
	}
}

// result turns a read error into a *ReadError; other errors drop the rows.
func (f *fileColumns) result(err error) (*Columns, error) {
	var re *RangeError
	switch {
	case err == nil:
		return f.c, nil
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded), errors.As(err, &re):
		return nil, err
	}
	return f.c, &ReadError{Path: f.path, Packets: f.c.Rows(), Err: err}
}

// readLibpcap reads the rest of the file through libpcap.
func (f *fileColumns) readLibpcap(r *Reader) error {
	for {
		if err := f.ctx.Err(); err != nil {
			return err
		}
		want := 1 << 14 // packets between progress reports
		if f.opt.Count > 0 {
			if want = min(want, f.opt.Count-f.c.Rows()); want == 0 {
				return nil
			}
		}
		_, err := r.ReadColumns(f.c, want, 0)
		f.progress(r.offset())
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readPcap reads a classic pcap file (version 2.4, either byte order, µs or
// ns) in Go. It returns done when it read the whole file (or Count rows);
// otherwise off is where libpcap must take over (0: the whole file, e.g. a
// pcapng file). err is only ctx's.
func (f *fileColumns) readPcap(linkType, snaplen int, prog *BPFProgram) (off int64, done bool, err error) {
	file, err := os.Open(f.path)
	if err != nil || f.size == 0 {
		return 0, false, nil
	}
	defer file.Close()
	var hdr [24]byte
	if _, err := io.ReadFull(file, hdr[:]); err != nil {
		return 0, false, nil
	}
	var order binary.ByteOrder = binary.LittleEndian
	fracMax, fracMul := uint32(1_000_000), int64(1000)
	switch binary.LittleEndian.Uint32(hdr[:]) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		fracMax, fracMul = 1_000_000_000, 1
	case 0xd4c3b2a1:
		order = binary.BigEndian
	case 0x4d3cb2a1:
		order = binary.BigEndian
		fracMax, fracMul = 1_000_000_000, 1
	default:
		return 0, false, nil
	}
	if order.Uint16(hdr[4:]) != 2 || order.Uint16(hdr[6:]) != 4 {
		return 0, false, nil // older versions may swap caplen and len: libpcap knows
	}
	c := f.c
	// Records above maxCommonSnaplen go to libpcap: a file's snaplen (up to
	// 2 GiB) does not size the buffer.
	buf := make([]byte, max(4<<20, 2*(min(snaplen, maxCommonSnaplen)+16)))
	pos := int64(len(hdr)) // file offset of buf[start]
	start, end := 0, 0
	for {
		for end-start >= 16 {
			h := buf[start:end]
			sec, frac := order.Uint32(h), order.Uint32(h[4:])
			caplen, wire := order.Uint32(h[8:]), order.Uint32(h[12:])
			// libpcap refuses a caplen above its per-link-type maximum (262144
			// for most, more for a few) even under a larger snaplen: anything
			// above the common maximum goes to libpcap, which knows.
			if caplen > uint32(min(snaplen, maxCommonSnaplen)) || sec >= 1<<31 || frac >= fracMax {
				return pos, false, nil // libpcap's errors or its special cases
			}
			size := 16 + int(caplen)
			if len(h) < size {
				break
			}
			data := h[16:size]
			if prog == nil || prog.Matches(data, int(wire)) {
				ph := Pkthdr{Sec: int64(sec), Caplen: caplen, Len: wire}
				c.appendNs(ph, int64(frac)*fracMul, linkType, data)
			}
			start += size
			pos += int64(size)
			if f.opt.Count > 0 && c.Rows() >= f.opt.Count {
				f.progress(pos)
				return pos, true, nil
			}
		}
		if err := f.ctx.Err(); err != nil {
			return pos, false, err
		}
		f.progress(pos)
		end = copy(buf, buf[start:end])
		start = 0
		n, err := file.Read(buf[end:])
		end += n
		switch {
		case err == io.EOF && end == 0:
			return pos, true, nil
		case err != nil: // a record cut short, or a read error: libpcap says which
			return pos, false, nil
		}
	}
}

// maxCommonSnaplen is libpcap's MAXIMUM_SNAPLEN.
const maxCommonSnaplen = 262144

// grow reserves room for about n more rows (at most limit when limit > 0).
func (c *Columns) grow(n, limit int) {
	if limit > 0 {
		n = min(n, limit)
	}
	n = min(n, 1<<24)
	growSlice(&c.TS, n, c.skip&fldTS == 0)
	growSlice(&c.Caplen, n, c.skip&fldCaplen == 0)
	growSlice(&c.Len, n, c.skip&fldLen == 0)
	growSlice(&c.LinkType, n, c.skip&fldLinkType == 0)
	growSlice(&c.EthType, n, c.skip&fldEthType == 0)
	growSlice(&c.VLAN, n, c.skip&fldVLAN == 0)
	growSlice(&c.IPVersion, n, c.skip&fldIPVersion == 0)
	growSlice(&c.Src, n, c.skip&fldSrc == 0)
	growSlice(&c.Dst, n, c.skip&fldDst == 0)
	growSlice(&c.Proto, n, c.skip&fldProto == 0)
	growSlice(&c.Sport, n, c.skip&fldSport == 0)
	growSlice(&c.Dport, n, c.skip&fldDport == 0)
	growSlice(&c.TCPFlags, n, c.skip&fldTCPFlags == 0)
	growSlice(&c.PayloadLen, n, c.skip&fldPayloadLen == 0)
}

// growSlice makes room for n more elements in *s when kept.
func growSlice[T any](s *[]T, n int, kept bool) {
	if kept && cap(*s)-len(*s) < n {
		*s = slices.Grow(*s, n)
	}
}

// ReadFilesColumns reads capture files concurrently, one goroutine per file
// and at most GOMAXPROCS at a time, and returns each file's columns and
// error in the order of paths (see ReadFileColumns). When a file fails other
// than by damage, the files not yet read are not started.
func ReadFilesColumns(ctx context.Context, paths []string, opt ColumnOptions) ([]*Columns, []error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cols := make([]*Columns, len(paths))
	errs := make([]error, len(paths))
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			// A panic here would end the whole program (a Python kernel):
			// report it as this file's error instead.
			defer func() {
				if p := recover(); p != nil {
					cols[i], errs[i] = nil, fmt.Errorf("gopcapy: panic reading %s: %v", path, p)
					cancel()
				}
			}()
			cols[i], errs[i] = ReadFileColumns(ctx, path, opt)
			var re *ReadError
			if errs[i] != nil && !errors.As(errs[i], &re) {
				cancel()
			}
		}()
	}
	wg.Wait()
	return cols, errs
}
