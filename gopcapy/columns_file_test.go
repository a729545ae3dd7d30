package gopcapy

// Capture files read into columns (columns_file.go, cursor.go): against
// libpcap alone, with filters, counts, damage and odd records.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// colRecs are packets as generated records, the i-th at colTS(i).
func colRecs(pkts [][]byte) []rec {
	recs := make([]rec, len(pkts))
	for i, p := range pkts {
		ts := colTS(i)
		recs[i] = rec{sec: ts.Unix(), nsec: ts.Nanosecond(), data: p}
	}
	return recs
}

func colTS(i int) time.Time { return time.Unix(1_700_000_000+int64(i), 123_456_789+int64(i)) }

func TestReadFileColumns(t *testing.T) {
	pkts := colMixed(t, 5000, 3)
	path := writePcap(t, filepath.Join(t.TempDir(), "mix.pcap"), layers.LinkTypeEthernet, 65535, true, colRecs(pkts))
	st, _ := os.Stat(path)
	var progress atomic.Int64
	c, err := ReadFileColumns(context.Background(), path, ColumnOptions{Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if c.Rows() != len(pkts) {
		t.Fatalf("%d rows, want %d", c.Rows(), len(pkts))
	}
	if progress.Load() != st.Size() {
		t.Errorf("progress %d, file %d bytes", progress.Load(), st.Size())
	}
	for i, p := range pkts {
		f := DecodeFields(LinkEthernet, p, len(p))
		got := Fields{c.EthType[i], c.VLAN[i], c.IPVersion[i], colAddrOf(c, c.Src[i]), colAddrOf(c, c.Dst[i]), c.Proto[i], c.Sport[i],
			c.Dport[i], c.TCPFlags[i], c.PayloadLen[i]}
		if got != f || c.TS[i] != colTS(i).UnixNano() || c.Caplen[i] != uint32(len(p)) ||
			c.Len[i] != uint32(len(p)) || c.LinkType[i] != LinkEthernet {
			t.Fatalf("row %d: %+v ts %d", i, got, c.TS[i])
		}
	}
}

func TestReadFileColumnsCountAndFilter(t *testing.T) {
	pkts := colMixed(t, 3000, 4)
	path := writePcap(t, filepath.Join(t.TempDir(), "mix.pcap"), layers.LinkTypeEthernet, 65535, true, colRecs(pkts))
	c, err := ReadFileColumns(context.Background(), path, ColumnOptions{Count: 100})
	if err != nil || c.Rows() != 100 {
		t.Fatalf("count 100: %v rows, %v", c.Rows(), err)
	}
	var udp []int
	for i, p := range pkts {
		if f := DecodeFields(LinkEthernet, p, len(p)); f.Proto == 17 && f.VLAN < 0 {
			udp = append(udp, i)
		}
	}
	c, err = ReadFileColumns(context.Background(), path, ColumnOptions{Filter: "udp"})
	if err != nil || c.Rows() != len(udp) {
		t.Fatalf("udp: %d rows, want %d, %v", c.Rows(), len(udp), err)
	}
	for j, i := range udp {
		if c.TS[j] != colTS(i).UnixNano() {
			t.Fatalf("udp row %d is not packet %d", j, i)
		}
	}
	if _, err := ReadFileColumns(context.Background(), path, ColumnOptions{Filter: "udp and"}); err == nil {
		t.Fatal("bad filter accepted")
	}
}

func TestReadFileColumnsOfADamagedFile(t *testing.T) {
	pkts := colMixed(t, 300, 5)
	path := writePcap(t, filepath.Join(t.TempDir(), "cut.pcap"), layers.LinkTypeEthernet, 65535, true, colRecs(pkts))
	// Cut the file inside packet 201's data.
	size := int64(24)
	for _, p := range pkts[:201] {
		size += 16 + int64(len(p))
	}
	if err := os.Truncate(path, size+16+3); err != nil {
		t.Fatal(err)
	}
	c, err := ReadFileColumns(context.Background(), path, ColumnOptions{})
	var re *ReadError
	if !errors.As(err, &re) || re.Packets != 201 || c.Rows() != 201 {
		t.Fatalf("got %v, %v rows", err, c.Rows())
	}
	if !strings.Contains(err.Error(), "truncated dump file") || !strings.HasSuffix(err.Error(), "(after 201 packets)") {
		t.Errorf("message %q", err)
	}
}

func TestReadFilesColumnsKeepsFileOrder(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := 0; i < 5; i++ {
		paths = append(paths, writePcap(t, filepath.Join(dir, strconv.Itoa(i)+".pcap"), layers.LinkTypeEthernet,
			65535, true, colRecs(colMixed(t, 1000*(5-i), int64(i)))))
	}
	cols, errs := ReadFilesColumns(context.Background(), paths, ColumnOptions{})
	for i := range paths {
		if errs[i] != nil || cols[i].Rows() != 1000*(5-i) {
			t.Fatalf("file %d: %v", i, errs[i])
		}
		// Each file restarts its timestamps: row order within a file holds.
		if cols[i].TS[0] != colTS(0).UnixNano() || cols[i].TS[cols[i].Rows()-1] != colTS(cols[i].Rows()-1).UnixNano() {
			t.Fatalf("file %d rows out of order", i)
		}
	}
	paths = append(paths, filepath.Join(dir, "missing.pcap"))
	_, errs = ReadFilesColumns(context.Background(), paths, ColumnOptions{})
	if errs[5] == nil || !strings.Contains(errs[5].Error(), "No such file or directory") {
		t.Fatalf("missing file: %v", errs[5])
	}
}

// readLibpcapOnly reads a file through libpcap alone, the reference for
// what the Go reading of classic pcap files must give.
func readLibpcapOnly(t *testing.T, path, filter string) *Columns {
	t.Helper()
	r, err := OpenOfflinePrecision(path, Nano)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if filter != "" {
		if err := r.SetFilter(filter); err != nil {
			t.Fatal(err)
		}
	}
	var c Columns
	if _, err := r.ReadColumns(&c, 0, 0); err != io.EOF {
		t.Fatal(err)
	}
	return &c
}

// Files read in Go give exactly what libpcap gives, in every byte order and
// precision, with and without a filter; pcapng files go through libpcap.
func TestGoReadingMatchesLibpcap(t *testing.T) {
	dir := t.TempDir()
	pkts := colMixed(t, 3000, 7)
	files := map[string][]byte{
		"le-us.pcap": pcapBytes(binary.LittleEndian, false, 65535, 1, colRecs(pkts)),
		"be-ns.pcap": pcapBytes(binary.BigEndian, true, 65535, 1, colRecs(pkts)),
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, filter := range []string{"", "udp or vlan", "ip6 and tcp"} {
			got, err := ReadFileColumns(context.Background(), path, ColumnOptions{Filter: filter})
			if err != nil {
				t.Fatal(err)
			}
			colEqual(t, name+" "+filter, got, readLibpcapOnly(t, path, filter))
		}
	}
	ng := filepath.Join(dir, "mix.pcapng")
	f, _ := os.Create(ng)
	w, err := pcapgo.NewNgWriter(f, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		_ = w.WritePacket(gopacket.CaptureInfo{Timestamp: colTS(i), CaptureLength: len(p), Length: len(p)}, p)
	}
	_ = w.Flush()
	f.Close()
	got, err := ReadFileColumns(context.Background(), ng, ColumnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ReadFileColumns(context.Background(), filepath.Join(dir, "be-ns.pcap"), ColumnOptions{})
	colEqual(t, "pcapng", got, want)
}

// A record libpcap treats specially (caplen above the file's snapshot
// length: cut to it) is handed to libpcap, which reads on to the end.
func TestOddRecordIsHandedToLibpcap(t *testing.T) {
	pkts := colMixed(t, 400, 8)
	for i := range pkts {
		pkts[i] = pkts[i][:min(len(pkts[i]), 200)]
	}
	data := pcapBytes(binary.LittleEndian, true, 200, 1, colRecs(pkts))
	// Packet 150 claims 300 captured bytes (more than the snapshot length):
	// libpcap reads 200 and skips the rest. Make it so in the file.
	off := 24
	for _, p := range pkts[:150] {
		off += 16 + len(p)
	}
	long := append(append([]byte(nil), pkts[150]...), make([]byte, 300-len(pkts[150]))...)
	rec := binary.LittleEndian.AppendUint32(nil, uint32(colTS(150).Unix()))
	rec = binary.LittleEndian.AppendUint32(rec, uint32(colTS(150).Nanosecond()))
	rec = binary.LittleEndian.AppendUint32(rec, 300)
	rec = binary.LittleEndian.AppendUint32(rec, 300)
	data = append(append(append(data[:off:off], rec...), long...), data[off+16+len(pkts[150]):]...)
	path := filepath.Join(t.TempDir(), "odd.pcap")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFileColumns(context.Background(), path, ColumnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	colEqual(t, "odd", got, readLibpcapOnly(t, path, ""))
	if got.Rows() != 400 || got.Caplen[150] != 200 || got.Len[150] != 300 {
		t.Fatalf("%d rows, packet 150: caplen %d len %d", got.Rows(), got.Caplen[150], got.Len[150])
	}
}

// BenchmarkReadFileColumns compares reading a classic pcap file into columns
// in Go (ReadFileColumns) with reading it through libpcap (ReadColumns on a
// Reader), on 100k mixed packets.
func BenchmarkReadFileColumns(b *testing.B) {
	path := writePcap(b, filepath.Join(b.TempDir(), "mix.pcap"), layers.LinkTypeEthernet, 65535, true, colRecs(colMixed(b, 100000, 10)))
	b.Run("go", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if c, err := ReadFileColumns(context.Background(), path, ColumnOptions{}); err != nil || c.Rows() != 100000 {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/pkt")
	})
	b.Run("libpcap", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			r, err := OpenOfflinePrecision(path, Nano)
			if err != nil {
				b.Fatal(err)
			}
			var c Columns
			if _, err := r.ReadColumns(&c, 0, 0); err != io.EOF || c.Rows() != 100000 {
				b.Fatal(err)
			}
			r.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/pkt")
	})
}

// Records straddle the prefetcher's chunks (made tiny here) anywhere, from
// their header to their last byte, records as large as a chunk or larger
// included; a record cut by the end of the file goes to libpcap. Every
// read gives what libpcap alone gives.
func TestGoReadingAcrossChunks(t *testing.T) {
	saved := prefetchChunk
	defer func() { prefetchChunk = saved }()
	pkts := colMixed(t, 400, 11)
	big := colCat(colEthHdr(0x0800), make([]byte, 9000))
	pkts = append(pkts[:200], append([][]byte{big, big[:17], big}, pkts[200:]...)...)
	dir := t.TempDir()
	whole := pcapBytes(binary.LittleEndian, true, 65535, 1, colRecs(pkts))
	path := writeFile(t, filepath.Join(dir, "chunks.pcap"), whole)
	cut := writeFile(t, filepath.Join(dir, "cut.pcap"), whole[:len(whole)-5])
	want := readLibpcapOnly(t, path, "")
	for _, chunk := range []int64{16, 17, 100, 4096, 9000, 1 << 20} {
		prefetchChunk = chunk
		got, err := ReadFileColumns(context.Background(), path, ColumnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		colEqual(t, fmt.Sprintf("chunk %d", chunk), got, want)
		got, err = ReadFileColumns(context.Background(), cut, ColumnOptions{})
		var re *ReadError
		if !errors.As(err, &re) || got.Rows() != len(pkts)-1 {
			t.Fatalf("chunk %d, a cut file: %v", chunk, err)
		}
	}
}

// pcapng files are read in Go (a range reader over the whole file) with
// libpcap's rows, filtered or not; at damage libpcap reads the file again
// from its start, so the rows before it and the error are libpcap's.
func TestPcapngReadInGoMatchesLibpcap(t *testing.T) {
	dir := t.TempDir()
	path := writePcapng(t, filepath.Join(dir, "mix.pcapng"), layers.LinkTypeEthernet, colRecs(colMixed(t, 3000, 5)))
	for _, filter := range []string{"", "tcp", "udp and port 53"} {
		got, err := ReadFileColumns(context.Background(), path, ColumnOptions{Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		colEqual(t, "pcapng "+filter, got, readLibpcapOnly(t, path, filter))
	}
	f, err := OpenFileColumns(path, ColumnOptions{})
	if err != nil || f.ng == nil {
		t.Fatalf("the pcapng file is not read in Go: %v", err)
	}
	f.Close()
	data, _ := os.ReadFile(path)
	cut := writeFile(t, filepath.Join(dir, "cut.pcapng"), data[:len(data)*2/3])
	r, err := OpenOfflinePrecision(cut, Nano)
	if err != nil {
		t.Fatal(err)
	}
	var want Columns
	_, wantErr := r.ReadColumns(&want, 0, 0)
	r.Close()
	got, err := ReadFileColumns(context.Background(), cut, ColumnOptions{})
	var re *ReadError
	if !errors.As(err, &re) || wantErr == nil || !strings.Contains(re.Error(), wantErr.Error()) {
		t.Fatalf("a cut pcapng file: %v, want libpcap's %v", err, wantErr)
	}
	colEqual(t, "cut pcapng", got, &want)
}
