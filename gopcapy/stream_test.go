package gopcapy

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/gopacket/layers"
)

// streamAll reads a Stream to its end in chunks of n rows.
func streamAll(t testing.TB, s *Stream, n int) (*Columns, []int, error) {
	all := &Columns{}
	var sizes []int
	for {
		k, err := s.ReadColumns(all, n)
		sizes = append(sizes, k)
		if err == io.EOF {
			return all, sizes, nil
		}
		if err != nil {
			return all, sizes, err
		}
	}
}

func addrsOf(c *Columns, codes []int32) []string {
	out := make([]string, len(codes))
	for i, code := range codes {
		if code >= 0 {
			out[i] = c.Addrs[code].String()
		}
	}
	return out
}

func TestStreamMatchesReadFileColumns(t *testing.T) {
	dir := t.TempDir()
	path := writePcap(t, filepath.Join(dir, "mix.pcap"), layers.LinkTypeEthernet, 65535, true, colRecs(colMixed(t, 5000, 3)))
	for _, filter := range []string{"", "udp"} {
		want, err := ReadFileColumns(context.Background(), path, ColumnOptions{Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		got, sizes, err := streamAll(t, NewStream([]string{path, path}, filter, 0), 777)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rows() != 2*want.Rows() || !slices.Equal(got.TS, append(slices.Clone(want.TS), want.TS...)) ||
			!slices.Equal(addrsOf(got, got.Dst), append(addrsOf(want, want.Dst), addrsOf(want, want.Dst)...)) {
			t.Fatalf("filter %q: %d rows, want %d", filter, got.Rows(), 2*want.Rows())
		}
		for _, k := range sizes[:len(sizes)-1] {
			if k != 777 {
				t.Fatalf("chunk sizes %v", sizes)
			}
		}
	}
	// count spans files
	got, _, err := streamAll(t, NewStream([]string{path, path}, "", 5003), 1000)
	if err != nil || got.Rows() != 5003 {
		t.Fatalf("count: %d rows, %v", got.Rows(), err)
	}
}

func TestStreamHandsDamageToLibpcap(t *testing.T) {
	dir := t.TempDir()
	path := writePcap(t, filepath.Join(dir, "mix.pcap"), layers.LinkTypeEthernet, 65535, true, colRecs(colMixed(t, 300, 4)))
	st, _ := os.Stat(path)
	if err := os.Truncate(path, st.Size()-5); err != nil {
		t.Fatal(err)
	}
	want, werr := ReadFileColumns(context.Background(), path, ColumnOptions{})
	s := NewStream([]string{path, path}, "", 0)
	c := &Columns{}
	_, err := s.ReadColumns(c, 1000)
	var re, wre *ReadError
	if !errors.As(err, &re) || !errors.As(werr, &wre) || re.Error() != wre.Error() || c.Rows() != want.Rows() {
		t.Fatalf("got %d rows, %v; want %d, %v", c.Rows(), err, want.Rows(), werr)
	}
	// The next file (the same damaged one) follows.
	if _, err := s.ReadColumns(c, 1000); !errors.As(err, &re) || c.Rows() != 2*want.Rows() {
		t.Fatalf("after the damage: %d rows, %v", c.Rows(), err)
	}
	if _, err := NewStream([]string{filepath.Join(dir, "missing.pcap")}, "", 0).ReadColumns(c, 1); err == nil {
		t.Fatal("a missing file read")
	}
}

func TestFlowTable(t *testing.T) {
	a, b := colAddr("10.0.0.1"), colAddr("10.0.0.2")
	pkt := func(src, dst [16]byte, sport, dport int32, flags int16) *Fields {
		return &Fields{IPVersion: 4, Src: src, Dst: dst, Proto: 6, Sport: sport, Dport: dport, TCPFlags: flags, PayloadLen: 10, VLAN: -1}
	}
	tab := NewFlowTable(FlowOptions{IdleTimeout: 100, ActiveTimeout: 1000, Bidirectional: true})
	tab.add(pkt(b, a, 80, 5000, 0x12), 0, 60)   // b starts the flow
	tab.add(pkt(a, b, 5000, 80, 0x10), 50, 70)  // the reply
	tab.add(pkt(a, b, 5000, 80, 0x01), 149, 80) // within idle
	tab.add(pkt(b, a, 80, 5000, 0x10), 249, 90) // idle 100 reached: a new flow, started by b
	for ts := int64(300); ts <= 1300; ts += 50 {
		tab.add(pkt(a, b, 5000, 80, 0x10), ts, 1)
	}
	f := tab.Flows
	if len(f) != 3 || tab.Addrs[f[0].Src].String() != "10.0.0.2" || f[0].SrcPort != 80 ||
		f[0].Packets != [2]uint64{1, 2} || f[0].Bytes != [2]uint64{60, 150} || f[0].TCPFlags != [2]uint8{0x12, 0x11} ||
		f[0].Last != 149 || f[1].First != 249 || f[1].Packets != [2]uint64{1, 19} || f[2].First != 1250 {
		t.Fatalf("flows %+v", f)
	}
	one := NewFlowTable(FlowOptions{})
	one.add(pkt(b, a, 80, 5000, 0x12), 0, 60)
	one.add(pkt(a, b, 5000, 80, 0x10), 1e12, 60)
	if len(one.Flows) != 2 || one.Flows[1].Packets != [2]uint64{1, 0} {
		t.Fatalf("unidirectional %+v", one.Flows)
	}
}

// BenchmarkStream reads 100k mixed packets: into nothing (the reading
// alone), into columns in chunks, and into flows.
func BenchmarkStream(b *testing.B) {
	path := writePcap(b, filepath.Join(b.TempDir(), "mix.pcap"), layers.LinkTypeEthernet, 65535, true, colRecs(colMixed(b, 100000, 10)))
	run := func(b *testing.B, read func(s *Stream) (int, error)) {
		for i := 0; i < b.N; i++ {
			s := NewStream([]string{path}, "", 0)
			if n, err := read(s); err != nil || n != 100000 {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/pkt")
	}
	b.Run("read", func(b *testing.B) {
		run(b, func(s *Stream) (int, error) {
			n, err := s.Read(1<<30, func(Pkthdr, int64, int, []byte) {})
			return n, ignoreEOF(err)
		})
	})
	b.Run("decode", func(b *testing.B) {
		run(b, func(s *Stream) (int, error) {
			n, err := s.Read(1<<30, func(h Pkthdr, _ int64, lt int, d []byte) { DecodeFields(lt, d, int(h.Len)) })
			return n, ignoreEOF(err)
		})
	})
	b.Run("columns", func(b *testing.B) {
		run(b, func(s *Stream) (int, error) {
			total := 0
			for {
				c := &Columns{}
				c.Reserve(1 << 16)
				n, err := s.ReadColumns(c, 1<<16)
				total += n
				if err != nil {
					return total, ignoreEOF(err)
				}
			}
		})
	})
	b.Run("flows", func(b *testing.B) {
		run(b, func(s *Stream) (int, error) {
			t := NewFlowTable(FlowOptions{IdleTimeout: 120e9, ActiveTimeout: 1800e9, Bidirectional: true})
			n, err := s.Read(1<<30, t.Add)
			return n, ignoreEOF(err)
		})
	})
}

func ignoreEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}
