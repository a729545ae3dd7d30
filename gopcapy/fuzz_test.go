package gopcapy

import (
	"encoding/binary"
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/gopacket/layers"
)

// fuzzSeeds are small valid and damaged captures to start the fuzzer from.
func fuzzSeeds(t testing.TB) [][]byte {
	le, be := binary.LittleEndian, binary.BigEndian
	small := mixed(3)
	valid := pcapBytes(le, false, 65535, 1, small)
	hugeCaplen := append(pcapBytes(le, false, 65535, 1, nil), recordHeader(le, 1, 0, 0x7fffffff, 0x7fffffff)...)
	hugeCaplen = append(hugeCaplen, icmpFrame()...)
	overSnaplen := append(pcapBytes(le, false, 64, 1, nil), recordHeader(le, 1, 0, 200, 200)...)
	overSnaplen = append(overSnaplen, make([]byte, 200)...)
	return [][]byte{
		valid,
		pcapBytes(le, true, 65535, 1, small),                 // nanoseconds
		pcapBytes(be, false, 65535, 1, small),                // big-endian
		pcapBytes(be, true, 96, 101, small),                  // big-endian ns, raw IP link type
		pcapngBytes(t, layers.LinkTypeEthernet, small),       // pcapng
		valid[:len(valid)-10],                                // truncated mid-packet
		valid[:24],                                           // header only
		append([]byte{0xab, 0xad, 0x1d, 0xea}, valid[4:]...), // bad magic
		hugeCaplen,
		overSnaplen,
		pcapBytes(le, false, 0, 231, small[:1]), // DLT_DBUS: libpcap allows 128 MB packets
	}
}

// fuzzMaxBuffer bounds the read buffer the reader may allocate for an input:
// what the data itself could need, never the lengths a header claims (see
// TestHeaderClaimsDoNotSizeTheBuffer).
func fuzzMaxBuffer(input []byte) int { return 8<<20 + 4*len(input) }

func FuzzOpenOffline(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		path := filepath.Join(t.TempDir(), "in.pcap")
		writeFile(t, path, input)
		// No capture holds more packets than it has bytes.
		limit := len(input) + 10

		for _, prec := range []Precision{Micro, Nano} {
			r, err := OpenOfflinePrecision(path, prec)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("OpenOffline error %v is %T, want *Error", err, err)
				}
				return
			}
			var b Batch
			var readErr error
			for i := 0; readErr == nil; i++ {
				if i > limit {
					t.Fatal("ReadBatch never ended")
				}
				var n int
				n, readErr = r.ReadBatch(&b, 3, 0)
				checkBatch(t, &b, n, input)
				if len(b.buf) > fuzzMaxBuffer(input) {
					t.Fatalf("a %d-byte input made a %d-byte read buffer", len(input), len(b.buf))
				}
			}
			checkEnd(t, r, readErr)
			r.Close()
			r.Close()
		}

		// Next, with a filter set after the first packet.
		r, err := OpenOffline(path)
		if err != nil {
			t.Fatalf("second open failed: %v", err)
		}
		defer r.Close()
		var nextErr error
		for i := 0; nextErr == nil; i++ {
			if i > limit {
				t.Fatal("Next never ended")
			}
			var h Pkthdr
			var data []byte
			h, data, nextErr = r.Next()
			if nextErr == nil && len(data) != int(h.Caplen) {
				t.Fatalf("Next gave %d bytes for caplen %d", len(data), h.Caplen)
			}
			if i == 0 {
				if err := r.SetFilter("udp or icmp"); err != nil {
					var pe *Error
					if !errors.As(err, &pe) {
						t.Fatalf("SetFilter error %v is %T", err, err)
					}
				}
			}
		}
		checkEnd(t, r, nextErr)
	})
}

// checkBatch verifies the Batch layout for n packets read from input.
func checkBatch(t *testing.T, b *Batch, n int, input []byte) {
	t.Helper()
	if n < 0 || n > 3 || b.Len() != n {
		t.Fatalf("ReadBatch(3) returned %d with Len %d", n, b.Len())
	}
	raw := b.Bytes()
	for i := 0; i < n; i++ {
		h, data := b.Packet(i)
		start := int(binary.NativeEndian.Uint32(raw[i*RecordSize+20:]))
		end := int(binary.NativeEndian.Uint32(raw[i*RecordSize+24:]))
		if len(data) != int(h.Caplen) || end-start != int(h.Caplen) || start < n*RecordSize || end > len(raw) {
			t.Fatalf("packet %d: caplen %d, data [%d,%d) in %d bytes", i, h.Caplen, start, end, len(raw))
		}
		if int(h.Caplen) > len(input) {
			t.Fatalf("packet %d claims %d captured bytes from a %d-byte file", i, h.Caplen, len(input))
		}
	}
}

// checkEnd verifies how a read loop ended: io.EOF, or a *Error followed by
// io.EOF forever.
func checkEnd(t *testing.T, r *Reader, err error) {
	t.Helper()
	if err == io.EOF {
		return
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("reading ended with %v (%T), want io.EOF or *Error", err, err)
	}
	for i := 0; i < 2; i++ {
		if _, _, err := r.Next(); err != io.EOF {
			t.Fatalf("after %v, Next = %v, want io.EOF", pe, err)
		}
	}
}

func TestHugeCaplenIsALibpcapErrorNotAnAllocation(t *testing.T) {
	le := binary.LittleEndian
	for _, caplen := range []uint32{0x7fffffff, 0xffffffff, 262145} {
		file := append(pcapBytes(le, false, 65535, 1, mixed(1)), recordHeader(le, 2, 0, caplen, caplen)...)
		file = append(file, icmpFrame()...)
		r := open(t, writeFile(t, filepath.Join(t.TempDir(), "huge.pcap"), file), Micro)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := readAllNext(t, r)
		runtime.ReadMemStats(&after)
		if len(got) != 1 {
			t.Errorf("caplen %#x: %d packets before the bad record, want 1", caplen, len(got))
		}
		wantPcapError(t, err, "invalid packet capture length")
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Errorf("caplen %#x: reading allocated %d bytes", caplen, grew)
		}
	}
}

func TestHeaderClaimsDoNotSizeTheBuffer(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		name string
		file []byte
	}{
		// libpcap takes DLT_DBUS's 128 MB maximum for a snaplen of 0.
		{"DLT_DBUS, snaplen 0", pcapBytes(le, false, 0, 231, mixed(2))},
		// Found by FuzzOpenOffline (testdata/fuzz/FuzzOpenOffline/6b9c1327f4d7f001):
		// libpcap keeps the claimed snaplen for a link type it does not know.
		{"unknown link type, snaplen 1.4 GB", pcapBytes(le, false, 0x54000000, 0x00400100, mixed(2))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := open(t, writeFile(t, filepath.Join(t.TempDir(), "claims.pcap"), tt.file), Micro)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var b Batch
			if n, err := r.ReadBatch(&b, 3, 0); n != 2 || err != nil {
				t.Fatalf("ReadBatch = %d, %v", n, err)
			}
			if _, _, err := r.Next(); err != io.EOF {
				t.Fatalf("Next = %v", err)
			}
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Errorf("reading a %d-byte file allocated %d MB", len(tt.file), grew>>20)
			}
		})
	}
}
