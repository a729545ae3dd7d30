package gopcapy

// The packet decoder behind the columns: a packet's link, network and
// transport headers read into Fields (columns.go stores them as rows).
//
// The decoder is hand-written rather than gopacket's DecodingLayerParser:
// it reads only the dozen fields it needs, allocates nothing and does not
// build layer objects. BenchmarkDecode (decode_test.go) measures both on the
// same packets; TestDecodeAgreesWithGopacket checks they agree.

import (
	"encoding/binary"
	"math/bits"
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
