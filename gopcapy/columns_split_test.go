package gopcapy

// A file read by two goroutines, one per half (columns_split.go), read as
// the bridge's ColumnsFill reads it: columns attached to memory with room
// for MaxRows rows, Read in slices of time. Whatever the file holds, the
// rows, the address table (its order too) and the error must be those of
// the same file read by one reader (ReadFileColumns) and, where it says
// what a file holds, libpcap's. Every test also checks that the split it
// is about really happened (planned, then joined or dropped), so that none
// passes by never splitting.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/google/gopacket/layers"
)

// smallSplit lets the tests' small files (from 64 KiB) be split, and makes
// sure there are two cores' worth of Ps.
func smallSplit(t testing.TB) {
	saved, procs := splitMin, runtime.GOMAXPROCS(0)
	splitMin = 64 << 10
	if procs < 2 {
		runtime.GOMAXPROCS(2)
	}
	t.Cleanup(func() {
		splitMin = saved
		runtime.GOMAXPROCS(procs)
	})
}

// inPlaceRead is the outcome of readInPlace.
type inPlaceRead struct {
	c        *Columns // a copy out of the attached memory (nil after an error other than damage)
	err      error
	split    *splitHalf // the second half planned at open, nil if none
	left     *splitHalf // the second half still planned after the last Read (nil once joined or dropped)
	reads    int
	progress int64 // the bytes reported read (ColumnOptions.Progress)
}

// joined reports whether the second half's rows were kept (spliced).
func (r inPlaceRead) joined() bool {
	return r.split != nil && r.split.state == splitDone && r.left == nil
}

// readInPlace reads a file as ColumnsFill does: InPlace, LimitRows(MaxRows),
// columns attached to anonymous mapped memory (one block per kept column),
// Read for budget (0: no limit) at a time. between, if not nil, runs
// between two Read calls (the file is not read to its end yet).
func readInPlace(t testing.TB, path string, opt ColumnOptions, budget time.Duration,
	between func(f *FileColumns, reads int)) inPlaceRead {
	t.Helper()
	return readInPlaceBudgets(t, path, opt, func(int) time.Duration { return budget }, between)
}

// readInPlaceBudgets is readInPlace with the budget of each Read (counted
// from 0) given by budget.
func readInPlaceBudgets(t testing.TB, path string, opt ColumnOptions, budget func(read int) time.Duration,
	between func(f *FileColumns, reads int)) inPlaceRead {
	t.Helper()
	opt.InPlace = true
	var progress atomic.Int64
	opt.Progress = &progress
	f, err := OpenFileColumns(path, opt)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	res := inPlaceRead{split: f.split}
	room := f.MaxRows()
	f.LimitRows(room)
	c := &Columns{}
	_ = c.Select(opt.Fields)
	mem := anonColumns(t, c, room)
	for done := false; !done; {
		if err := c.Attach(mem, c.Rows(), room); err != nil {
			t.Fatal(err)
		}
		done, err = f.Read(context.Background(), c, budget(res.reads))
		c.Detach()
		res.reads++
		if !done && between != nil {
			between(f, res.reads)
		}
		if res.reads > 100_000 {
			t.Fatalf("%s: not read after %d Reads", path, res.reads)
		}
	}
	res.left = f.split
	if err := c.Attach(mem, c.Rows(), room); err != nil {
		t.Fatal(err)
	}
	out := copyColumns(c)
	c.Detach()
	res.c, res.err = f.Result(out, err)
	res.progress = progress.Load()
	return res
}

// anonColumns maps zeroed memory for room rows of each column c keeps, as
// Python's arrays are; unmapped when the test ends.
func anonColumns(t testing.TB, c *Columns, room int) []unsafe.Pointer {
	var mem []unsafe.Pointer
	for _, s := range columnSpecs {
		if !c.Has(s.Name) {
			continue
		}
		m, err := syscall.Mmap(-1, 0, max(room, 1)*s.Width(), syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = syscall.Munmap(m) })
		mem = append(mem, unsafe.Pointer(&m[0]))
	}
	return mem
}

// copyColumns copies attached columns into Go memory.
func copyColumns(c *Columns) *Columns {
	return &Columns{TS: slices.Clone(c.TS), Caplen: slices.Clone(c.Caplen), Len: slices.Clone(c.Len),
		LinkType: slices.Clone(c.LinkType), EthType: slices.Clone(c.EthType), VLAN: slices.Clone(c.VLAN),
		IPVersion: slices.Clone(c.IPVersion), Src: slices.Clone(c.Src), Dst: slices.Clone(c.Dst),
		Addrs: slices.Clone(c.Addrs), Proto: slices.Clone(c.Proto), Sport: slices.Clone(c.Sport),
		Dport: slices.Clone(c.Dport), TCPFlags: slices.Clone(c.TCPFlags), PayloadLen: slices.Clone(c.PayloadLen),
		rows: c.rows, skip: c.skip, err: c.err}
}

// firstDiff is the first index where a and b differ, -1 when equal.
func firstDiff[T comparable](a, b []T) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// sameColumns checks two reads give the same rows, column by column, with
// the same address codes and the same address table, in its order.
func sameColumns(t testing.TB, what string, got, want *Columns) {
	t.Helper()
	if got == nil || want == nil {
		if got != want {
			t.Fatalf("%s: columns %v, want %v", what, got != nil, want != nil)
		}
		return
	}
	if got.Rows() != want.Rows() {
		t.Fatalf("%s: %d rows, want %d", what, got.Rows(), want.Rows())
	}
	for _, d := range []struct {
		name string
		at   int
	}{
		{"ts", firstDiff(got.TS, want.TS)}, {"caplen", firstDiff(got.Caplen, want.Caplen)},
		{"len", firstDiff(got.Len, want.Len)}, {"linktype", firstDiff(got.LinkType, want.LinkType)},
		{"eth_type", firstDiff(got.EthType, want.EthType)}, {"vlan", firstDiff(got.VLAN, want.VLAN)},
		{"ip_version", firstDiff(got.IPVersion, want.IPVersion)}, {"src", firstDiff(got.Src, want.Src)},
		{"dst", firstDiff(got.Dst, want.Dst)}, {"proto", firstDiff(got.Proto, want.Proto)},
		{"sport", firstDiff(got.Sport, want.Sport)}, {"dport", firstDiff(got.Dport, want.Dport)},
		{"tcp_flags", firstDiff(got.TCPFlags, want.TCPFlags)}, {"payload_len", firstDiff(got.PayloadLen, want.PayloadLen)},
		{"address table", firstDiff(got.Addrs, want.Addrs)},
	} {
		if d.at >= 0 {
			t.Fatalf("%s: %s differs from row (entry) %d on (of %d rows)", what, d.name, d.at, want.Rows())
		}
	}
}

