package gopcapy

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/google/gopacket/layers"
)

// The reference for SetFilter in the middle of a file is libpcap read one
// packet at a time (pcapy): after SetFilter, a reader delivers exactly the
// packets after the last one it handed out that match the new filter, however
// far it had read ahead and whatever an earlier filter dropped meanwhile.

// midState follows a reader through a scenario: the last packet handed out.
type midState struct {
	t    *testing.T
	r    *Reader
	last int64 // record index (= seconds) of the last packet handed out
	b    Batch
}

func (s *midState) next() {
	s.t.Helper()
	h, _, err := s.r.Next()
	if err != nil {
		s.t.Fatalf("Next: %v", err)
	}
	s.last = h.Sec
}

// readBatch reads a batch and hands out all but keep of its packets.
func (s *midState) readBatch(maxN, keep int) {
	s.t.Helper()
	n, err := s.r.ReadBatch(&s.b, maxN, 0)
	if err != nil || n <= keep {
		s.t.Fatalf("ReadBatch(%d) = %d, %v; want more than %d packets", maxN, n, err, keep)
	}
	h, _ := s.b.Packet(n - keep - 1)
	s.last = h.Sec
}

func (s *midState) setFilter(expr string) {
	s.t.Helper()
	if err := s.r.SetFilter(expr); err != nil {
		s.t.Fatal(err)
	}
}

func (s *midState) setFilterKeep(expr string, unconsumed int) {
	s.t.Helper()
	if err := s.r.SetFilterKeep(expr, &s.b, unconsumed); err != nil {
		s.t.Fatal(err)
	}
}

// nextUntilPending hands out packets with Next until everything Next read
// ahead is gone but a packet that did not fit its buffer is still kept aside
// (white box: this is the state where a packet is most easily lost).
func (s *midState) nextUntilPending() {
	s.t.Helper()
	s.next()
	for s.r.pos < s.r.batch.n {
		s.next()
	}
	if pendingCaplen(s.r.pend) == 0 {
		s.t.Skip("setup did not leave a packet aside; buffer sizes changed?")
	}
}

// bigRecs are 40 Ethernet packets of 60000 bytes alternating ICMP (even) and
// UDP (odd): too big for one read buffer, so a packet is kept aside.
func bigRecs() []rec {
	recs := make([]rec, 40)
	for i := range recs {
		proto := byte(protoICMP)
		if i%2 == 1 {
			proto = protoUDP
		}
		recs[i] = rec{sec: int64(i), data: eth(ipv4(proto, 60000))}
	}
	return recs
}

// smallRecs are mixed(100) with seconds equal to their index.
func smallRecs() []rec {
	recs := mixed(100)
	for i := range recs {
		recs[i].sec = int64(i)
	}
	return recs
}

