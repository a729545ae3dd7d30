package gopcapy

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/gopacket/layers"
)

// l4Frame is an Ethernet/IPv4 frame from src to dst carrying a TCP (proto 6)
// or UDP (17) header with the given ports, TCP flags and payload bytes.
func l4Frame(src, dst [4]byte, proto byte, sport, dport uint16, flags byte, payload int) []byte {
	hl := 8
	if proto == 6 {
		hl = 20
	}
	ip := make([]byte, 20+hl+payload)
	ip[0], ip[9] = 0x45, proto
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	binary.BigEndian.PutUint16(ip[20:], sport)
	binary.BigEndian.PutUint16(ip[22:], dport)
	if proto == 6 {
		ip[32], ip[33] = 5<<4, flags
	}
	return eth(ip)
}

// vlan inserts 802.1Q/802.1ad tags (TPIDs) after a frame's MAC addresses.
func vlan(frame []byte, tpids ...uint16) []byte {
	out := append([]byte(nil), frame[:12]...)
	for _, tpid := range tpids {
		out = binary.BigEndian.AppendUint16(out, tpid)
		out = binary.BigEndian.AppendUint16(out, 7) // the VLAN id
	}
	return append(out, frame[12:]...)
}

var (
	hostA   = [4]byte{10, 0, 0, 1}
	hostB   = [4]byte{10, 0, 0, 2}
	watched = [4]byte{192, 0, 2, 9}
)

