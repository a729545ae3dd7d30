package gopcapy

// The classic pcap file format (version 2.4), read in Go: the file header
// and the record header. One owner for what every Go reader of pcap files
// (fileCursor for whole files and streams, rangeReader for byte ranges)
// needs to know of the format.

import "encoding/binary"

// nativeBigEndian is the machine's byte order: a file in the other order
// has its fields swapped (libpcap then rewrites some link types' headers).
var nativeBigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// maxSnaplen is libpcap's MAXIMUM_SNAPLEN: the largest capture length it
// reads for most link types, and the snapshot length of a file that says 0
// or more.
const maxSnaplen = 262144

// pcapFormat is what a file header says about the records after it.
type pcapFormat struct {
	order   binary.ByteOrder
	big     bool   // order is big-endian (record reads without the interface's indirect calls)
	fracMax uint32 // a record's fraction is below this (1e6 for µs, 1e9 for ns)
	fracMul int64  // nanoseconds per unit of the fraction
}

// parsePcapHeader reads a classic pcap file header (24 bytes). ok is false
// for anything else (pcapng, unknown magic); version24 false for versions
// other than 2.4, whose records may swap caplen and len (libpcap knows).
func parsePcapHeader(hdr []byte) (f pcapFormat, snaplen uint32, linkType int, version24, ok bool) {
	if len(hdr) < 24 {
		return f, 0, 0, false, false
	}
	f = pcapFormat{order: binary.LittleEndian, fracMax: 1_000_000, fracMul: 1000}
	switch binary.LittleEndian.Uint32(hdr) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		f.fracMax, f.fracMul = 1_000_000_000, 1
	case 0xd4c3b2a1:
		f.order, f.big = binary.BigEndian, true
	case 0x4d3cb2a1:
		f.order, f.big, f.fracMax, f.fracMul = binary.BigEndian, true, 1_000_000_000, 1
	default:
		return f, 0, 0, false, false
	}
	version24 = f.order.Uint16(hdr[4:]) == 2 && f.order.Uint16(hdr[6:]) == 4
	return f, f.order.Uint32(hdr[16:]), int(f.order.Uint32(hdr[20:]) & 0xffff), version24, true
}

// record decodes a 16-byte record header.
func (f *pcapFormat) record(h []byte) (sec, frac, caplen, wire uint32) {
	_ = h[15]
	if f.big {
		be := binary.BigEndian
		return be.Uint32(h), be.Uint32(h[4:]), be.Uint32(h[8:]), be.Uint32(h[12:])
	}
	le := binary.LittleEndian
	return le.Uint32(h), le.Uint32(h[4:]), le.Uint32(h[8:]), le.Uint32(h[12:])
}

// u32 reads a 32-bit field in the file's byte order, without the
// interface's indirect call (pcapng's packet blocks, per block).
func (f *pcapFormat) u32(b []byte) uint32 {
	if f.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// adjustSnaplen is libpcap's reading of a header's snapshot length.
func adjustSnaplen(s uint32) int {
	if s == 0 || s > maxSnaplen {
		return maxSnaplen
	}
	return int(s)
}

// dltOfLinkType maps a file's LINKTYPE_* to the DLT_* libpcap reports on
// Linux: they differ only for these few (libpcap's linktype_to_dlt).
func dltOfLinkType(lt int) int {
	switch lt {
	case 100:
		return 11 // ATM_RFC1483
	case 101:
		return 12 // RAW
	case 102:
		return 15 // SLIP_BSDOS
	case 103:
		return 16 // PPP_BSDOS
	case 106:
		return 19 // ATM_CLIP
	}
	return lt
}
