package gopcapy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/gopacket/layers"
)

// formatRecs have fractions that show truncation: 999999999 ns is 999999 µs.
var formatRecs = []rec{
	{sec: 1700000000, nsec: 123456789, data: icmpFrame()},
	{sec: 1700000001, nsec: 999999999, data: udpFrame()},
	{sec: 1700000002, nsec: 0, data: icmpFrame()[:40], wire: 98}, // caplen < len
}

// usRecs are formatRecs as a microsecond file stores them.
func usRecs() []rec {
	out := append([]rec(nil), formatRecs...)
	for i := range out {
		out[i].nsec = out[i].nsec / 1000 * 1000
	}
	return out
}

func TestReadersGiveHeadersAndDataOfEveryFormat(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T, dir string) string
		prec Precision
		want []rec // timestamps as the file holds them
	}{
		{"pcap µs read as Micro", func(t *testing.T, dir string) string {
			return writePcap(t, filepath.Join(dir, "us.pcap"), layers.LinkTypeEthernet, 65535, false, formatRecs)
		}, Micro, usRecs()},
		{"pcap µs read as Nano", func(t *testing.T, dir string) string {
			return writePcap(t, filepath.Join(dir, "us.pcap"), layers.LinkTypeEthernet, 65535, false, formatRecs)
		}, Nano, usRecs()},
		{"pcap ns read as Micro truncates", func(t *testing.T, dir string) string {
			return writePcap(t, filepath.Join(dir, "ns.pcap"), layers.LinkTypeEthernet, 65535, true, formatRecs)
		}, Micro, formatRecs},
		{"pcap ns read as Nano is exact", func(t *testing.T, dir string) string {
			return writePcap(t, filepath.Join(dir, "ns.pcap"), layers.LinkTypeEthernet, 65535, true, formatRecs)
		}, Nano, formatRecs},
		{"pcapng read as Micro", func(t *testing.T, dir string) string {
			return writePcapng(t, filepath.Join(dir, "a.pcapng"), layers.LinkTypeEthernet, formatRecs)
		}, Micro, formatRecs},
		{"pcapng read as Nano", func(t *testing.T, dir string) string {
			return writePcapng(t, filepath.Join(dir, "a.pcapng"), layers.LinkTypeEthernet, formatRecs)
		}, Nano, formatRecs},
		{"big-endian pcap µs", func(t *testing.T, dir string) string {
			return writeFile(t, filepath.Join(dir, "be.pcap"), pcapBytes(binary.BigEndian, false, 65535, 1, formatRecs))
		}, Micro, usRecs()},
		{"big-endian pcap ns", func(t *testing.T, dir string) string {
			return writeFile(t, filepath.Join(dir, "be-ns.pcap"), pcapBytes(binary.BigEndian, true, 65535, 1, formatRecs))
		}, Nano, formatRecs},
		{"committed big-endian testdata", func(t *testing.T, dir string) string {
			return filepath.Join("testdata", "be_icmp.pcap")
		}, Micro, testdataRecs()[:2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := open(t, tt.make(t, t.TempDir()), tt.prec)
			if r.Precision() != tt.prec {
				t.Errorf("Precision() = %v, want %v", r.Precision(), tt.prec)
			}
			got, err := readAllNext(t, r)
			wantEOF(t, err)
			if len(got) != len(tt.want) {
				t.Fatalf("read %d packets, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				if wh := expectedHeader(w, tt.prec); got[i].h != wh {
					t.Errorf("packet %d header = %+v, want %+v", i, got[i].h, wh)
				}
				if !bytes.Equal(got[i].data, w.data) {
					t.Errorf("packet %d data differs", i)
				}
			}
		})
	}
}

func TestSnaplenTruncatedPacketsKeepTheirWireLength(t *testing.T) {
	r := open(t, sharedPings(t), Micro)
	if n, _ := r.Snaplen(); n != 96 {
		t.Errorf("Snaplen() = %d, want 96", n)
	}
	h, data, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := Pkthdr{Sec: 0x48fe8963, Frac: 0x2d8be, Caplen: 96, Len: 98}
	if h != want || len(data) != 96 {
		t.Errorf("first packet = %+v with %d bytes, want %+v with 96", h, len(data), want)
	}
}