// sameError checks two reads end in the same error, or none.
func sameError(t testing.TB, what string, got, want error) {
	t.Helper()
	var re *ReadError
	var rg *RangeError
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil || got.Error() != want.Error() ||
		errors.As(got, &re) != errors.As(want, &re) || errors.As(got, &rg) != errors.As(want, &rg):
		t.Fatalf("%s: error %v, want %v", what, got, want)
	}
}

// references holds the reads a test compares a split read with, read once
// per file (its size and time: a test may write a file again) and options.
var references sync.Map

type reference struct {
	c        *Columns
	err      error
	progress int64
}

func referenceRead(path, kind string, opt ColumnOptions, read func(progress *atomic.Int64) (*Columns, error)) reference {
	st, _ := os.Stat(path)
	key := fmt.Sprint(path, st.Size(), st.ModTime().UnixNano(), kind, opt.Filter, opt.Fields, opt.InPlace)
	if r, ok := references.Load(key); ok {
		return r.(reference)
	}
	var progress atomic.Int64
	c, err := read(&progress)
	r := reference{c, err, progress.Load()}
	references.Store(key, r)
	return r
}

// checkAgainstOneReader reads path split (budget at a time) and checks
// that it gives what ReadFileColumns gives, and ReadFileColumns with
// InPlace (mapped, not split: its columns are not attached). It returns
// the split read.
func checkAgainstOneReader(t *testing.T, what, path string, opt ColumnOptions, budget time.Duration) inPlaceRead {
	t.Helper()
	want := referenceRead(path, "one", opt, func(progress *atomic.Int64) (*Columns, error) {
		opt := opt
		opt.Progress = progress
		return ReadFileColumns(context.Background(), path, opt)
	})
	got := readInPlace(t, path, opt, budget, nil)
	if got.split == nil {
		t.Fatalf("%s: the file was not split", what)
	}
	sameError(t, what, got.err, want.err)
	sameColumns(t, what, got.c, want.c)
	// Progress is reported as reading goes (at slices' ends too): it must
	// agree at the end of a read that reached the end, and never run ahead.
	if got.err == nil && got.progress != want.progress || got.progress > fileSize(t, path) {
		t.Fatalf("%s: progress %d bytes, one reader's %d", what, got.progress, want.progress)
	}
	mapped := opt
	mapped.InPlace = true
	m := referenceRead(path, "mapped", mapped, func(*atomic.Int64) (*Columns, error) {
		return ReadFileColumns(context.Background(), path, mapped)
	})
	sameError(t, what+" (mapped, one reader)", m.err, want.err)
	sameColumns(t, what+" (mapped, one reader)", m.c, want.c)
	return got
}

// checkAgainstLibpcap checks an unfiltered read of all the columns against
// libpcap alone: rows, address table and error.
func checkAgainstLibpcap(t *testing.T, what, path string, got inPlaceRead) {
	t.Helper()
	want := referenceRead(path, "libpcap", ColumnOptions{}, func(*atomic.Int64) (*Columns, error) {
		return libpcapColumns(t, path)
	})
	checkSameError(t, what+" (libpcap)", got.err, want.err)
	colEqual(t, what+" (libpcap)", got.c, want.c)
	if i := firstDiff(got.c.Addrs, want.c.Addrs); i >= 0 {
		t.Fatalf("%s: address table differs from libpcap's at %d", what, i)
	}
}

// Generated files ----------------------------------------------------------

// splitFrames are n Ethernet frames: colMixed's (a dozen addresses each of
// IPv4 and IPv6, everywhere in the file) with, every 7th, a frame between
// addresses of its own (first seen wherever it is: in the second half,
// addresses the first half never saw), every 11th one of a pool of 40
// addresses seen in both halves, and from 45% of the frames on, every 13th
// one of addresses seen around the middle and after it only.
func splitFrames(t testing.TB, n int, seed int64) [][]byte {
	frames := colMixed(t, n, seed)
	for i := range frames {
		var src, dst string
		v6 := false
		switch {
		case i%7 == 3:
			src, dst = fmt.Sprintf("10.%d.%d.%d", 100+i>>16, i>>8&255, i&255), "10.0.0.3"
			if v6 = i%2 == 0; v6 {
				src, dst = fmt.Sprintf("fd02::%x", i), fmt.Sprintf("fd01::%x", i)
			}
		case i%11 == 5:
			src, dst = fmt.Sprintf("192.168.7.%d", i/11%40), "10.0.0.1"
		case i%13 == 6 && i >= n*45/100:
			src, dst = "10.0.0.2", fmt.Sprintf("172.16.%d.1", i/13%50)
		default:
			continue
		}
		payload := colPayload(20 + i%300)
		if v6 {
			frames[i] = colSerialize(t, colEth(layers.EthernetTypeIPv6), colIP6(src, dst, layers.IPProtocolUDP),
				colUDP(1000+i%5000, 53), payload)
		} else {
			frames[i] = colSerialize(t, colEth(layers.EthernetTypeIPv4), colIP4(src, dst, layers.IPProtocolTCP),
				colTCP(2000+i%6000, 443, byte(i)), payload)
		}
	}
	return frames
}

// asRawIP turns Ethernet frames into raw IP packets (LINKTYPE_RAW), and
// asSLL into Linux cooked frames.
func asRawIP(frames [][]byte) [][]byte {
	out := make([][]byte, len(frames))
	for i, f := range frames {
		out[i] = f[14:]
	}
	return out
}

func asSLL(frames [][]byte) [][]byte {
	out := make([][]byte, len(frames))
	for i, f := range frames {
		out[i] = colCat(colSLL(binary.BigEndian.Uint16(f[12:])), f[14:])
	}
	return out
}

// recordOffsets returns where each record (pcapng: each block after the
// section header and interface blocks) of a generated file starts, and
// for pcapng the packet blocks' indexes among them.
func recordOffsets(data []byte, order binary.ByteOrder, ng bool) (offs []int64, packets []int) {
	if !ng {
		for p := int64(24); p+16 <= int64(len(data)); {
			offs = append(offs, p)
			packets = append(packets, len(offs)-1)
			p += 16 + int64(order.Uint32(data[p+8:]))
		}
		return offs, packets
	}
	for p := int64(0); p+12 <= int64(len(data)); {
		typ, size := order.Uint32(data[p:]), int64(order.Uint32(data[p+4:]))
		if typ != ngSHB && typ != ngIDB {
			offs = append(offs, p)
			if typ == ngEPB {
				packets = append(packets, len(offs)-1)
			}
		}
		p += size
	}
	return offs, packets
}

// middleRecord is the index (in offs) of the first record at or after the
// middle of the file: where a split starts when Boundary guesses right.
func middleRecord(offs []int64, size int64) int {
	i, _ := slices.BinarySearch(offs, size/2)
	return i
}

