package gopcapy

// The column store (columns.go, column_spec.go) and columns from a Reader.

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"
)

// ReadColumns continues where Next left off, leftover packets first.
func TestReadColumnsAfterNext(t *testing.T) {
	pkts := colMixed(t, 500, 6)
	path := writePcap(t, filepath.Join(t.TempDir(), "mix.pcap"), layers.LinkTypeEthernet, 65535, true, colRecs(pkts))
	r, err := OpenOfflinePrecision(path, Nano)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < 10; i++ {
		if _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	var c Columns
	n, err := r.ReadColumns(&c, 100, 0)
	if n != 100 || err != nil || c.TS[0] != colTS(10).UnixNano() {
		t.Fatalf("%d, %v", n, err)
	}
	n, err = r.ReadColumns(&c, 0, 0)
	if n != 390 || err != io.EOF || c.Rows() != 490 || c.TS[489] != colTS(499).UnixNano() {
		t.Fatalf("%d, %v, %d rows", n, err, c.Rows())
	}
}

// colAddrOf is the address of a code as Fields hold it.
func colAddrOf(c *Columns, code int32) [16]byte {
	if code < 0 {
		return [16]byte{}
	}
	return c.Addrs[code].As16()
}

func colEqual(t *testing.T, what string, got, want *Columns) {
	t.Helper()
	if got.Rows() != want.Rows() {
		t.Fatalf("%s: %d rows, want %d", what, got.Rows(), want.Rows())
	}
	for i := 0; i < got.Rows(); i++ {
		g := []any{got.TS[i], got.Caplen[i], got.Len[i], got.LinkType[i], got.EthType[i], got.VLAN[i], got.IPVersion[i],
			colAddrOf(got, got.Src[i]), colAddrOf(got, got.Dst[i]), got.Proto[i], got.Sport[i], got.Dport[i], got.TCPFlags[i], got.PayloadLen[i]}
		w := []any{want.TS[i], want.Caplen[i], want.Len[i], want.LinkType[i], want.EthType[i], want.VLAN[i], want.IPVersion[i],
			colAddrOf(want, want.Src[i]), colAddrOf(want, want.Dst[i]), want.Proto[i], want.Sport[i], want.Dport[i], want.TCPFlags[i], want.PayloadLen[i]}
		for k := range g {
			if g[k] != w[k] {
				t.Fatalf("%s: row %d field %d: %v, want %v", what, i, k, g[k], w[k])
			}
		}
	}
}

// BenchmarkAppend is the per-packet work of reading a file into columns,
// without the reading: decode and append one row.
func BenchmarkAppend(b *testing.B) {
	pkts := colMixed(b, 4096, 2)
	var c Columns
	c.grow(b.N, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pkts[i%len(pkts)]
		c.appendNs(Pkthdr{Sec: 1, Caplen: uint32(len(p)), Len: uint32(len(p))}, 5, LinkEthernet, p)
	}
}

// Selected columns hold what all columns hold; the others stay empty.
func TestSelectKeepsOnlyTheNamedColumns(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "mix.pcap"), layers.LinkTypeEthernet, 65535, true, colRecs(colMixed(t, 2000, 9)))
	all, err := ReadFileColumns(context.Background(), path, ColumnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	some, err := ReadFileColumns(context.Background(), path, ColumnOptions{Fields: []string{"dst", "sport", "len"}})
	if err != nil {
		t.Fatal(err)
	}
	if some.Rows() != all.Rows() || len(some.TS) != 0 || len(some.Src) != 0 || len(some.Proto) != 0 {
		t.Fatalf("%d rows, ts %d, src %d", some.Rows(), len(some.TS), len(some.Src))
	}
	for i := 0; i < all.Rows(); i++ {
		if colAddrOf(some, some.Dst[i]) != colAddrOf(all, all.Dst[i]) || some.Sport[i] != all.Sport[i] || some.Len[i] != all.Len[i] {
			t.Fatalf("row %d differs", i)
		}
	}
	if !some.Has("dst") || some.Has("src") || some.Has("nope") {
		t.Error("Has")
	}
	if _, err := ReadFileColumns(context.Background(), path, ColumnOptions{Fields: []string{"port"}}); err == nil {
		t.Error("unknown column accepted")
	}
}

func TestTimestampsBeyondInt64NanosecondsAreReportedNotWrapped(t *testing.T) {
	for _, tc := range []struct {
		sec, nsec int64
		ok        bool
	}{
		{0, 0, true},
		{9223372036, 854775807, true}, // 2262-04-11T23:47:16.854775807Z, the last
		{9223372036, 854775808, false},
		{9223372037, 0, false},
		{-9223372036, 0, true},
		{-9223372037, 145224192, true}, // math.MinInt64 ns
		{-9223372037, 145224191, false},
		{-9223372038, 999999999, false},
	} {
		ns, ok := tsNs(tc.sec, tc.nsec)
		if ok != tc.ok || ok && ns != tc.sec*1_000_000_000+tc.nsec {
			t.Errorf("tsNs(%d, %d) = %d, %v; want ok %v", tc.sec, tc.nsec, ns, ok, tc.ok)
		}
	}
	var c Columns
	c.appendNs(Pkthdr{Sec: 1 << 40}, 0, 1, nil)
	var re *RangeError
	if !errors.As(c.err, &re) || !strings.Contains(re.Msg, "ts column") {
		t.Errorf("a row beyond 2262: err = %v, want a *RangeError", c.err)
	}
}