func TestFileWithOnlyAHeaderIsAtEOFAtOnce(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "empty.pcap"), layers.LinkTypeEthernet, 65535, false, nil)
	r := open(t, path, Micro)
	_, _, err := r.Next()
	wantEOF(t, err)
	var b Batch
	n, err := r.ReadBatch(&b, 10, 0)
	wantEOF(t, err)
	if n != 0 || b.Len() != 0 {
		t.Errorf("ReadBatch = %d packets (batch %d), want 0", n, b.Len())
	}
	if n, err := r.Dispatch(-1, func(Pkthdr, []byte) { t.Error("callback called") }); n != 0 || err != nil {
		t.Errorf("Dispatch = %d, %v; want 0, nil", n, err)
	}
	if err := r.Loop(-1, func(Pkthdr, []byte) { t.Error("callback called") }); err != nil {
		t.Errorf("Loop = %v, want nil", err)
	}
}

func TestOpenOfflineRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pcap")
	tests := []struct {
		name, path, prefix string
	}{
		{"bad magic", filepath.Join("testdata", "bad_magic.pcap"), "unknown file format"},
		{"missing file", missing, missing + ": No such file or directory"},
		{"short header", writeFile(t, filepath.Join(dir, "short.pcap"), []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0}), "truncated dump file"},
		{"empty file", writeFile(t, filepath.Join(dir, "zero.pcap"), nil), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenOffline(tt.path)
			if err == nil {
				r.Close()
				t.Fatal("OpenOffline succeeded")
			}
			wantPcapError(t, err, tt.prefix)
		})
	}
}

func TestTruncatedFileDeliversPacketsThenErrorThenEOF(t *testing.T) {
	full := pcapBytes(binary.LittleEndian, false, 65535, 1, mixed(3))
	tests := []struct {
		name   string
		cut    int // bytes removed from the end
		prefix string
	}{
		{"mid packet data", 10, "truncated dump file; tried to read 98 captured bytes, only got 88"},
		{"mid record header", 98 + 11, "truncated dump file; tried to read 16 header bytes, only got 5"},
		{"committed testdata", -1, "truncated dump file"},
	}
	for _, tt := range tests {
		for _, reader := range []string{"Next", "ReadBatch"} {
			t.Run(tt.name+"/"+reader, func(t *testing.T) {
				path := filepath.Join("testdata", "truncated.pcap")
				if tt.cut >= 0 {
					path = writeFile(t, filepath.Join(t.TempDir(), "cut.pcap"), full[:len(full)-tt.cut])
				}
				r := open(t, path, Micro)
				n, err := 0, error(nil)
				if reader == "Next" {
					var got []packet
					got, err = readAllNext(t, r)
					n = len(got)
				} else {
					var b Batch
					for err == nil {
						var k int
						k, err = r.ReadBatch(&b, 10, 0)
						n += k
					}
				}
				if n != 2 {
					t.Errorf("delivered %d packets before the damage, want 2", n)
				}
				wantPcapError(t, err, tt.prefix)
				for i := 0; i < 3; i++ {
					_, _, err := r.Next()
					wantEOF(t, err)
				}
			})
		}
	}
}

func TestNextDispatchAndLoopCountPackets(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "96.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(96))
	t.Run("Next", func(t *testing.T) {
		got, err := readAllNext(t, open(t, path, Micro))
		wantEOF(t, err)
		if len(got) != 96 {
			t.Errorf("Next gave %d packets, want 96", len(got))
		}
	})
	t.Run("Dispatch(50)", func(t *testing.T) {
		r := open(t, path, Micro)
		for _, want := range []int{50, 46, 0, 0} {
			calls := 0
			n, err := r.Dispatch(50, func(Pkthdr, []byte) { calls++ })
			if n != want || calls != want || err != nil {
				t.Errorf("Dispatch(50) = %d (%d callbacks), %v; want %d, nil", n, calls, err, want)
			}
		}
	})
	t.Run("Dispatch(-1) reads the whole file", func(t *testing.T) {
		r := open(t, path, Micro)
		if n, err := r.Dispatch(-1, func(Pkthdr, []byte) {}); n != 96 || err != nil {
			t.Errorf("Dispatch(-1) = %d, %v; want 96, nil", n, err)
		}
	})
	t.Run("Loop(10) then Loop(0)", func(t *testing.T) {
		r := open(t, path, Micro)
		var secs []int64
		fn := func(h Pkthdr, _ []byte) { secs = append(secs, h.Sec) }
		if err := r.Loop(10, fn); err != nil || len(secs) != 10 {
			t.Fatalf("Loop(10) = %v after %d callbacks, want nil after 10", err, len(secs))
		}
		if err := r.Loop(0, fn); err != nil || len(secs) != 96 {
			t.Fatalf("Loop(0) = %v after %d callbacks in all, want nil after 96", err, len(secs))
		}
		for i, s := range secs {
			if s != 1700000000+int64(i) {
				t.Fatalf("callback %d got second %d: packets out of order", i, s)
			}
		}
	})
	t.Run("Next then Dispatch continue where the other stopped", func(t *testing.T) {
		r := open(t, path, Micro)
		for i := 0; i < 5; i++ {
			if _, _, err := r.Next(); err != nil {
				t.Fatal(err)
			}
		}
		first := int64(-1)
		n, err := r.Dispatch(-1, func(h Pkthdr, _ []byte) {
			if first < 0 {
				first = h.Sec
			}
		})
		if n != 91 || err != nil || first != 1700000005 {
			t.Errorf("Dispatch = %d, %v starting at second %d; want 91, nil from 1700000005", n, err, first)
		}
	})
}