// middlePacket is the index of the first packet at or after the middle
// of a pcapng file.
func middlePacket(data []byte, order binary.ByteOrder) int {
	offs, pk := recordOffsets(data, order, true)
	mid := middleRecord(offs, int64(len(data)))
	for i, o := range pk {
		if o >= mid {
			return i
		}
	}
	return len(pk)
}

// ngIDBBlock is an interface description block like ngBytes' (Ethernet,
// nanoseconds).
func ngIDBBlock(order binary.ByteOrder) []byte {
	head := ngBytes(order.(binary.AppendByteOrder), 9, 65535, nil)
	shb := order.Uint32(head[4:])
	return head[shb:]
}

// ngTwoInterfaces is a pcapng file of recs with two Ethernet interfaces,
// nanoseconds and microseconds: every third packet is the second's.
func ngTwoInterfaces(recs []rec) []byte {
	le := binary.LittleEndian
	ns, us := ngBytes(le, 9, 65535, nil), ngBytes(le, 6, 65535, nil) // a section header and an interface
	out := append(slices.Clone(ns), us[le.Uint32(us[4:]):]...)
	for i, r := range recs {
		if i%3 == 2 {
			b := ngBytes(le, 6, 65535, []rec{r})[len(us):]
			le.PutUint32(b[8:], 1)
			out = append(out, b...)
		} else {
			out = append(out, ngBytes(le, 9, 65535, []rec{r})[len(ns):]...)
		}
	}
	return out
}

// splitFiles are clean files of every kind, each about 1 MB.
func splitFiles(t *testing.T) map[string][]byte {
	frames := splitFrames(t, 1500, 21)
	recs := colRecs(frames)
	le, be := binary.LittleEndian, binary.BigEndian
	custom := func(i int) []byte { return ngRawBlock(le, 0xbad, 12+4*(i%200)) }
	// A custom block right at the middle of the file, one larger than the
	// read-ahead's room in the second half, a statistics block in the first.
	plain := ngBytes(le, 9, 65535, recs)
	midPacket := middlePacket(plain, le)
	return map[string][]byte{
		"pcap-le-us-ethernet": pcapBytes(le, false, 65535, 1, recs),
		"pcap-be-ns-ethernet": pcapBytes(be, true, 65535, 1, recs),
		"pcap-le-ns-raw":      pcapBytes(le, true, 65535, 101, colRecs(asRawIP(frames))),
		"pcap-be-us-sll":      pcapBytes(be, false, 65535, 113, colRecs(asSLL(frames))),
		"pcap-le-us-user0":    pcapBytes(le, false, 65535, 147, recs), // not decoded: ts, caplen, len, linktype
		"pcapng-le-ns":        plain,
		"pcapng-be-us":        ngBytes(be, 0, 65535, recs),
		"pcapng-le-binary":    ngBytes(le, 0x80|20, 65535, recs),
		"pcapng-two-ifaces":   ngTwoInterfaces(recs),
		"pcapng-le-custom-blocks": ngSpliced(le, recs, map[int][]byte{100: ngRawBlock(le, 5, 64),
			midPacket: custom(1), midPacket + 1: custom(2), midPacket + 300: ngRawBlock(le, 0xbad, 600<<10),
			len(recs) - 2: custom(3)}),
	}
}

// Tests ---------------------------------------------------------------------

// Clean files of every kind, with fields and filters, read in one Read and
// in slices of 1 ms (the second half's goroutine stopped and started
// again many times): the split is joined, and the result is one reader's
// and libpcap's.
func TestSplitReadMatchesOneReader(t *testing.T) {
	smallSplit(t)
	smallLookback(t) // Boundary's walk back from the middle, as in large files
	dir := t.TempDir()
	type options struct {
		filter string
		fields []string
	}
	every := []options{{"", nil}, {"tcp", []string{"ts", "len"}}}
	subsets := []options{
		{"", []string{"src"}}, {"", []string{"dst", "ts"}}, {"udp and port 53", nil},
		{"ip proto 99", nil}, // matches nothing
		{"greater 600", []string{"len", "caplen"}},
		{"tcp", []string{"sport", "src", "dst", "proto"}}, {"", []string{"ts", "caplen", "len", "linktype", "eth_type", "vlan",
			"ip_version", "proto", "sport", "dport", "tcp_flags", "payload_len"}}, // all but the addresses
	}
	files := splitFiles(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		path := writeFile(t, filepath.Join(dir, name), files[name])
		opts := every
		switch name {
		case "pcap-le-us-ethernet", "pcapng-le-ns":
			opts = append(slices.Clone(every), subsets...)
		case "pcap-le-us-user0": // no filter compiles for it
			opts = []options{{"", nil}, {"", []string{"ts", "len"}}}
		}
		for _, o := range opts {
			for _, budget := range []time.Duration{0, time.Millisecond} {
				what := fmt.Sprintf("%s filter %q fields %v budget %v", name, o.filter, o.fields, budget)
				got := checkAgainstOneReader(t, what, path, ColumnOptions{Filter: o.filter, Fields: o.fields}, budget)
				if !got.joined() {
					t.Fatalf("%s: the second half was not joined (state %d)", what, got.split.state)
				}
				if got.c.Rows() > 0 && (got.split.c.rows == 0 || got.split.c.rows == got.c.Rows()) {
					t.Fatalf("%s: %d rows, %d of them from the second half", what, got.c.Rows(), got.split.c.rows)
				}
				if o.filter == "" && o.fields == nil {
					checkAgainstLibpcap(t, what, path, got)
				}
			}
		}
	}
}

// randomCapture's files (classic pcap and pcapng, both byte orders, empty
// packets, packets hiding fewer fake records than Boundary needs, caplen
// below the wire length): as one reader and libpcap read them, split and
// joined when large enough.
func TestSplitRandomCaptures(t *testing.T) {
	smallSplit(t)
	smallLookback(t)
	dir := t.TempDir()
	joined := 0
	for seed := int64(1); seed <= 40; seed++ {
		c := randomCapture(t, seed)
		path := writeFile(t, filepath.Join(dir, fmt.Sprint(seed)), c.data)
		if int64(len(c.data)) < splitMin {
			continue
		}
		got := checkAgainstOneReader(t, c.name, path, ColumnOptions{}, time.Millisecond)
		checkAgainstLibpcap(t, c.name, path, got)
		if !got.joined() {
			t.Fatalf("%s: not joined", c.name)
		}
		joined++
	}
	if joined < 15 {
		t.Fatalf("%d files split and joined: the test shows little", joined)
	}
}