func TestSetFilterInTheMiddleActsLikeReadingOnePacketAtATime(t *testing.T) {
	tests := []struct {
		name string
		recs func() []rec
		run  func(s *midState) string // returns the filter in force at the end
		bug  string                   // the bug this case caught (fixed), for the reader
	}{
		{name: "first filter after Next", recs: smallRecs, run: func(s *midState) string {
			s.next()
			s.setFilter("udp")
			return "udp"
		}},
		{name: "other filter after Next", recs: smallRecs, run: func(s *midState) string {
			s.setFilter("icmp")
			s.next()
			s.setFilter("udp")
			return "udp"
		}},
		{name: "widened filter after Next", recs: smallRecs, run: func(s *midState) string {
			s.setFilter("icmp")
			s.next()
			s.next()
			s.setFilter("ip")
			return "ip"
		}},
		{name: "other filter after ReadBatch, 4 packets unconsumed", recs: smallRecs, run: func(s *midState) string {
			s.setFilter("icmp")
			s.readBatch(10, 4)
			s.setFilterKeep("udp", 4)
			return "udp"
		}},
		{name: "other filter after ReadBatch, all consumed", recs: smallRecs, run: func(s *midState) string {
			s.setFilter("icmp")
			s.readBatch(10, 0)
			s.setFilterKeep("udp", 0)
			return "udp"
		}},
		{name: "other filter after the last match, when the old filter dropped the file's tail", recs: smallRecs, run: func(s *midState) string {
			s.setFilter("icmp")
			for s.last < 98 { // 98 is the last ICMP packet; 99 (UDP) was dropped at EOF
				s.next()
			}
			s.setFilter("udp")
			return "udp"
		}, bug: "rewind returns true when nothing is held, so the end of file reached while the old filter dropped packets sticks"},
		{name: "two filters in a row after Next", recs: smallRecs, run: func(s *midState) string {
			s.next()
			s.setFilter("icmp")
			s.setFilter("udp")
			return "udp"
		}, bug: "the first mid-stream SetFilter keeps no file offsets, so the second cannot rewind and the packets the first dropped are lost"},

		// Big packets: one packet is kept aside (gp_pending), already past the old filter.
		{name: "big: first filter after Next, udp", recs: bigRecs, run: func(s *midState) string {
			s.next()
			s.setFilter("udp")
			return "udp"
		}},
		{name: "big: first filter after Next, icmp", recs: bigRecs, run: func(s *midState) string {
			s.next()
			s.setFilter("icmp")
			return "icmp"
		}, bug: "the packet kept aside in gp_pending is never checked against the new filter"},
		{name: "big: other filter when only the kept-aside packet is left", recs: bigRecs, run: func(s *midState) string {
			s.setFilter("icmp")
			s.nextUntilPending()
			s.setFilter("udp")
			return "udp"
		}, bug: "rewind returns true when nothing is held, without seeking back or clearing gp_pending"},
		{name: "big: other filter after ReadBatch, all consumed", recs: bigRecs, run: func(s *midState) string {
			s.setFilter("icmp")
			s.readBatch(256, 0)
			s.setFilterKeep("udp", 0)
			return "udp"
		}, bug: "rewind returns true when nothing is held, without seeking back or clearing gp_pending"},
		{name: "big: other filter after a ReadBatch that began with the kept-aside packet", recs: bigRecs, run: func(s *midState) string {
			s.setFilter("ip")
			s.readBatch(256, 0)
			if n, err := s.r.ReadBatch(&s.b, 256, 0); n == 0 || err != nil {
				s.t.Fatalf("second ReadBatch = %d, %v", n, err)
			}
			s.setFilterKeep("udp", s.b.Len()) // nothing of the second batch consumed
			return "udp"
		}, bug: "a batch that begins with the kept-aside packet records its start after that packet, so a rewind skips it"},
	}
	dir := t.TempDir()
	files := map[string]string{
		"small": writePcap(t, filepath.Join(dir, "small.pcap"), layers.LinkTypeEthernet, 65535, false, smallRecs()),
		"big":   writePcap(t, filepath.Join(dir, "big.pcap"), layers.LinkTypeEthernet, 65535, false, bigRecs()),
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := tt.recs()
			path := files["small"]
			if len(recs) == len(bigRecs()) {
				path = files["big"]
			}
			s := &midState{t: t, r: open(t, path, Micro), last: -1}
			expr := tt.run(s)

			prog, err := Compile(dltEthernet, 65535, expr, true, 0)
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for _, rc := range recs[s.last+1:] {
				if prog.Matches(rc.data, rc.wireLen()) {
					want = append(want, rc.sec)
				}
			}
			var got []int64
			for {
				h, _, err := s.r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, h.Sec)
			}
			if !equalInts(got, want) {
				t.Errorf("after the last packet handed out (%d), %q gave\n%v\nwant\n%v", s.last, expr, got, want)
			}
		})
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSetFilterAfterTheEndDoesNotReopenTheFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		last error
	}{
		{"after io.EOF", writePcap(t, filepath.Join(dir, "a.pcap"), layers.LinkTypeEthernet, 65535, false, smallRecs()), io.EOF},
		{"after a read error", filepath.Join("testdata", "truncated.pcap"), &Error{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := open(t, tt.path, Micro)
			if err := r.SetFilter("ip"); err != nil {
				t.Fatal(err)
			}
			_, err := readAllNext(t, r)
			if tt.last == io.EOF {
				wantEOF(t, err)
			} else {
				wantPcapError(t, err, "truncated dump file")
			}
			for _, expr := range []string{"icmp", "ip"} {
				if err := r.SetFilter(expr); err != nil {
					t.Fatal(err)
				}
				if h, _, err := r.Next(); err != io.EOF {
					t.Fatalf("Next after SetFilter(%q) at the end = %+v, %v; want io.EOF", expr, h, err)
				}
			}
		})
	}
}