func TestReadBatchLayout(t *testing.T) {
	recs := mixed(20)
	recs[3].data = recs[3].data[:0] // an empty packet still has a record
	recs[4].wire = 1500
	path := writePcap(t, filepath.Join(t.TempDir(), "20.pcap"), layers.LinkTypeEthernet, 65535, true, recs)
	r := open(t, path, Nano)
	if RecordSize != 28 {
		t.Fatalf("RecordSize = %d, want 28", RecordSize)
	}
	var b Batch
	seen := 0
	for _, want := range []int{7, 7, 6} {
		n, err := r.ReadBatch(&b, 7, 0)
		if n != want || err != nil || b.Len() != want {
			t.Fatalf("ReadBatch(7) = %d, %v (Len %d); want %d, nil", n, err, b.Len(), want)
		}
		raw := b.Bytes()
		// Data follows the records (at most maxN slots), packet after packet;
		// readers go by each record's start and end, not by position.
		next := int(binary.NativeEndian.Uint32(raw[20:]))
		if next < n*RecordSize || next > 7*RecordSize {
			t.Errorf("data starts at %d, inside the records or after a gap", next)
		}
		for i := 0; i < n; i++ {
			m := raw[i*RecordSize:]
			h := Pkthdr{
				Sec:    int64(binary.NativeEndian.Uint64(m)),
				Frac:   binary.NativeEndian.Uint32(m[8:]),
				Caplen: binary.NativeEndian.Uint32(m[12:]),
				Len:    binary.NativeEndian.Uint32(m[16:]),
			}
			start, end := int(binary.NativeEndian.Uint32(m[20:])), int(binary.NativeEndian.Uint32(m[24:]))
			ph, data := b.Packet(i)
			if h != ph || h != expectedHeader(recs[seen], Nano) {
				t.Errorf("packet %d: record %+v, Packet %+v, want %+v", seen, h, ph, expectedHeader(recs[seen], Nano))
			}
			if start != next || end-start != int(h.Caplen) {
				t.Errorf("packet %d: data at [%d,%d), want [%d,%d)", seen, start, end, next, next+int(h.Caplen))
			}
			if !bytes.Equal(raw[start:end], recs[seen].data) || !bytes.Equal(data, recs[seen].data) {
				t.Errorf("packet %d: data differs", seen)
			}
			next = end
			seen++
		}
		if len(raw) != next {
			t.Errorf("Bytes() has %d bytes, records end at %d", len(raw), next)
		}
	}
	if _, err := r.ReadBatch(&b, 7, 0); err != io.EOF || b.Len() != 0 {
		t.Errorf("ReadBatch at the end = %v with %d packets, want io.EOF with 0", err, b.Len())
	}
}

func TestReadBatchWithNonPositiveMaxReadsOne(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "3.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(3))
	r := open(t, path, Micro)
	var b Batch
	for _, maxN := range []int{0, -5} {
		if n, err := r.ReadBatch(&b, maxN, 0); n != 1 || err != nil {
			t.Errorf("ReadBatch(%d) = %d, %v; want 1, nil", maxN, n, err)
		}
	}
}

func TestReadBatchWithAHugeMaxDoesNotAllocateForIt(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "3.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(3))
	r := open(t, path, Micro)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var b Batch
	if n, err := r.ReadBatch(&b, 1<<24, 0); n != 3 || err != nil {
		t.Fatalf("ReadBatch = %d, %v; want 3", n, err)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("reading 3 packets with maxN 1<<24 allocated %d MB", grew>>20)
	}
}