// The address table: addresses first seen in the second half come after
// the first half's, in their order of first appearance, and the second
// half's codes are translated (checked above too; here the file is made so
// that the second half's own table and the whole file's differ a lot).
func TestSplitAddressTable(t *testing.T) {
	smallSplit(t)
	frames := splitFrames(t, 1500, 22)
	n := len(frames)
	// The second half starts with addresses of the first half's in the
	// reverse order, then new ones, then the first half's again.
	for i := n / 2; i < n/2+40; i++ {
		frames[i] = colSerialize(t, colEth(layers.EthernetTypeIPv4),
			colIP4(fmt.Sprintf("192.168.7.%d", (n/2+39-i)%40), fmt.Sprintf("10.55.0.%d", i%256), layers.IPProtocolUDP),
			colUDP(5, 6), colPayload(30))
	}
	path := writeFile(t, filepath.Join(t.TempDir(), "addrs.pcap"), pcapBytes(binary.LittleEndian, true, 65535, 1, colRecs(frames)))
	for _, fields := range [][]string{nil, {"src"}, {"dst"}, {"dst", "src"}} {
		what := fmt.Sprintf("fields %v", fields)
		got := checkAgainstOneReader(t, what, path, ColumnOptions{Fields: fields}, time.Millisecond)
		if !got.joined() {
			t.Fatalf("%s: not joined", what)
		}
		second := got.split.c.Addrs
		if slices.Equal(second, got.c.Addrs[:min(len(second), len(got.c.Addrs))]) {
			t.Fatalf("%s: the second half's own table is a prefix of the whole's: the test shows nothing", what)
		}
	}
}

// damageAt makes the record (pcapng: block) at off one no reader takes,
// in place: a classic record claims 2 GB, a pcapng block's trailing length
// differs from its leading one.
func damageAt(data []byte, order binary.ByteOrder, ng bool, off int64) []byte {
	data = slices.Clone(data)
	if !ng {
		order.PutUint32(data[off+8:], 0x7fffffff)
		return data
	}
	size := int64(order.Uint32(data[off+4:]))
	order.PutUint32(data[off+size-4:], uint32(size+4))
	return data
}

// Damage before the middle, at the first record after it, just after that
// one, deep in the second half, at the last record, and a file cut short:
// the split is dropped, and the rows and the error are one reader's and
// libpcap's.
func TestSplitDamage(t *testing.T) {
	smallSplit(t)
	dir := t.TempDir()
	recs := colRecs(splitFrames(t, 1200, 23))
	for _, kind := range []struct {
		name  string
		order binary.ByteOrder
		ng    bool
		data  []byte
	}{
		{"pcap", binary.LittleEndian, false, pcapBytes(binary.LittleEndian, false, 65535, 1, recs)},
		{"pcap-be", binary.BigEndian, false, pcapBytes(binary.BigEndian, true, 65535, 1, recs)},
		{"pcapng", binary.LittleEndian, true, ngBytes(binary.LittleEndian, 9, 65535, recs)},
		{"pcapng-be", binary.BigEndian, true, ngBytes(binary.BigEndian, 6, 65535, recs)},
	} {
		offs, _ := recordOffsets(kind.data, kind.order, kind.ng)
		mid := middleRecord(offs, int64(len(kind.data)))
		cases := map[string][]byte{"cut": kind.data[:len(kind.data)-7]}
		for name, i := range map[string]int{"before": mid - 5, "at": mid, "just-after": mid + 1,
			"deep": mid + 200, "last": len(offs) - 1} {
			cases[name] = damageAt(kind.data, kind.order, kind.ng, offs[i])
		}
		for _, lookback := range []int64{1 << 20, 4096} {
			for name, data := range cases {
				if lookback == 4096 && name != "before" && name != "at" && name != "just-after" {
					continue // Boundary's walk back matters near the middle only
				}
				path := writeFile(t, filepath.Join(dir, kind.name+"-"+name), data)
				for _, budget := range []time.Duration{0, time.Millisecond} {
					what := fmt.Sprintf("%s damaged %s, lookback %d, budget %v", kind.name, name, lookback, budget)
					func() {
						rangeLookback = lookback
						defer func() { rangeLookback = 1 << 20 }()
						got := checkAgainstOneReader(t, what, path, ColumnOptions{}, budget)
						if got.err == nil {
							t.Fatalf("%s: no error", what)
						}
						// Classic pcap damaged well inside the second half:
						// its rows up to the damage are joined (the usual
						// reader meets the damage itself). pcapng, or damage
						// in the first half: no join. Near the middle
						// either, depending on Boundary's guess.
						secondHalf := name == "deep" || name == "last" || name == "cut"
						switch {
						case name == "before" || kind.ng:
							if got.split.state != splitDropped {
								t.Fatalf("%s: split state %d, want dropped", what, got.split.state)
							}
						case secondHalf && !got.joined():
							t.Fatalf("%s: not joined (state %d)", what, got.split.state)
						}
						checkAgainstLibpcap(t, what, path, got)
					}()
				}
			}
		}
	}
}

// Records libpcap treats specially (a caplen above the snapshot length, a
// microsecond fraction of a second or more) and, in pcapng, a timestamp
// the ts column cannot hold, in either half or both: one reader's rows
// and error.
func TestSplitOddRecords(t *testing.T) {
	smallSplit(t)
	dir := t.TempDir()
	frames := splitFrames(t, 1200, 24)
	for i := range frames {
		frames[i] = frames[i][:min(len(frames[i]), 1000)]
	}
	probe := pcapBytes(binary.LittleEndian, false, 1000, 1, colRecs(frames))
	offs, _ := recordOffsets(probe, binary.LittleEndian, false)
	mid := middleRecord(offs, int64(len(probe)))
	halves := map[string][]int{"first": {mid - 30}, "second": {mid + 30}, "both": {mid - 30, mid + 30}}
	for half, at := range halves {
		long, late := colRecs(frames), colRecs(frames)
		for _, i := range at {
			long[i].data = colCat(long[i].data, make([]byte, 1100-len(long[i].data))) // caplen 1100 > snaplen 1000
			late[i].nsec = 1_500_000_000                                              // 1.5e6 µs
		}
		cases := map[string][]byte{
			"caplen-above-snaplen": pcapBytes(binary.LittleEndian, false, 1000, 1, long),
			"fraction-of-1s":       pcapBytes(binary.BigEndian, false, 1000, 1, late),
		}
		future := colRecs(frames)
		for _, i := range at {
			future[i].sec = 10_000_000_000 // year 2286
		}
		cases["pcapng-ts-beyond-int64"] = ngBytes(binary.LittleEndian, 9, 65535, future)
		for name, data := range cases {
			path := writeFile(t, filepath.Join(dir, name+"-"+half), data)
			for _, budget := range []time.Duration{0, time.Millisecond} {
				what := fmt.Sprintf("%s in the %s half, budget %v", name, half, budget)
				got := checkAgainstOneReader(t, what, path, ColumnOptions{}, budget)
				if strings.HasPrefix(name, "pcapng") {
					var rg *RangeError
					if !errors.As(got.err, &rg) {
						t.Fatalf("%s: %v, want a RangeError", what, got.err)
					}
					if half != "first" && got.split.state != splitDropped {
						t.Fatalf("%s: split state %d, want dropped", what, got.split.state)
					}
					// Without the ts column the file reads whole, split.
					got = checkAgainstOneReader(t, what+" without ts", path, ColumnOptions{Fields: []string{"src", "len"}}, budget)
					if !got.joined() {
						t.Fatalf("%s without ts: not joined", what)
					}
					continue
				}
				// An odd record in the second half only: its rows before
				// the record are joined, and the usual reader hands the
				// record to libpcap itself. In the first half: no join.
				if want := half == "second"; got.joined() != want {
					t.Fatalf("%s: joined %v, want %v (state %d)", what, got.joined(), want, got.split.state)
				}
				checkAgainstLibpcap(t, what, path, got)
			}
		}
	}
}

