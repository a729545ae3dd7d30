package gopcapy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/gopacket/layers"
)

// dumperRecs mix full, snaplen-cut and empty packets.
func dumperRecs() []rec {
	recs := mixed(9)
	recs[2].data, recs[2].wire = recs[2].data[:30], 98
	recs[5].data = nil
	return recs
}

// readAll returns every packet of a file read with prec, failing on errors.
func readAll(t *testing.T, path string, prec Precision) []packet {
	t.Helper()
	got, err := readAllNext(t, open(t, path, prec))
	wantEOF(t, err)
	return got
}

func samePackets(t *testing.T, got, want []packet) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].h != want[i].h || !bytes.Equal(got[i].data, want[i].data) {
			t.Errorf("packet %d = %+v (%d bytes), want %+v (%d bytes)", i, got[i].h, len(got[i].data), want[i].h, len(want[i].data))
		}
	}
}

func TestDumperRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		fileNanos bool
		prec      Precision
		magic     uint32 // as libpcap writes it, in host order
	}{
		{"µs file through a Micro reader", false, Micro, 0xa1b2c3d4},
		{"ns file through a Nano reader", true, Nano, 0xa1b23c4d},
		{"µs file through a Nano reader", false, Nano, 0xa1b23c4d},
	}
	for _, tt := range tests {
		for _, how := range []string{"WritePacket", "WriteBatch"} {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				dir := t.TempDir()
				src := writePcap(t, filepath.Join(dir, "src.pcap"), layers.LinkTypeEthernet, 65535, tt.fileNanos, dumperRecs())
				dst := filepath.Join(dir, "dst.pcap")
				r := open(t, src, tt.prec)
				d, err := r.DumpOpen(dst)
				if err != nil {
					t.Fatal(err)
				}
				if how == "WritePacket" {
					if err := r.Loop(0, func(h Pkthdr, data []byte) {
						if err := d.WritePacket(h, data); err != nil {
							t.Fatal(err)
						}
					}); err != nil {
						t.Fatal(err)
					}
				} else {
					var b Batch
					for {
						if _, err := r.ReadBatch(&b, 4, 0); err != nil {
							break
						}
						if err := d.WriteBatch(b.Bytes(), b.Len()); err != nil {
							t.Fatal(err)
						}
					}
				}
				d.Close()
				samePackets(t, readAll(t, dst, tt.prec), readAll(t, src, tt.prec))

				raw, err := os.ReadFile(dst)
				if err != nil {
					t.Fatal(err)
				}
				if m := binary.NativeEndian.Uint32(raw); m != tt.magic {
					t.Errorf("dump magic = %#x, want %#x", m, tt.magic)
				}
				if lt, snap := binary.NativeEndian.Uint32(raw[20:]), binary.NativeEndian.Uint32(raw[16:]); lt != 1 || snap != 65535 {
					t.Errorf("dump link type %d snaplen %d, want the reader's 1 and 65535", lt, snap)
				}
			})
		}
	}
}

func TestMicroDumpOfANanoFileIsByteIdenticalToTheMicroOriginal(t *testing.T) {
	dir := t.TempDir()
	ns := writePcap(t, filepath.Join(dir, "ns.pcap"), layers.LinkTypeEthernet, 65535, true, formatRecs)
	us := writePcap(t, filepath.Join(dir, "us.pcap"), layers.LinkTypeEthernet, 65535, false, formatRecs)
	dst := filepath.Join(dir, "dst.pcap")
	r := open(t, ns, Micro)
	d, err := r.DumpOpen(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Loop(0, func(h Pkthdr, data []byte) { _ = d.WritePacket(h, data) }); err != nil {
		t.Fatal(err)
	}
	d.Close()
	got, _ := os.ReadFile(dst)
	want, _ := os.ReadFile(us)
	if binary.NativeEndian.Uint32([]byte{0xd4, 0xc3, 0xb2, 0xa1}) == 0xa1b2c3d4 && !bytes.Equal(got, want) {
		t.Errorf("libpcap's µs dump differs from pcapgo's µs file:\n%x\n%x", got, want)
	}
}

func TestOpenDumperWritesWhatItIsGiven(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raw.pcap")
	d, err := OpenDumper(path, dltRaw, 1500, Nano)
	if err != nil {
		t.Fatal(err)
	}
	h := Pkthdr{Sec: 42, Frac: 999999999, Caplen: 28, Len: 28}
	if err := d.WritePacket(h, ipv4(protoICMP, 8)); err != nil {
		t.Fatal(err)
	}
	d.Close()
	r := open(t, path, Nano)
	if lt, _ := r.Datalink(); lt != dltRaw {
		t.Errorf("LinkType = %d, want %d", lt, dltRaw)
	}
	if n, _ := r.Snaplen(); n != 1500 {
		t.Errorf("Snaplen = %d, want 1500", n)
	}
	if got, _, err := r.Next(); got != h || err != nil {
		t.Errorf("Next = %+v, %v; want %+v", got, err, h)
	}
}

func TestOpenDumperReportsUnwritablePaths(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir.pcap")
	_, err := OpenDumper(path, dltEthernet, 65535, Micro)
	wantPcapError(t, err, path+": No such file or directory")
}

// headerOnly checks that a dump file holds nothing after the file header.
func headerOnly(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 24 {
		t.Errorf("dump file has %d bytes, want only the 24-byte header", len(raw))
	}
}

func TestWritePacketRefusesDataShorterThanCaplen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pcap")
	d, err := OpenDumper(path, dltEthernet, 65535, Micro)
	if err != nil {
		t.Fatal(err)
	}
	frame := icmpFrame()
	err = d.WritePacket(Pkthdr{Caplen: uint32(len(frame) + 1), Len: 200}, frame)
	wantPcapError(t, err, "caplen is larger than the data")
	d.Close()
	headerOnly(t, path)
}