func TestReadBatchHandsOutPacketsLeftByNext(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "10.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(10))
	r := open(t, path, Micro)
	if _, _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	var b Batch
	total := 1
	for {
		n, err := r.ReadBatch(&b, 4, 0)
		for i := 0; i < n; i++ {
			if h, _ := b.Packet(i); h.Sec != 1700000000+int64(total) {
				t.Fatalf("packet %d has second %d", total, h.Sec)
			}
			total++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if total != 10 {
		t.Errorf("read %d packets in all, want 10", total)
	}
}

func TestBigPacketsGrowTheBuffer(t *testing.T) {
	// Packets this big overflow the first buffer; the reader keeps the one
	// that did not fit and hands it out next, in order.
	recs := make([]rec, 40)
	for i := range recs {
		recs[i] = rec{sec: int64(i), data: eth(ipv4(protoUDP, 60000))}
	}
	path := writePcap(t, filepath.Join(t.TempDir(), "big.pcap"), layers.LinkTypeEthernet, 65535, false, recs)
	r := open(t, path, Micro)
	got, err := readAllNext(t, r)
	wantEOF(t, err)
	if len(got) != 40 {
		t.Fatalf("read %d packets, want 40", len(got))
	}
	for i, p := range got {
		if p.h.Sec != int64(i) || !bytes.Equal(p.data, recs[i].data) {
			t.Fatalf("packet %d: second %d, %d bytes: out of order or damaged", i, p.h.Sec, len(p.data))
		}
	}
}

func TestLinkTypeOfFiles(t *testing.T) {
	ip := ipv4(protoICMP, 8)
	tests := []struct {
		name string
		lt   layers.LinkType
		data []byte
		want int
	}{
		{"Ethernet", layers.LinkTypeEthernet, eth(ip), dltEthernet},
		{"raw IP", layers.LinkTypeRaw, ip, dltRaw},
		{"Linux SLL", layers.LinkTypeLinuxSLL, sll(ip), dltSLL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writePcap(t, filepath.Join(t.TempDir(), "lt.pcap"), tt.lt, 65535, false, []rec{{data: tt.data}})
			r := open(t, path, Micro)
			if lt, err := r.Datalink(); lt != tt.want || err != nil {
				t.Errorf("Datalink() = %d, %v; want %d, nil", lt, err, tt.want)
			}
			// The filter compiles for the file's link type.
			if err := r.SetFilter("icmp"); err != nil {
				t.Fatal(err)
			}
			if got, err := readAllNext(t, r); len(got) != 1 || err != io.EOF {
				t.Errorf("icmp filter kept %d packets (%v), want 1", len(got), err)
			}
		})
	}
}

func TestFilesHaveNoNetworkStatsOrNonblockMode(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "a.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(1))
	r := open(t, path, Micro)
	if n, m, err := r.Net(); n != 0 || m != 0 || err != nil {
		t.Errorf("Net() = %d, %d, %v; want 0, 0, nil", n, m, err)
	}
	_, _, _, err := r.Stats()
	wantPcapError(t, err, "Statistics aren't available from savefiles")
	wantPcapError(t, r.SetNonblock(true), "Savefiles cannot be put into non-blocking mode")
	if on, err := r.Nonblock(); on || err != nil {
		t.Errorf("Nonblock() = %v, %v; want false, nil", on, err)
	}
	if r.Live() || r.Timeout() != 0 {
		t.Errorf("Live() = %v, Timeout() = %v for a file", r.Live(), r.Timeout())
	}
	if fd, err := r.Fd(); err != nil {
		t.Errorf("Fd() = %d, %v", fd, err)
	}
}

func TestErrorTypesPrintTheirMessage(t *testing.T) {
	for _, err := range []error{&Error{Msg: "m1"}, &BPFError{Msg: "m2"}} {
		if err.Error() != "m1" && err.Error() != "m2" {
			t.Errorf("%T.Error() = %q", err, err.Error())
		}
	}
	if errors.Is(ErrClosed, ErrTimeout) || ErrClosed.Error() != "pcap is closed" || ErrTimeout.Error() != "timeout expired" {
		t.Error("ErrClosed and ErrTimeout must be distinct with libpcap's wording")
	}
}