// pcapng files libpcap must read (an interface block, a second section) in
// the first or second half; custom blocks at the middle read in Go.
func TestSplitPcapngLibpcapReads(t *testing.T) {
	smallSplit(t)
	dir := t.TempDir()
	le := binary.LittleEndian
	recs := colRecs(splitFrames(t, 1200, 25))
	midPacket := middlePacket(ngBytes(le, 9, 65535, recs), le)
	section := ngBytes(le, 9, 65535, recs[:3])
	for name, extra := range map[string]map[int][]byte{
		"idb-second-half":     {midPacket + 40: ngIDBBlock(le)},
		"idb-at-middle":       {midPacket: ngIDBBlock(le)},
		"idb-first-half":      {midPacket - 40: ngIDBBlock(le)},
		"section-second-half": {midPacket + 40: section},
		"section-first-half":  {midPacket - 40: section},
	} {
		path := writeFile(t, filepath.Join(dir, name), ngSpliced(le, recs, extra))
		for _, budget := range []time.Duration{0, time.Millisecond} {
			what := fmt.Sprintf("%s, budget %v", name, budget)
			got := checkAgainstOneReader(t, what, path, ColumnOptions{}, budget)
			if got.split.state != splitDropped {
				t.Fatalf("%s: split state %d, want dropped", what, got.split.state)
			}
			checkAgainstLibpcap(t, what, path, got)
			checkAgainstOneReader(t, what+" filtered", path, ColumnOptions{Filter: "udp", Fields: []string{"dst"}}, budget)
		}
	}
}

// A packet whose payload holds a capture (records that look as real as the
// file's, more than syncRecords of them, so that Boundary takes one for
// the middle's record) across the middle of the file: the second half
// starts at a false record, even reads cleanly to the end of the file
// (the false records lead into the true ones), and must be dropped.
func TestSplitBoundaryFooledByFakeRecords(t *testing.T) {
	smallSplit(t)
	smallLookback(t)
	dir := t.TempDir()
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		frames := splitFrames(t, 1000, 26)
		recs := colRecs(frames)
		fakes := fakeRecords(order, uint32(recs[0].sec), 400) // 10 KB: more than the lookback
		hider := colCat(colEthHdr(0x0800), fakes)
		probe := pcapBytes(order, false, 65535, 1, recs)
		offs, _ := recordOffsets(probe, order.(binary.ByteOrder), false)
		// the hider's payload starts about 5 KB before the middle
		at := middleRecord(offs, int64(len(probe))+int64(len(hider))-10_000)
		recs = slices.Insert(recs, at, rec{sec: recs[at].sec, data: hider})
		path := writeFile(t, filepath.Join(dir, fmt.Sprintf("fakes-%T.pcap", order)), pcapBytes(order, false, 65535, 1, recs))
		data, _ := os.ReadFile(path)
		offs, _ = recordOffsets(data, order.(binary.ByteOrder), false)
		f, err := OpenFileColumns(path, ColumnOptions{InPlace: true})
		if err != nil {
			t.Fatal(err)
		}
		from := f.split.from
		f.Close()
		if _, ok := slices.BinarySearch(offs, from); ok {
			t.Fatalf("%T: Boundary found the true record at %d: the test shows nothing", order, from)
		}
		for _, budget := range []time.Duration{0, time.Millisecond} {
			what := fmt.Sprintf("%T budget %v", order, budget)
			got := checkAgainstOneReader(t, what, path, ColumnOptions{}, budget)
			if got.split.state != splitDropped {
				t.Fatalf("%s: split state %d, want dropped", what, got.split.state)
			}
			checkAgainstLibpcap(t, what, path, got)
		}
	}
	// pcapng: false blocks (a pcapng capture) inside a packet block.
	le := binary.LittleEndian
	recs := colRecs(splitFrames(t, 1000, 27))
	fakeRecs := make([]rec, 300)
	for i := range fakeRecs {
		fakeRecs[i] = rec{sec: recs[0].sec + int64(i), data: make([]byte, 12)}
	}
	fakeBlocks := ngBytes(le, 9, 65535, fakeRecs)[len(ngBytes(le, 9, 65535, nil)):]
	probe := ngBytes(le, 9, 65535, recs)
	offs, pk := recordOffsets(probe, le, true)
	mid := middleRecord(offs, int64(len(probe))+int64(len(fakeBlocks))-12000)
	at := len(pk) - 1
	for i, o := range pk {
		if o >= mid {
			at = i
			break
		}
	}
	recs = slices.Insert(recs, at, rec{sec: recs[at].sec, data: colCat(colEthHdr(0x0800), make([]byte, 2), fakeBlocks)})
	data := ngBytes(le, 9, 65535, recs)
	path := writeFile(t, filepath.Join(dir, "fakes.pcapng"), data)
	offs, _ = recordOffsets(data, le, true)
	f, err := OpenFileColumns(path, ColumnOptions{InPlace: true})
	if err != nil {
		t.Fatal(err)
	}
	from := f.split.from
	f.Close()
	if _, ok := slices.BinarySearch(offs, from); ok {
		t.Fatalf("pcapng: Boundary found the true block at %d: the test shows nothing", from)
	}
	for _, budget := range []time.Duration{0, time.Millisecond} {
		what := fmt.Sprintf("pcapng budget %v", budget)
		got := checkAgainstOneReader(t, what, path, ColumnOptions{}, budget)
		if got.split.state != splitDropped {
			t.Fatalf("%s: split state %d, want dropped", what, got.split.state)
		}
		checkAgainstLibpcap(t, what, path, got)
	}
}

