package pybridge

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/gopcapy/gopcapy/gopcapy"
)

const recordSize = gopcapy.RecordSize

// frame returns a 60-byte Ethernet/IPv4 frame of an IP protocol; byte 59
// holds i so packets can be told apart.
func frame(proto byte, i int) []byte {
	f := make([]byte, 60)
	f[12], f[13] = 0x08, 0x00
	f[14], f[22], f[23] = 0x45, 64, proto
	f[59] = byte(i)
	return f
}

// frames are n packets alternating ICMP (even) and UDP (odd).
func frames(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		proto := byte(1)
		if i%2 == 1 {
			proto = 17
		}
		out[i] = frame(proto, i)
	}
	return out
}

// writeCapture writes frames(n) to a µs pcap, packet i at second 1000+i and
// i*1001 µs, and returns its path.
func writeCapture(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, data := range frames(n) {
		ts := time.Unix(1000+int64(i), int64(i)*1001*1000)
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: 60, Length: 60}, data); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func openFile(t *testing.T, path string) int {
	t.Helper()
	h, err := OpenOffline(path, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Close(h) })
	return h
}

// record is one decoded batch record.
type record struct {
	sec                            int64
	frac, caplen, wire, start, end uint32
}

func records(b []byte, n int) []record {
	out := make([]record, n)
	for i := range out {
		m := b[i*recordSize:]
		out[i] = record{
			int64(binary.NativeEndian.Uint64(m)), binary.NativeEndian.Uint32(m[8:]),
			binary.NativeEndian.Uint32(m[12:]), binary.NativeEndian.Uint32(m[16:]),
			binary.NativeEndian.Uint32(m[20:]), binary.NativeEndian.Uint32(m[24:]),
		}
	}
	return out
}

// second returns the error of an (int, error) bridge call.
func second(_ int, err error) error { return err }

func wantErr(t *testing.T, err error, prefix string) {
	t.Helper()
	if err == nil || !strings.HasPrefix(err.Error(), prefix) {
		t.Fatalf("error = %v, want one starting with %q", err, prefix)
	}
}

func TestOpenOfflineErrorsArePcapErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pcap")
	_, err := OpenOffline(missing, false)
	wantErr(t, err, "PcapError: "+missing+": No such file or directory")

	bad := filepath.Join(t.TempDir(), "bad.pcap")
	if err := os.WriteFile(bad, append([]byte{0xab, 0xad, 0x1d, 0xea}, make([]byte, 20)...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = OpenOffline(bad, false)
	wantErr(t, err, "PcapError: unknown file format")
}

func TestReadBatchAndBatchBytes(t *testing.T) {
	h := openFile(t, writeCapture(t, 5))
	_, err := BatchBytes(h)
	wantErr(t, err, "InternalError: no batch") // never an empty slice
	want := frames(5)
	seen := 0
	for _, wantN := range []int{2, 2, 1} {
		n, err := readBatch(h, 2, 0)
		if n != wantN || err != nil {
			t.Fatalf("readBatch = %d, %v; want %d", n, err, wantN)
		}
		b, err := BatchBytes(h)
		if err != nil || len(b) < n*recordSize {
			t.Fatalf("BatchBytes = %d bytes, %v", len(b), err)
		}
		for _, r := range records(b, n) {
			if r.sec != 1000+int64(seen) || r.frac != uint32(seen*1001) || r.caplen != 60 || r.wire != 60 {
				t.Errorf("packet %d: record %+v", seen, r)
			}
			if !bytes.Equal(b[r.start:r.end], want[seen]) {
				t.Errorf("packet %d: data differs", seen)
			}
			seen++
		}
	}
	for i := 0; i < 2; i++ {
		if n, err := readBatch(h, 2, 0); n != 0 || err != nil {
			t.Fatalf("readBatch at the end = %d, %v; want 0, nil", n, err)
		}
		_, err := BatchBytes(h)
		wantErr(t, err, "InternalError: no batch")
	}
}

func TestTruncatedFileThroughTheBridge(t *testing.T) {
	path := writeCapture(t, 3)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw[:len(raw)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	h := openFile(t, path)
	if n, err := readBatch(h, 10, 0); n != 2 || err != nil {
		t.Fatalf("readBatch = %d, %v; want the 2 whole packets", n, err)
	}
	_, err = readBatch(h, 10, 0)
	wantErr(t, err, "PcapError: truncated dump file")
	if n, err := readBatch(h, 10, 0); n != 0 || err != nil {
		t.Fatalf("readBatch after the error = %d, %v; want 0, nil (end of file)", n, err)
	}
}

func TestSetFilterBringsBackUnconsumedPacketsFiltered(t *testing.T) {
	h := openFile(t, writeCapture(t, 20))
	if n, err := readBatch(h, 10, 0); n != 10 || err != nil {
		t.Fatalf("readBatch = %d, %v", n, err)
	}
	// Python used 6 of the 10: packets 6..9 come back, the UDP ones (7, 9).
	if _, err := SetFilter(h, "udp", 4); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for {
		n, err := readBatch(h, 3, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		b, err := BatchBytes(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range records(b, n) {
			got = append(got, b[r.end-1])
		}
	}
	if want := []byte{7, 9, 11, 13, 15, 17, 19}; !bytes.Equal(got, want) {
		t.Errorf("after SetFilter got packets %v, want %v", got, want)
	}
	wantErr(t, second(SetFilter(h, "udp and", 0)), "PcapError: can't parse filter expression: syntax error")
}

func TestFileInformation(t *testing.T) {
	h := openFile(t, writeCapture(t, 1))
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	dlt, err := Datalink(h)
	check("Datalink", dlt, 1)
	check("Datalink error", err, nil)
	for which := range 2 {
		if v, err := NetMask(h, which); v != 0 || err != nil {
			t.Errorf("NetMask(%d) = %d, %v; want 0 for a file", which, v, err)
		}
	}
	nb, _ := GetNonblock(h)
	check("GetNonblock", nb, 0)
	_, err = Stats(h)
	wantErr(t, err, "PcapError: Statistics aren't available from savefiles")
	wantErr(t, second(SetNonblock(h, true)), "PcapError: Savefiles cannot be put into non-blocking mode")
}

func TestDumperThroughTheBridge(t *testing.T) {
	h := openFile(t, writeCapture(t, 4))
	path := filepath.Join(t.TempDir(), "out.pcap")
	d, err := DumpOpen(h, path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := readBatch(h, 10, 0)
	if n != 4 || err != nil {
		t.Fatalf("readBatch = %d, %v", n, err)
	}
	b, err := BatchBytes(h)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, second(DumpWrite(d, b[:recordSize+10], 1)), "PcapError: record data out of range")
	if _, err := DumpWrite(d, b, n); err != nil {
		t.Fatal(err)
	}
	if _, err := DumpClose(d); err != nil {
		t.Fatal(err)
	}
	copyH := openFile(t, path)
	if n, err := readBatch(copyH, 10, 0); n != 4 || err != nil {
		t.Fatalf("reading the dump: %d, %v", n, err)
	}
	got, _ := BatchBytes(copyH)
	for i, r := range records(got, 4) {
		w := records(b, 4)[i]
		if r.sec != w.sec || r.frac != w.frac || r.caplen != w.caplen || !bytes.Equal(got[r.start:r.end], b[w.start:w.end]) {
			t.Errorf("packet %d differs after the round trip", i)
		}
	}
}

func TestBPFThroughTheBridge(t *testing.T) {
	for _, expr := range []string{"", "icmp", "tcp port 80 or udp", "less 100"} {
		p, err := Compile(1, 262144, expr, true, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := BPFInstructions(p)
		if err != nil || len(b) == 0 || len(b)%8 != 0 {
			t.Fatalf("BPFInstructions(%q) = %d bytes, %v; want a non-empty multiple of 8", expr, len(b), err)
		}
		prog, _ := gopcapy.Compile(1, 262144, expr, true, 0)
		for i, in := range prog.Instructions() {
			m := b[8*i:]
			got := gopcapy.BPFInstruction{Code: binary.NativeEndian.Uint16(m), Jt: m[2], Jf: m[3], K: binary.NativeEndian.Uint32(m[4:])}
			if got != in {
				t.Errorf("%q instruction %d = %+v, want %+v", expr, i, got, in)
			}
		}
		BPFFree(p)
	}
	p, err := NewBPF("icmp", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer BPFFree(p)
	if v, err := BPFFilter(p, frame(1, 0)); v != 65536 || err != nil {
		t.Errorf("BPFFilter(ICMP) = %d, %v; want 65536", v, err)
	}
	if v, err := BPFFilter(p, frame(17, 0)); v != 0 || err != nil {
		t.Errorf("BPFFilter(UDP) = %d, %v; want 0", v, err)
	}
	if v, err := BPFFilter(p, nil); v != 0 || err != nil {
		t.Errorf("BPFFilter(nothing) = %d, %v; want 0", v, err)
	}
	_, err = NewBPF("icmp and", 1)
	wantErr(t, err, "BPFError: Couldn't compile BPF program")
	_, err = Compile(1, 65535, "icmp and", true, 0)
	wantErr(t, err, "PcapError: can't parse filter expression: syntax error")
}

// pyBuffer is memory standing in for pcapy's array('B'): its address as an
// int, as Python passes it. The Go GC does not move it; keep it referenced.
func pyBuffer(size int) ([]byte, int) {
	buf := make([]byte, size)
	return buf, int(uintptr(unsafe.Pointer(&buf[0])))
}

// readBatch reads up to maxN packets as pcapy does (ReadInto, into a 4 MiB
// buffer standing in for Python's, kept alive by the reader's batch) and
// returns ReadInto's count; BatchBytes then gives the packets.
func readBatch(h, maxN, waitMs int) (int, error) {
	buf, addr := pyBuffer(4 << 20)
	return ReadInto(h, maxN, waitMs, addr, len(buf))
}

func TestReadIntoFillsPythonsBuffer(t *testing.T) {
	h := openFile(t, writeCapture(t, 7))
	buf, addr := pyBuffer(2 << 20)
	want := frames(7)
	seen := 0
	for {
		n, err := ReadInto(h, 3, 0, addr, len(buf))
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if n < 0 {
			t.Fatalf("ReadInto = %d: the packets did not fit a 2 MiB buffer", n)
		}
		for _, r := range records(buf, n) {
			if r.sec != 1000+int64(seen) || !bytes.Equal(buf[r.start:r.end], want[seen]) {
				t.Errorf("packet %d: %+v or its data is wrong", seen, r)
			}
			seen++
		}
	}
	if seen != 7 {
		t.Errorf("ReadInto gave %d packets, want 7", seen)
	}
}

func TestReadIntoTakesWhatFitsInASmallBuffer(t *testing.T) {
	h := openFile(t, writeCapture(t, 3))
	// The smallest buffer: room for the records and 64 bytes of packets.
	// What does not fit stays for the next read (never lost, never cut).
	buf, addr := pyBuffer(2*gopcapy.RecordSize + 64)
	total := 0
	for i := 0; i < 6; i++ {
		n, err := ReadInto(h, 2, 0, addr, len(buf))
		if err != nil || n < -1 {
			t.Fatalf("ReadInto = %d, %v", n, err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	if total != 3 {
		t.Errorf("read %d packets in a small buffer, want 3", total)
	}
	_, err := ReadInto(h, 2, 0, addr, 100)
	wantErr(t, err, "InternalError: buffer too small")
	_, err = ReadInto(h, 2, 0, 0, 1<<20)
	wantErr(t, err, "InternalError: buffer too small")
}

func TestDevicesAndLinkTypes(t *testing.T) {
	s, err := Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var ifs []struct{ Name string }
	if err := json.Unmarshal([]byte(s), &ifs); err != nil {
		t.Fatalf("Interfaces() is not JSON: %v", err)
	}
	names, err := FindAllDevs()
	if err != nil {
		t.Fatal(err)
	}
	// Other tests may add and remove devices meanwhile: compare only lo.
	hasLo := false
	for _, ifc := range ifs {
		hasLo = hasLo || ifc.Name == "lo"
	}
	if hasLo != slices.Contains(strings.Split(names, "\n"), "lo") {
		t.Errorf("Interfaces and FindAllDevs disagree about lo: %q", names)
	}
	if DatalinkName(1) != "EN10MB" || DatalinkDescription(1) != "Ethernet" || DatalinkValue("EN10MB") != 1 {
		t.Error("link type 1 is EN10MB, Ethernet")
	}
	if DatalinkName(-12345) != "" || DatalinkValue("no such") != -1 {
		t.Error(`unknown link types give "" and -1`)
	}
	if !strings.HasPrefix(LibVersion(), "libpcap version ") {
		t.Errorf("LibVersion() = %q", LibVersion())
	}
}

func TestCreatedHandleSettings(t *testing.T) {
	h, err := Create("nonexistent0")
	if err != nil {
		t.Fatal(err)
	}
	defer Close(h)
	if dlt, err := Datalink(h); dlt != -3 || err != nil {
		t.Errorf("Datalink before Activate = %d, %v; want -3", dlt, err)
	}
	for _, name := range []string{"snaplen", "promisc", "timeout", "buffer_size", "immediate_mode", "precision"} {
		if rc := Setting(h, name, 1); rc != 0 {
			t.Errorf("Setting(%q) = %d, want 0", name, rc)
		}
	}
	if rc := Setting(h, "no_such_setting", 1); rc != -1 {
		t.Errorf("Setting of an unknown name = %d, want -1", rc)
	}
	if rc := Activate(h); rc != -5 {
		t.Errorf("Activate = %d, want -5 (no such device)", rc)
	}
}

func TestLiveReadBatchTimesOutWithMinusOne(t *testing.T) {
	h, err := OpenLive("lo", 65535, 0, 50)
	if err != nil {
		t.Skipf("cannot capture on lo here: %v", err)
	}
	defer Close(h)
	if _, err := SetFilter(h, "ether proto 0x88b5", 0); err != nil {
		t.Fatal(err)
	}
	if n, err := readBatch(h, 10, 50); n != -1 || err != nil {
		t.Errorf("readBatch with nothing to read = %d, %v; want -1", n, err)
	}
}

func TestBatchLayoutIsGopcapysRecordLayout(t *testing.T) {
	b, err := BatchLayout()
	if err != nil {
		t.Fatal(err)
	}
	want := gopcapy.RecordLayout()
	if len(b) != 4*len(want) {
		t.Fatalf("BatchLayout: %d bytes, want %d", len(b), 4*len(want))
	}
	for i, v := range want {
		if got := int(binary.NativeEndian.Uint32(b[4*i:])); got != v {
			t.Errorf("BatchLayout[%d] = %d, want %d", i, got, v)
		}
	}
	if size, err := BufferSize(2, 64); err != nil || size != 2*gopcapy.RecordSize+64 {
		t.Errorf("BufferSize(2, 64) = %d, %v", size, err)
	}
	if _, err := BufferSize(0, 64); err == nil {
		t.Error("BufferSize(0, 64): no error")
	}
}