func mustClassifier(t *testing.T, cfg ClassifierConfig) *Classifier {
	t.Helper()
	c, err := NewClassifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGenericClassesAndPrecedence(t *testing.T) {
	cfg := DefaultClassifierConfig()
	cfg.AddrSet = append(watched[:], 0, 0, 0, 0, 1) // 0.0.0.0 never matches; a partial entry is ignored
	cfg.FlowCutoff = 2
	c := mustClassifier(t, cfg)
	udp := l4Frame(hostA, hostB, 17, 1000, 2000, 0, 4)
	tests := []struct {
		name string
		pkt  []byte
		want int
	}{
		{"first packet of a flow", udp, ClassFlowHead},
		{"second packet", udp, ClassFlowHead},
		{"third packet: past the cutoff", udp, ClassOther},
		{"the other direction is another flow", l4Frame(hostB, hostA, 17, 2000, 1000, 0, 4), ClassFlowHead},
		{"a watched address wins over a new flow", l4Frame(hostA, watched, 6, 1, 2, 0x18, 0), ClassSetMatch},
		{"ICMP to a watched host", eth(append(ipv4(protoICMP, 8)[:12], append(hostA[:], watched[:]...)...)), ClassSetMatch},
		{"ICMP elsewhere", icmpFrame(), ClassOther},
		{"behind two VLAN tags", vlan(l4Frame(hostA, hostB, 6, 5, 6, 0x02, 0), 0x88a8, 0x8100), ClassFlowHead},
		{"behind three tags: not found", vlan(l4Frame(hostA, watched, 6, 5, 6, 0x02, 0), 0x8100, 0x8100, 0x8100), ClassOther},
		{"ports not captured", l4Frame(hostA, hostB, 17, 7, 8, 0, 0)[:36], ClassOther},
		{"IPv4 header not captured", l4Frame(hostA, watched, 17, 7, 8, 0, 0)[:33], ClassOther},
		{"not IP", append(make([]byte, 12), 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13), ClassOther},
	}
	for _, tt := range tests {
		if got := c.Classify(tt.pkt); got != tt.want {
			t.Errorf("%s: class %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestSecurityProfileClasses(t *testing.T) {
	cfg := DefaultClassifierConfig()
	cfg.Profile, cfg.FlowCutoff, cfg.AddrSet = ProfileSecurity, 1, watched[:]
	c := mustClassifier(t, cfg)
	tests := []struct {
		name string
		pkt  []byte
		want int
	}{
		{"DNS over UDP", l4Frame(hostA, hostB, 17, 5353, 53, 0, 10), ClassDNS},
		{"DNS over TCP to a watched host stays DNS", l4Frame(hostA, watched, 6, 53, 999, 0x18, 10), ClassDNS},
		{"a bare SYN", l4Frame(hostA, hostB, 6, 999, 80, 0x02, 0), ClassSYN},
		{"HTTP payload", l4Frame(hostA, hostB, 6, 999, 8080, 0x10, 5), ClassHTTP},
		{"a bare ACK on port 80 is noise", l4Frame(hostA, hostB, 6, 999, 80, 0x10, 0), ClassNoise},
		{"first TLS packet: handshake", l4Frame(hostA, hostB, 6, 999, 443, 0x18, 5), ClassHandshake},
		{"second TLS packet: noise", l4Frame(hostA, hostB, 6, 999, 443, 0x18, 5), ClassNoise},
		{"QUIC initial", l4Frame(hostA, hostB, 17, 999, 443, 0, 5), ClassHandshake},
		{"noise to a watched host", l4Frame(hostA, watched, 17, 1, 2, 0, 5), ClassAddr},
		{"ICMP from a watched host", eth(append(ipv4(protoICMP, 8)[:12], append(watched[:], hostA[:]...)...)), ClassAddr},
		{"not IPv4", sll(ipv4(protoUDP, 8)), ClassNoise},
	}
	for _, tt := range tests {
		if got := c.Classify(tt.pkt); got != tt.want {
			t.Errorf("%s: class %d, want %d", tt.name, got, tt.want)
		}
	}
	if c.ClassID(ClassSYN) != 105 || c.NumClasses() != 6 {
		t.Errorf("ClassID(SYN) %d, NumClasses %d", c.ClassID(ClassSYN), c.NumClasses())
	}
}

func TestClassifierConfigErrors(t *testing.T) {
	for _, cfg := range []ClassifierConfig{{L2Offset: -1}, {L2Offset: 65}} {
		if _, err := NewClassifier(cfg); !errors.Is(err, ErrL2Offset) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	if _, err := NewClassifier(ClassifierConfig{Profile: 2}); !errors.Is(err, ErrProfile) {
		t.Errorf("profile 2: %v", err)
	}
}

func TestAddressSetOfAWholeSlash16(t *testing.T) {
	set := make([]byte, 0, 4<<16)
	for i := 0; i < 1<<16; i++ {
		set = append(set, 172, 16, byte(i>>8), byte(i))
	}
	s := newIPSet(set)
	for i := 0; i < 1<<16; i += 97 {
		if !s.has(binary.NativeEndian.Uint32([]byte{172, 16, byte(i >> 8), byte(i)})) {
			t.Fatalf("172.16.%d.%d missing", i>>8, i&255)
		}
	}
	if s.has(binary.NativeEndian.Uint32([]byte{172, 17, 0, 1})) || s.has(0) {
		t.Fatal("an address outside the set matches")
	}
}

func TestFlowTableEvictionRestartsTheCount(t *testing.T) {
	f := newFlowTable(1) // two slots: keys 0 and 2 share slot 0
	if f.seen(2) != 0 || f.seen(2) != 1 || f.seen(4) != 0 || f.seen(2) != 0 {
		t.Fatal("a key that lost its slot must start again from zero")
	}
}

func TestLoopFilteredCountsEveryPacketAndCallsBackForTheAdmitted(t *testing.T) {
	var recs []rec
	for i := 0; i < 10; i++ {
		recs = append(recs, rec{sec: 1, data: l4Frame(hostA, hostB, 17, uint16(1000+i%3), 53, 0, 4)})
	}
	recs = append(recs, rec{sec: 2, data: l4Frame(hostA, watched, 6, 1, 2, 0x10, 0)})
	r := open(t, writePcap(t, filepath.Join(t.TempDir(), "f.pcap"), layers.LinkTypeEthernet, 65535, false, recs), Micro)
	cfg := DefaultClassifierConfig()
	cfg.AdmitMask, cfg.AddrSet, cfg.FlowCutoff = 1<<ClassFlowHead|1<<ClassSetMatch, watched[:], 1
	var got []int
	counts, err := r.LoopFiltered(-1, mustClassifier(t, cfg), func(_ Pkthdr, _ []byte, class int) {
		got = append(got, class)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := FilterCounts{Admitted: 4, Dropped: 7, Classes: [MaxClasses]uint64{7, 3, 1}}
	if counts != want || len(got) != 4 || got[3] != ClassSetMatch {
		t.Fatalf("counts %+v, classes %v", counts, got)
	}
}

func TestUnreadHandsPacketsBack(t *testing.T) {
	r := open(t, writePcap(t, filepath.Join(t.TempDir(), "f.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(6)), Micro)
	var b Batch
	if n, err := r.ReadBatch(&b, 4, 0); n != 4 || err != nil {
		t.Fatal(n, err)
	}
	if err := r.Unread(&b, 1, 3); err != nil { // packets 1 and 2 again, then 4 and 5
		t.Fatal(err)
	}
	for _, wantSec := range []int64{1700000001, 1700000002, 1700000004, 1700000005} {
		h, _, err := r.Next()
		if err != nil || h.Sec != wantSec {
			t.Fatalf("got %d %v, want %d", h.Sec, err, wantSec)
		}
	}
}
