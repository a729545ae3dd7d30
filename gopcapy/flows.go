package gopcapy

// Flows: packets aggregated by 5-tuple while they are read (pcapy.read_flows),
// the table NetFlow/IPFIX and NFStream users expect.
//
// Definitions (doc.go and pcapy.read_flows say the same to users):
//   - Only IP packets with a complete IP header belong to flows. The key is
//     (ip_version, src, dst, proto, sport, dport, vlan); ports are -1 for
//     protocols without them and for IP fragments other than the first.
//   - Bidirectional: both directions are one flow; its src is the endpoint
//     that sent the flow's first packet, "src2dst" counts its packets.
//   - A packet starts a new flow of its key when it comes idle or more after
//     the flow's last packet (idle timeout), or active or more after the
//     flow's first packet (active timeout); timeouts <= 0 are off.
//   - bytes are wire lengths (the link layer, as NFStream's default
//     accounting), payload bytes are Fields.PayloadLen (TCP/UDP payload).
//   - TCP flags are the OR of the flags bytes of the flow's TCP packets.
//
// Flows are kept in the order of their first packet. Time runs in file
// order: a packet whose timestamp is earlier than its flow's last packet
// (out-of-order captures) joins the flow without moving its last time back.

import (
	"encoding/binary"
	"net/netip"
)

// FlowOptions configure a FlowTable.
type FlowOptions struct {
	IdleTimeout   int64 // nanoseconds; <= 0: none
	ActiveTimeout int64 // nanoseconds; <= 0: none
	Bidirectional bool
}

// flowKey identifies a flow: endpoints a and b in canonical order for
// bidirectional tables (a <= b), src and dst for unidirectional ones.
type flowKey struct {
	a, b         [16]byte
	aPort, bPort int32
	proto        int16
	vlan         int16
	version      uint8
}

// Flow is one flow record. Direction 0 is from the endpoint that sent the
// first packet (Src) to the other (Dst), direction 1 the reverse.
type Flow struct {
	Src, Dst         int32 // codes into FlowTable.Addrs
	SrcPort, DstPort int32
	Proto            int16
	VLAN             int16
	IPVersion        uint8
	First, Last      int64 // nanoseconds since the epoch
	Packets          [2]uint64
	Bytes            [2]uint64
	Payload          [2]uint64
	TCPFlags         [2]uint8
	srcIsA           bool
}

// FlowTable aggregates packets into flows.
type FlowTable struct {
	opt   FlowOptions
	Flows []Flow
	Addrs []netip.Addr // the addresses of Flows, in order of first appearance

	open  map[flowKey]int32     // a key's current flow, an index in Flows
	addrs [2]map[[16]byte]int32 // IPv4 (IPv4-mapped) and IPv6 addresses' codes
}

// NewFlowTable makes an empty flow table.
func NewFlowTable(opt FlowOptions) *FlowTable {
	return &FlowTable{opt: opt, open: map[flowKey]int32{}, addrs: [2]map[[16]byte]int32{{}, {}}}
}

// Add is the table's PacketFunc: it decodes a packet and counts it in its flow.
func (t *FlowTable) Add(h Pkthdr, nsec int64, linkType int, data []byte) {
	f := DecodeFields(linkType, data, int(h.Len))
	if f.IPVersion == 0 {
		return
	}
	t.add(&f, h.Sec*1_000_000_000+nsec, uint64(h.Len))
}

func (t *FlowTable) add(f *Fields, ts int64, wireLen uint64) {
	k := flowKey{a: f.Src, b: f.Dst, aPort: f.Sport, bPort: f.Dport, proto: f.Proto, vlan: f.VLAN, version: f.IPVersion}
	fromA := true
	if t.opt.Bidirectional && endpointLess(&f.Dst, f.Dport, &f.Src, f.Sport) {
		k.a, k.b, k.aPort, k.bPort = f.Dst, f.Src, f.Dport, f.Sport
		fromA = false
	}
	i, ok := t.open[k]
	var fl *Flow
	if ok {
		fl = &t.Flows[i]
		if t.opt.IdleTimeout > 0 && ts-fl.Last >= t.opt.IdleTimeout ||
			t.opt.ActiveTimeout > 0 && ts-fl.First >= t.opt.ActiveTimeout {
			ok = false
		}
	}
	if !ok {
		i = int32(len(t.Flows))
		t.open[k] = i
		t.Flows = append(t.Flows, Flow{
			Src: t.addr(f.IPVersion, &f.Src), Dst: t.addr(f.IPVersion, &f.Dst), SrcPort: f.Sport, DstPort: f.Dport,
			Proto: f.Proto, VLAN: f.VLAN, IPVersion: f.IPVersion, First: ts, Last: ts, srcIsA: fromA,
		})
		fl = &t.Flows[i]
	}
	d := 0
	if fromA != fl.srcIsA {
		d = 1
	}
	fl.Last = max(fl.Last, ts)
	fl.Packets[d]++
	fl.Bytes[d] += wireLen
	fl.Payload[d] += uint64(max(f.PayloadLen, 0))
	if f.TCPFlags >= 0 {
		fl.TCPFlags[d] |= uint8(f.TCPFlags)
	}
}

// endpointLess orders endpoints by address, then port.
func endpointLess(a *[16]byte, aPort int32, b *[16]byte, bPort int32) bool {
	x, y := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])
	if x == y {
		x, y = binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:])
	}
	if x != y {
		return x < y
	}
	return aPort < bPort
}

// addr returns the code of an address in Addrs, adding it when new.
func (t *FlowTable) addr(version uint8, a *[16]byte) int32 {
	m := t.addrs[version/6] // 4 -> 0, 6 -> 1
	i, ok := m[*a]
	if !ok {
		i = int32(len(t.Addrs))
		m[*a] = i
		if version == 4 {
			t.Addrs = append(t.Addrs, netip.AddrFrom4([4]byte(a[12:])))
		} else {
			t.Addrs = append(t.Addrs, netip.AddrFrom16(*a))
		}
	}
	return i
}

// AddColumns counts the rows of columns that keep ts, len, vlan,
// ip_version, src, dst, proto, sport, dport, tcp_flags and payload_len
// (FlowColumns): flows of packets decoded elsewhere (a live Reader's).
func (t *FlowTable) AddColumns(c *Columns) {
	for i := 0; i < c.Rows(); i++ {
		if c.IPVersion[i] == 0 {
			continue
		}
		f := Fields{VLAN: c.VLAN[i], IPVersion: c.IPVersion[i], Proto: c.Proto[i], Sport: c.Sport[i],
			Dport: c.Dport[i], TCPFlags: c.TCPFlags[i], PayloadLen: c.PayloadLen[i],
			Src: c.Addrs[c.Src[i]].As16(), Dst: c.Addrs[c.Dst[i]].As16()}
		t.add(&f, c.TS[i], uint64(c.Len[i]))
	}
}

// FlowColumns are the columns AddColumns needs.
var FlowColumns = []string{"ts", "len", "vlan", "ip_version", "src", "dst", "proto", "sport", "dport", "tcp_flags", "payload_len"}