// outgrowing is a file whose first half holds far more rows than
// firstHalfRows estimates from its samples (the start of the file and the
// middle of the first half): between those, packets of no bytes.
func outgrowing(t *testing.T, ng bool) (data []byte, firstHalfRows int) {
	frame := colSerialize(t, colEth(layers.EthernetTypeIPv4), colIP4("10.1.1.1", "10.2.2.2", layers.IPProtocolTCP),
		colTCP(1, 2, 0x10), colPayload(30))[:84] // 100-byte classic records, 116-byte blocks
	var recs []rec
	add := func(n int, data []byte) {
		for range n {
			ts := colTS(len(recs))
			recs = append(recs, rec{sec: ts.Unix(), nsec: ts.Nanosecond(), data: data})
		}
	}
	big, tiny := 16+len(frame), 16
	if ng {
		big, tiny = 32+len(frame), 32
	}
	add(4300, frame)       // the first sample's
	add(600_000/tiny, nil) // 600 KB of tiny ones
	half := 4300*big + 600_000
	add(half/big, frame)      // the second quarter, the middle sample's
	add(2*half/big+10, frame) // the second half
	if ng {
		data = ngBytes(binary.LittleEndian, 9, 65535, recs)
	} else {
		data = pcapBytes(binary.LittleEndian, true, 65535, 1, recs)
	}
	offs, pk := recordOffsets(data, binary.LittleEndian, ng)
	mid := middleRecord(offs, int64(len(data)))
	n, _ := slices.BinarySearch(pk, mid)
	return data, n
}

// The first half reaches the row the second half's rows start at before
// the boundary: its reader reads on, the split is dropped.
func TestSplitFirstHalfOutgrowsItsEstimate(t *testing.T) {
	smallSplit(t)
	dir := t.TempDir()
	for _, ng := range []bool{false, true} {
		data, firstRows := outgrowing(t, ng)
		path := writeFile(t, filepath.Join(dir, fmt.Sprintf("outgrow-%v", ng)), data)
		f, err := OpenFileColumns(path, ColumnOptions{InPlace: true})
		if err != nil {
			t.Fatal(err)
		}
		rowBase := f.split.rowBase
		f.Close()
		if rowBase >= firstRows {
			t.Fatalf("pcapng %v: second half's rows at %d, the first half has %d: the test shows nothing", ng, rowBase, firstRows)
		}
		for _, budget := range []time.Duration{0, time.Millisecond} {
			what := fmt.Sprintf("pcapng %v budget %v", ng, budget)
			// The second half's rows are moved up out of the first
			// half's way (makeRoom), and joined.
			got := checkAgainstOneReader(t, what, path, ColumnOptions{}, budget)
			if !got.joined() {
				t.Fatalf("%s: not joined (state %d)", what, got.split.state)
			}
			checkAgainstLibpcap(t, what, path, got)
			if budget == 0 {
				continue
			}
			// filtered: fewer rows than the estimate in the first half: joined
			got = checkAgainstOneReader(t, what+" filtered", path, ColumnOptions{Filter: "tcp"}, budget)
			if !got.joined() {
				t.Fatalf("%s filtered: not joined", what)
			}
		}
	}
}

// halfPosition is where the usual reader is.
func halfPosition(f *FileColumns) int64 {
	if f.ng != nil {
		return f.ngPos
	}
	return f.cur.offset()
}

// The usual reader waits at the boundary while the second half is read
// (many more rows in it) over several Reads; the second half is read
// before the first (many more rows in the first half): both joined.
func TestSplitHalvesOfUnequalWork(t *testing.T) {
	smallSplit(t)
	dir := t.TempDir()
	big := make([][]byte, 1500)
	for i := range big {
		big[i] = colSerialize(t, colEth(layers.EthernetTypeIPv4),
			colIP4(fmt.Sprintf("10.3.0.%d", i%50), "10.4.0.1", layers.IPProtocolTCP), colTCP(i, 80, 0x18), colPayload(1400))
	}
	frames := splitFrames(t, 600, 28)
	for _, heavyFirst := range []bool{false, true} {
		for _, ng := range []bool{false, true} {
			// as many bytes of tiny packets as of big ones: the middle
			// is between them
			bigRec, tinyRec := 16+len(big[0]), 16+34
			if ng {
				bigRec, tinyRec = 32+(len(big[0])+3)&^3, 32+36
			}
			tiny := make([][]byte, len(big)*bigRec/tinyRec)
			for i := range tiny {
				tiny[i] = frames[i%len(frames)][:34] // Ethernet and IPv4 headers only
			}
			pkts := append(slices.Clone(big), tiny...)
			if heavyFirst {
				pkts = append(slices.Clone(tiny), big...)
			}
			data := pcapBytes(binary.LittleEndian, true, 65535, 1, colRecs(pkts))
			if ng {
				data = ngBytes(binary.LittleEndian, 9, 65535, colRecs(pkts))
			}
			path := writeFile(t, filepath.Join(dir, fmt.Sprintf("unequal-%v-%v", heavyFirst, ng)), data)
			want, _ := ReadFileColumns(context.Background(), path, ColumnOptions{})
			what := fmt.Sprintf("heavy first %v, pcapng %v", heavyFirst, ng)
			// what the test is about depends on time: given three tries
			waited, doneFirst := 0, 0
			for try := 0; try < 3 && (heavyFirst && doneFirst == 0 || !heavyFirst && waited == 0); try++ {
				got := readInPlace(t, path, ColumnOptions{}, time.Millisecond, func(f *FileColumns, _ int) {
					if h := f.split; h != nil {
						if h.state == splitReading && halfPosition(f) == h.from {
							waited++
						}
						if h.state == splitDone {
							doneFirst++
						}
					}
				})
				if !got.joined() {
					t.Fatalf("%s: not joined", what)
				}
				sameError(t, what, got.err, nil)
				sameColumns(t, what, got.c, want)
			}
			if !heavyFirst && waited == 0 {
				t.Errorf("%s: the usual reader never waited at the boundary: the test shows nothing", what)
			}
			// (a classic first half of under 65536 rows is read in one go:
			// only pcapng's checks the time often enough to be seen waiting)
			if heavyFirst && ng && doneFirst == 0 {
				t.Errorf("%s: the second half was never read first: the test shows nothing", what)
			}
		}
	}
}

// mapsFile reports whether the process maps path.
func mapsFile(t *testing.T, path string) bool {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip("no /proc/self/maps")
	}
	return strings.Contains(string(maps), path)
}