func TestWriteBatchChecksEveryRecordBeforeWriting(t *testing.T) {
	good := Pkthdr{Sec: 1, Caplen: 4, Len: 4}
	// batch builds n records followed by 4 data bytes per record at offsets.
	batch := func(offsets ...int) []byte {
		buf := make([]byte, len(offsets)*RecordSize+4*len(offsets))
		for i, off := range offsets {
			PutRecord(buf[i*RecordSize:], good, off)
		}
		return buf
	}
	twoGood := batch(2*RecordSize, 2*RecordSize+4)
	tests := []struct {
		name string
		buf  []byte
		n    int
	}{
		{"second record's data past the end", batch(2*RecordSize, 2*RecordSize+5), 2},
		{"data inside the records", batch(2*RecordSize, RecordSize), 2},
		{"offset far out", batch(2*RecordSize, 1<<31), 2},
		{"more records than the buffer holds", twoGood, 3},
		{"negative count", twoGood, -1},
		{"records cut short", twoGood[:RecordSize+10], 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.pcap")
			d, err := OpenDumper(path, dltEthernet, 65535, Micro)
			if err != nil {
				t.Fatal(err)
			}
			var pe *Error
			if err := d.WriteBatch(tt.buf, tt.n); !errors.As(err, &pe) {
				t.Errorf("WriteBatch = %v, want *Error", err)
			}
			d.Close()
			headerOnly(t, path)
		})
	}
	t.Run("a good batch and an empty one are written", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "d.pcap")
		d, err := OpenDumper(path, dltEthernet, 65535, Micro)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.WriteBatch(twoGood, 2); err != nil {
			t.Fatal(err)
		}
		if err := d.WriteBatch(nil, 0); err != nil {
			t.Fatal(err)
		}
		d.Close()
		if got := readAll(t, path, Micro); len(got) != 2 || got[1].h != good {
			t.Errorf("read back %d packets, want 2 with header %+v", len(got), good)
		}
	})
}

func TestWriteBatchWithAnOverflowingCountFailsCleanly(t *testing.T) {
	// 28 * 658812288346769701 wraps to 12, which passes "n*recordSize > len(buf)".
	buf := make([]byte, RecordSize+4)
	PutRecord(buf, Pkthdr{Caplen: 4, Len: 4}, RecordSize)
	d, err := OpenDumper(filepath.Join(t.TempDir(), "d.pcap"), dltEthernet, 65535, Micro)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("WriteBatch panicked: %v", p)
		}
	}()
	if err := d.WriteBatch(buf, 658812288346769701); err == nil {
		t.Error("WriteBatch accepted an impossible count")
	}
}

func TestClosedDumperRefusesWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pcap")
	d, err := OpenDumper(path, dltEthernet, 65535, Micro)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	d.Close() // idempotent
	frame := icmpFrame()
	h := Pkthdr{Caplen: uint32(len(frame)), Len: uint32(len(frame))}
	if err := d.WritePacket(h, frame); err != ErrDumperClosed {
		t.Errorf("WritePacket after Close = %v, want ErrDumperClosed", err)
	}
	buf := make([]byte, RecordSize+len(frame))
	PutRecord(buf, h, RecordSize)
	copy(buf[RecordSize:], frame)
	if err := d.WriteBatch(buf, 1); err != ErrDumperClosed {
		t.Errorf("WriteBatch after Close = %v, want ErrDumperClosed", err)
	}
	headerOnly(t, path)
}
