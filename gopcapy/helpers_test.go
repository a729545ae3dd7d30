package gopcapy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Link types as libpcap reports them (DLT_*), which is what LinkType returns.
const (
	dltEthernet = 1
	dltRaw      = 12 // LINKTYPE_RAW (101) in a file reads back as DLT_RAW
	dltSLL      = 113
)

// rec is one packet of a generated capture. wire 0 means len(data).
type rec struct {
	sec  int64
	nsec int
	data []byte
	wire int
}

func (r rec) wireLen() int {
	if r.wire == 0 {
		return len(r.data)
	}
	return r.wire
}

func (r rec) ci() gopacket.CaptureInfo {
	return gopacket.CaptureInfo{
		Timestamp:     time.Unix(r.sec, int64(r.nsec)),
		CaptureLength: len(r.data),
		Length:        r.wireLen(),
	}
}

// IP protocol numbers used by the frame builders.
const (
	protoICMP = 1
	protoUDP  = 17
)

// ipv4 returns a minimal IPv4 packet (no options, checksums left zero: BPF
// does not look at them) carrying payload bytes of the given protocol.
func ipv4(proto byte, payload int) []byte {
	p := make([]byte, 20+payload)
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:], uint16(min(len(p), 0xffff)))
	p[8] = 64
	p[9] = proto
	copy(p[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	for i := 20; i < len(p); i++ {
		p[i] = byte(i)
	}
	switch {
	case proto == protoICMP && payload >= 8:
		p[20], p[21], p[22], p[23] = 8, 0, 0, 0 // echo request
	case proto == protoUDP && payload >= 8:
		binary.BigEndian.PutUint32(p[20:], 1024<<16|9) // port 1024 to 9 (discard)
		binary.BigEndian.PutUint16(p[24:], uint16(min(payload, 0xffff)))
	}
	return p
}

// eth wraps an IPv4 packet in an Ethernet header.
func eth(ip []byte) []byte {
	f := make([]byte, 14, 14+len(ip))
	copy(f, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00})
	return append(f, ip...)
}

// sll wraps an IPv4 packet in a Linux cooked (SLL) header.
func sll(ip []byte) []byte {
	f := make([]byte, 16, 16+len(ip))
	binary.BigEndian.PutUint16(f[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(f[4:], 6)
	binary.BigEndian.PutUint16(f[14:], 0x0800)
	return append(f, ip...)
}

func icmpFrame() []byte { return eth(ipv4(protoICMP, 64)) }
func udpFrame() []byte  { return eth(ipv4(protoUDP, 64)) }

// mixed returns n Ethernet records alternating ICMP (even i) and UDP (odd i),
// one second and i microseconds apart.
func mixed(n int) []rec {
	recs := make([]rec, n)
	for i := range recs {
		data := icmpFrame()
		if i%2 == 1 {
			data = udpFrame()
		}
		recs[i] = rec{sec: 1700000000 + int64(i), nsec: 1000*i + 7, data: data}
	}
	return recs
}

// isProto reports whether an Ethernet frame carries IPv4 of the protocol.
func isProto(frame []byte, proto byte) bool {
	return len(frame) > 23 && frame[12] == 0x08 && frame[13] == 0 && frame[23] == proto
}

// writePcap writes recs with pcapgo: microsecond or nanosecond pcap.
func writePcap(t testing.TB, path string, lt layers.LinkType, snaplen uint32, nanos bool, recs []rec) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if nanos {
		w = pcapgo.NewWriterNanos(f)
	}
	if err := w.WriteFileHeader(snaplen, lt); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.WritePacket(r.ci(), r.data); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// writePcapng writes recs as a pcapng file with one interface.
func writePcapng(t testing.TB, path string, lt layers.LinkType, recs []rec) string {
	t.Helper()
	return writeFile(t, path, pcapngBytes(t, lt, recs))
}

// pcapngBytes is a pcapng file of recs with one interface, written by pcapgo.
func pcapngBytes(t testing.TB, lt layers.LinkType, recs []rec) []byte {
	t.Helper()
	var ng bytes.Buffer
	w, err := pcapgo.NewNgWriter(&ng, lt)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.WritePacket(r.ci(), r.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return ng.Bytes()
}

// pcapBytes builds a pcap file by hand, in either byte order, so tests can
// make what pcapgo refuses to: big-endian headers, damaged records, records
// whose caplen says more than the data holds. Frac is taken from nsec
// (divided by 1000 unless nanos).
func pcapBytes(order binary.AppendByteOrder, nanos bool, snaplen, linkType uint32, recs []rec) []byte {
	magic := uint32(0xa1b2c3d4)
	if nanos {
		magic = 0xa1b23c4d
	}
	b := order.AppendUint32(nil, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0) // thiszone
	b = order.AppendUint32(b, 0) // sigfigs
	b = order.AppendUint32(b, snaplen)
	b = order.AppendUint32(b, linkType)
	for _, r := range recs {
		frac := uint32(r.nsec)
		if !nanos {
			frac /= 1000
		}
		b = order.AppendUint32(b, uint32(r.sec))
		b = order.AppendUint32(b, frac)
		b = order.AppendUint32(b, uint32(len(r.data)))
		b = order.AppendUint32(b, uint32(r.wireLen()))
		b = append(b, r.data...)
	}
	return b
}

// recordHeader builds one pcap record header, for records that lie.
func recordHeader(order binary.AppendByteOrder, sec, frac, caplen, wire uint32) []byte {
	b := order.AppendUint32(nil, sec)
	b = order.AppendUint32(b, frac)
	b = order.AppendUint32(b, caplen)
	return order.AppendUint32(b, wire)
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func open(t testing.TB, path string, prec Precision) *Reader {
	t.Helper()
	r, err := OpenOfflinePrecision(path, prec)
	if err != nil {
		t.Fatalf("OpenOfflinePrecision(%s): %v", path, err)
	}
	t.Cleanup(r.Close)
	return r
}

// packet is what a reader handed out: header plus a private copy of data.
type packet struct {
	h    Pkthdr
	data []byte
}

// readAllNext reads with Next until an error and returns packets and error.
func readAllNext(t testing.TB, r *Reader) ([]packet, error) {
	t.Helper()
	var out []packet
	for i := 0; ; i++ {
		if i > 1e6 {
			t.Fatal("Next never ended")
		}
		h, data, err := r.Next()
		if err != nil {
			return out, err
		}
		out = append(out, packet{h, data})
	}
}

// expectedHeader is the header a reader with prec should give for r.
func expectedHeader(r rec, prec Precision) Pkthdr {
	frac := uint32(r.nsec)
	if prec == Micro {
		frac /= 1000
	}
	return Pkthdr{Sec: r.sec, Frac: frac, Caplen: uint32(len(r.data)), Len: uint32(r.wireLen())}
}

// sharedPings returns /work/shared/data/96pings.pcap (found relative to the
// package directory) or skips the test when it is absent.
func sharedPings(t testing.TB) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "data", "96pings.pcap")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared capture not available: %v", err)
	}
	return p
}

// wantPcapError checks that err is a *Error whose message starts with prefix.
func wantPcapError(t testing.TB, err error, prefix string) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T), want *Error starting with %q", err, err, prefix)
	}
	if !strings.HasPrefix(pe.Msg, prefix) {
		t.Fatalf("error message = %q, want prefix %q", pe.Msg, prefix)
	}
}

func wantEOF(t testing.TB, err error) {
	t.Helper()
	if err != io.EOF {
		t.Fatalf("error = %v, want io.EOF", err)
	}
}