// Close mid-read (after a slice of time, the second half half read), or
// without reading, or after the end: no goroutine, file or mapping left.
func TestSplitCloseMidRead(t *testing.T) {
	smallSplit(t)
	dir := t.TempDir()
	recs := colRecs(splitFrames(t, 1500, 29))
	for _, ng := range []bool{false, true} {
		data := pcapBytes(binary.LittleEndian, false, 65535, 1, recs)
		if ng {
			data = ngBytes(binary.LittleEndian, 9, 65535, recs)
		}
		path := writeFile(t, filepath.Join(dir, fmt.Sprintf("close-%v", ng)), data)
		for _, reads := range []int{0, 1, 2, -1} { // -1: to the end
			before, fds := runtime.NumGoroutine(), openFds(t)
			f, err := OpenFileColumns(path, ColumnOptions{InPlace: true})
			if err != nil {
				t.Fatal(err)
			}
			if f.split == nil || !mapsFile(t, path) {
				t.Fatalf("pcapng %v: not split, or not mapped", ng)
			}
			room := f.MaxRows()
			f.LimitRows(room)
			c := &Columns{}
			mem := anonColumns(t, c, room)
			for i := 0; reads < 0 || i < reads; i++ {
				_ = c.Attach(mem, c.Rows(), room)
				done, err := f.Read(context.Background(), c, time.Millisecond)
				c.Detach()
				if err != nil {
					t.Fatal(err)
				}
				if done {
					break
				}
			}
			f.Close()
			f.Close() // again: nothing
			if _, err := f.Read(context.Background(), c, 0); err == nil {
				t.Errorf("pcapng %v: Read after Close: no error", ng)
			}
			for i := 0; i < 200 && runtime.NumGoroutine() > before; i++ {
				time.Sleep(5 * time.Millisecond)
			}
			what := fmt.Sprintf("pcapng %v, Close after %d reads", ng, reads)
			if got := runtime.NumGoroutine(); got > before {
				t.Errorf("%s: %d goroutines after Close, %d before", what, got, before)
			}
			if got := openFds(t); got > fds {
				t.Errorf("%s: %d open files after Close, %d before", what, got, fds)
			}
			if mapsFile(t, path) {
				t.Errorf("%s: the file is still mapped after Close", what)
			}
		}
	}
}

// No split: a file below splitMin, a Count, columns not in place, one core.
func TestSplitNotWanted(t *testing.T) {
	smallSplit(t)
	path := writeFile(t, filepath.Join(t.TempDir(), "small.pcap"),
		pcapBytes(binary.LittleEndian, true, 65535, 1, colRecs(splitFrames(t, 1500, 30))))
	st, _ := os.Stat(path)
	open := func(opt ColumnOptions) *FileColumns {
		f, err := OpenFileColumns(path, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.Close)
		return f
	}
	if f := open(ColumnOptions{InPlace: true}); f.split == nil {
		t.Fatal("split not wanted at the tests' splitMin: the cases below show nothing")
	}
	splitMin = st.Size() + 1
	if f := open(ColumnOptions{InPlace: true}); f.split != nil || f.m != nil {
		t.Error("a file below splitMin: split or mapped")
	}
	splitMin = 64 << 10
	if f := open(ColumnOptions{InPlace: true, Count: 1000}); f.split != nil || f.m != nil {
		t.Error("a Count: split or mapped")
	}
	if f := open(ColumnOptions{}); f.split != nil || f.m != nil {
		t.Error("not in place: split or mapped")
	}
	procs := runtime.GOMAXPROCS(1)
	f := open(ColumnOptions{InPlace: true})
	runtime.GOMAXPROCS(procs)
	if f.split != nil || f.m != nil {
		t.Error("GOMAXPROCS 1: split or mapped")
	}
	// A file whose last record starts before its middle: no record to
	// start a second half at.
	recs := colRecs(splitFrames(t, 20, 30))
	recs = append(recs, rec{sec: recs[19].sec, data: colCat(colEthHdr(0x0800), make([]byte, 200_000))})
	late := writeFile(t, filepath.Join(t.TempDir(), "late.pcap"), pcapBytes(binary.LittleEndian, true, 262144, 1, recs))
	if f, err := OpenFileColumns(late, ColumnOptions{InPlace: true}); err != nil || f.split != nil {
		t.Errorf("no record after the middle: split %v (%v)", f != nil && f.split != nil, err)
	} else {
		f.Close()
	}
	got := readInPlace(t, late, ColumnOptions{}, time.Millisecond, nil)
	want, _ := ReadFileColumns(context.Background(), late, ColumnOptions{})
	sameError(t, "late", got.err, nil)
	sameColumns(t, "late", got.c, want)
	// and a Count still gives the first rows
	got = readInPlace(t, path, ColumnOptions{Count: 700}, time.Millisecond, nil)
	want, _ = ReadFileColumns(context.Background(), path, ColumnOptions{Count: 700})
	sameColumns(t, "count", got.c, want)
}

// prefixOf checks got's rows are the first rows of whole's (the file
// before it was cut): no row the file did not hold.
func prefixOf(t *testing.T, what string, got, whole *Columns) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no columns", what)
	}
	n := got.Rows()
	if n > whole.Rows() {
		t.Fatalf("%s: %d rows, the whole file has %d", what, n, whole.Rows())
	}
	if i := firstDiff(got.TS, whole.TS[:n]); i >= 0 {
		t.Fatalf("%s: row %d (of %d) is not the file's: ts %d, want %d", what, i, n, got.TS[i], whole.TS[i])
	}
	if i := firstDiff(got.Caplen, whole.Caplen[:n]); i >= 0 {
		t.Fatalf("%s: row %d (of %d) is not the file's: caplen %d, want %d", what, i, n, got.Caplen[i], whole.Caplen[i])
	}
}

// emptyRecords is a classic pcap file of n records of no bytes (16 bytes
// each: record boundaries every 16 bytes from byte 24).
func emptyRecords(n int, ng bool) []byte {
	recs := make([]rec, n)
	for i := range recs {
		ts := colTS(i)
		recs[i] = rec{sec: ts.Unix(), nsec: ts.Nanosecond()}
	}
	if ng {
		return ngBytes(binary.LittleEndian, 9, 65535, recs)
	}
	return pcapBytes(binary.LittleEndian, true, 65535, 1, recs)
}

// Regression (failed at 7210d7a, classic pcap only): a cut inside a page
// leaves zeros after it in the mapping, no fault, and zeros are a valid
// classic record (16 bytes, no data, time 0): the readers handed out such
// rows (the second half's were even joined). Each chunk copied is now
// checked against the file's size (mappedChunks.chunk). pcapng was safe:
// zeros are not a block.
//
// The file cut (os.Truncate) between two Reads: ahead of the usual reader
// where the chunk it copies next from the mapping ends just after the cut
// (in the same page: the bytes after the cut read as zeros, which look like
// a record of no bytes at time 0), in the second half, in the last page.
// The rows are the file's as libpcap reads the cut file, or (rows read
// before the cut) the whole file's; never a row the file did not hold.
func TestSplitFileCutBetweenReads(t *testing.T) {
	smallSplit(t)
	dir := t.TempDir()
	for _, ng := range []bool{false, true} {
		data := emptyRecords(250_000/(1+btoi(ng)), ng) // 4 MB
		size := int64(len(data))
		whole := filepath.Join(dir, "whole")
		writeFile(t, whole, data)
		all, _ := ReadFileColumns(context.Background(), whole, ColumnOptions{})
		for _, where := range []string{"next-chunk", "second-half", "last-page"} {
			what := fmt.Sprintf("pcapng %v, cut %s", ng, where)
			t.Run(fmt.Sprintf("pcapng=%v/%s", ng, where), func(t *testing.T) {
				path := writeFile(t, filepath.Join(dir, where), data)
				var cutAt int64 = -1
				// The first Read is as short as can be: the cut is ahead of
				// both readers (the second half's reads 4096 records at least).
				budget := func(read int) time.Duration {
					if read == 0 {
						return time.Microsecond
					}
					return time.Millisecond
				}
				got := readInPlaceBudgets(t, path, ColumnOptions{}, budget, func(f *FileColumns, reads int) {
					if reads != 1 {
						return
					}
					switch where {
					case "next-chunk":
						var next int64
						if f.ng != nil {
							next = f.ng.w.ahead.pf.(*mappedChunks).pos
						} else {
							next = f.cur.chunks.pos
						}
						cutAt = next + mappedChunk - 16
						if cutAt >= f.split.from {
							t.Fatalf("%s: the first Read read the first half (%d of %d): the test shows nothing", what, next, f.split.from)
						}
					case "second-half":
						cutAt = f.split.from + (size-f.split.from)/2 + 5
					case "last-page":
						cutAt = size - 32
					}
					if err := os.Truncate(path, cutAt); err != nil {
						t.Fatal(err)
					}
				})
				if cutAt < 0 {
					t.Fatalf("%s: read in one Read: the test shows nothing", what)
				}
				if got.split == nil {
					t.Fatalf("%s: not split", what)
				}
				prefixOf(t, what, got.c, all)
				if got.c.Rows() == all.Rows() && got.err == nil {
					return // everything was read before the cut
				}
				want, wantErr := libpcapColumns(t, path)
				checkSameError(t, what, got.err, wantErr)
				if !ng && got.c.Rows() > want.Rows() && where == "next-chunk" {
					t.Fatalf("%s: %d rows, the cut file holds %d", what, got.c.Rows(), want.Rows())
				}
				if ng || where != "next-chunk" {
					colEqual(t, what, got.c, want)
				}
			})
		}
	}
}

// isolated runs the calling test in a child process (the test binary run
// for it alone) and reports its failure, output included: a fault the
// code under test does not catch (SIGBUS reading a mapping) kills the
// process, which would stop every other test. It returns true in the
// parent, which has nothing more to do.
func isolated(t *testing.T) bool {
	const env = "GOPCAPY_SPLIT_CHILD"
	if os.Getenv(env) == t.Name() {
		return false
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.timeout=120s")
	cmd.Env = append(os.Environ(), env+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		text := string(out)
		if len(text) > 6000 {
			text = text[:6000] + "\n..."
		}
		t.Fatalf("%s (in a child process): %v\n%s", t.Name(), err, text)
	}
	return true
}

// The file cut by another goroutine while Read runs (in one Read, or in
// slices of 1 ms), at random times and places: no crash (a fault reading
// the mapping is libpcap's to report), and no row the file did not hold.
func TestSplitFileCutDuringRead(t *testing.T) {
	if isolated(t) {
		return
	}
	smallSplit(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(31))
	recs := colRecs(splitFrames(t, 3000, 31))
	for _, ng := range []bool{false, true} {
		data := pcapBytes(binary.LittleEndian, true, 65535, 1, recs)
		if ng {
			data = ngBytes(binary.LittleEndian, 9, 65535, recs)
		}
		writeFile(t, filepath.Join(dir, "whole"), data)
		all, _ := ReadFileColumns(context.Background(), filepath.Join(dir, "whole"), ColumnOptions{})
		for trial := range 12 {
			path := writeFile(t, filepath.Join(dir, fmt.Sprintf("cut-%v-%d", ng, trial)), data)
			cutAt := 4096 + rng.Int63n(int64(len(data))-4096)
			delay := time.Duration(rng.Intn(3000)) * time.Microsecond
			budget := []time.Duration{0, time.Millisecond}[trial%2]
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(delay)
				_ = os.Truncate(path, cutAt)
			}()
			got := readInPlace(t, path, ColumnOptions{}, budget, nil)
			wg.Wait()
			what := fmt.Sprintf("pcapng %v, cut at %d after %v, budget %v", ng, cutAt, delay, budget)
			var re *ReadError
			if got.err != nil && !errors.As(got.err, &re) {
				t.Fatalf("%s: %v", what, got.err)
			}
			prefixOf(t, what, got.c, all)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Regression (failed at 7210d7a): planSplit called firstHalfRows, which
// reads the mapping, outside readingMapped: a file cut while it was opened
// killed the process with SIGBUS (here the child process;
// TestSplitFileCutDuringRead met it too under -race).
//
// The file cut by another goroutine while OpenFileColumns plans the split:
// Boundary and the sampling of record sizes (firstHalfRows) read the
// mapping too, and a page the file no longer has must not crash the
// process.
func TestSplitFileCutDuringOpen(t *testing.T) {
	if isolated(t) {
		return
	}
	smallSplit(t)
	dir := t.TempDir()
	// small records: the sampling walks thousands of them, a long window
	frames := splitFrames(t, 10_000, 32)
	for i := range frames {
		frames[i] = frames[i][:min(len(frames[i]), 84)]
	}
	data := pcapBytes(binary.LittleEndian, true, 65535, 1, colRecs(frames))
	path := filepath.Join(dir, "cut")
	// how long an open takes: the cuts fall within it
	writeFile(t, path, data)
	t0 := time.Now()
	for range 5 {
		f, err := OpenFileColumns(path, ColumnOptions{InPlace: true})
		if err != nil || f.split == nil {
			t.Fatalf("not split: %v", err)
		}
		f.Close()
	}
	open := time.Since(t0) / 5
	rng := rand.New(rand.NewSource(32))
	for trial := range 250 {
		writeFile(t, path, data)
		delay := time.Duration(rng.Int63n(int64(open) * 3 / 2))
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(delay)
			_ = os.Truncate(path, 300<<10)
		}()
		f, err := OpenFileColumns(path, ColumnOptions{InPlace: true})
		wg.Wait()
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		f.Close()
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
