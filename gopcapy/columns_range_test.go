package gopcapy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

// ngBytes builds a little-endian pcapng file: a section header, one
// interface (tsresol as given, 0: the default microseconds), then one
// enhanced packet block per record, with a statistics block now and then
// (blocks a range reader must step over).
func ngBytes(order binary.AppendByteOrder, tsresol byte, snaplen uint32, recs []rec) []byte {
	block := func(b []byte, typ uint32, body []byte) []byte {
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		b = order.AppendUint32(b, typ)
		b = order.AppendUint32(b, uint32(12+len(body)))
		b = append(b, body...)
		return order.AppendUint32(b, uint32(12+len(body)))
	}
	shb := order.AppendUint32(nil, 0x1a2b3c4d)
	shb = order.AppendUint16(shb, 1)
	shb = order.AppendUint16(shb, 0)
	shb = order.AppendUint64(shb, ^uint64(0))
	b := block(nil, ngSHB, shb)
	idb := order.AppendUint16(nil, 1)
	idb = order.AppendUint16(idb, 0)
	idb = order.AppendUint32(idb, snaplen)
	units := uint64(1_000_000)
	if tsresol != 0 {
		idb = order.AppendUint16(idb, 9)
		idb = order.AppendUint16(idb, 1)
		idb = append(idb, tsresol, 0, 0, 0)
		idb = order.AppendUint32(idb, 0) // opt_endofopt
		if tsresol&0x80 != 0 {
			units = 1 << (tsresol & 0x7f)
		} else {
			units = 1
			for range tsresol {
				units *= 10
			}
		}
	}
	b = block(b, ngIDB, idb)
	for i, r := range recs {
		ts := uint64(r.sec)*units + uint64(r.nsec)*units/1_000_000_000
		epb := order.AppendUint32(nil, 0)
		epb = order.AppendUint32(epb, uint32(ts>>32))
		epb = order.AppendUint32(epb, uint32(ts))
		epb = order.AppendUint32(epb, uint32(len(r.data)))
		epb = order.AppendUint32(epb, uint32(r.wireLen()))
		b = block(b, ngEPB, append(epb, r.data...))
		if i%37 == 5 {
			b = block(b, 5, order.AppendUint32(make([]byte, 8), 0)) // an interface statistics block
		}
	}
	return b
}

// fakeRecords returns count pcap records (headers and data) that look as real
// as the file's own, to be hidden inside a packet's payload.
func fakeRecords(order binary.AppendByteOrder, sec uint32, count int) []byte {
	var b []byte
	for i := range count {
		b = append(b, recordHeader(order, sec+uint32(i), 1000, 10, 60)...)
		b = append(b, make([]byte, 10)...)
	}
	return b
}

// smallLookback scales Boundary's lookback to the tests' small files (whose
// records are under 2 KB), so that it is exercised rather than bypassed by
// files shorter than the real lookback.
func smallLookback(t testing.TB) {
	saved := rangeLookback
	rangeLookback = 4096
	t.Cleanup(func() { rangeLookback = saved })
}

// rangeCase is one generated capture and how to write it.
type rangeCase struct {
	name string
	data []byte
}

// randomCapture makes a capture of a random format and size from seed:
// mixed well-formed packets, some empty, some hiding fake records (fewer
// than syncRecords, which Boundary must see through).
func randomCapture(t testing.TB, seed int64) rangeCase {
	rng := rand.New(rand.NewSource(seed))
	frames := colMixed(t, 1+rng.Intn(400), seed)
	var order binary.AppendByteOrder = binary.LittleEndian
	if rng.Intn(3) == 0 {
		order = binary.BigEndian
	}
	recs := make([]rec, len(frames))
	sec := int64(1_700_000_000 + rng.Intn(1_000_000))
	for i, f := range frames {
		switch rng.Intn(20) {
		case 0:
			f = nil
		case 1:
			f = append(slices.Clone(f), fakeRecords(order, uint32(sec), 1+rng.Intn(syncRecords-1))...)
		}
		sec += int64(rng.Intn(3))
		recs[i] = rec{sec: sec, nsec: rng.Intn(1_000_000_000), data: f, wire: len(f) + rng.Intn(2)*rng.Intn(100)}
	}
	switch rng.Intn(4) {
	case 0, 1:
		nanos := rng.Intn(2) == 0
		return rangeCase{fmt.Sprintf("seed %d pcap nanos=%v %T", seed, nanos, order),
			pcapBytes(order, nanos, 65535, 1, recs)}
	case 2:
		return rangeCase{fmt.Sprintf("seed %d pcapng us %T", seed, order), ngBytes(order, 0, 65535, recs)}
	default:
		return rangeCase{fmt.Sprintf("seed %d pcapng ns %T", seed, order), ngBytes(order, 9, 0, recs)}
	}
}

// cuts returns the sorted split offsets of a random split of a file of the
// given size into up to 12 ranges: inside the file header, inside record
// headers, at the very end, anywhere.
func cuts(rng *rand.Rand, size int64) []int64 {
	out := []int64{0, size}
	for range rng.Intn(12) {
		switch rng.Intn(4) {
		case 0:
			out = append(out, rng.Int63n(40))
		case 1:
			out = append(out, size-rng.Int63n(min(size, 40)))
		default:
			out = append(out, rng.Int63n(size+1))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return slices.Compact(out)
}

// columnRows flattens columns into comparable rows.
func columnRows(c *Columns) []string {
	rows := make([]string, c.Rows())
	for i := range rows {
		src, dst := "-", "-"
		if c.Src[i] >= 0 {
			src, dst = c.Addrs[c.Src[i]].String(), c.Addrs[c.Dst[i]].String()
		}
		rows[i] = fmt.Sprint(c.TS[i], c.Caplen[i], c.Len[i], c.LinkType[i], c.EthType[i], c.VLAN[i],
			src, dst, c.Proto[i], c.Sport[i], c.Dport[i], c.TCPFlags[i], c.PayloadLen[i])
	}
	return rows
}

// readRanges reads a file range by range and concatenates the rows.
func readRanges(t testing.TB, path string, data []byte, offsets []int64, pieces bool) ([]string, error) {
	var all []string
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i+1 < len(offsets); i++ {
		var c *Columns
		var err error
		if pieces { // as from a remote store: the head and the range plus a tail, more when asked
			from, end := max(0, offsets[i]-rangeLookback), min(int64(len(data)), offsets[i+1]+4096)
			for {
				src := &PiecesSource{Head: data[:min(len(data), 4096)], PartOff: from, Part: data[from:end]}
				c, err = ReadRangeColumns(context.Background(), src, int64(len(data)), path, offsets[i], offsets[i+1], ColumnOptions{})
				var mb *MissingBytesError
				if !errors.As(err, &mb) {
					break
				}
				from, end = min(from, mb.Off), min(int64(len(data)), max(end, mb.Off+4096))
			}
		} else {
			c, err = ReadRangeColumns(context.Background(), f, int64(len(data)), path, offsets[i], offsets[i+1], ColumnOptions{})
		}
		if c != nil {
			all = append(all, columnRows(c)...)
		}
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

// TestRangesCoverEveryPacketOnce is the property behind splitting: over
// random captures (pcap µs/ns, both byte orders, pcapng) and random splits,
// the ranges' rows, in order, are exactly the whole file's as libpcap reads
// it: no packet lost, none read twice.
func TestRangesCoverEveryPacketOnce(t *testing.T) {
	smallLookback(t)
	dir := t.TempDir()
	for seed := int64(1); seed <= 300; seed++ {
		c := randomCapture(t, seed)
		path := writeFile(t, filepath.Join(dir, fmt.Sprintf("c%d", seed)), c.data)
		whole, err := ReadFileColumns(context.Background(), path, ColumnOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := columnRows(whole)
		rng := rand.New(rand.NewSource(seed))
		for trial := range 4 {
			offsets := cuts(rng, int64(len(c.data)))
			got, err := readRanges(t, path, c.data, offsets, trial == 3)
			if err != nil {
				t.Fatalf("%s, cuts %v: %v", c.name, offsets, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s, cuts %v: %d rows, want %d", c.name, offsets, len(got), len(want))
			}
		}
	}
}

// TestRangeOfEveryCut splits one capture at every byte: the two halves
// always hold the whole file, whatever the cut falls in.
func TestRangeOfEveryCut(t *testing.T) {
	smallLookback(t)
	recs := make([]rec, 0, 60)
	for i, f := range colMixed(t, 60, 9) {
		recs = append(recs, rec{sec: 1_700_000_000 + int64(i), nsec: i * 1001, data: f[:min(len(f), 90)]})
	}
	for _, format := range []string{"pcap", "pcapng"} {
		data := pcapBytes(binary.LittleEndian, true, 65535, 1, recs)
		if format == "pcapng" {
			data = ngBytes(binary.LittleEndian, 9, 65535, recs)
		}
		path := writeFile(t, filepath.Join(t.TempDir(), format), data)
		whole, err := ReadFileColumns(context.Background(), path, ColumnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := columnRows(whole)
		for cut := int64(0); cut <= int64(len(data)); cut++ {
			got, err := readRanges(t, path, data, []int64{0, cut, int64(len(data))}, false)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("%s cut at %d: %d rows (want %d), %v", format, cut, len(got), len(want), err)
			}
		}
	}
}

// TestRangeSplitErrorInsteadOfWrongRows: a packet hiding a long run of fake
// records fools Boundary; the range before it notices that its records do
// not end where the next range starts.
func TestRangeSplitErrorInsteadOfWrongRows(t *testing.T) {
	order := binary.LittleEndian
	smallLookback(t)
	fake := fakeRecords(order, 1_700_000_000, 3*syncRecords)
	pad := make([]byte, 2*rangeLookback)
	recs := []rec{
		{sec: 1_700_000_000, data: udpFrame()},
		{sec: 1_700_000_001, data: slices.Concat(udpFrame(), pad, fake)},
		{sec: 1_700_000_002, data: udpFrame()},
	}
	data := pcapBytes(order, false, 65535, 1, recs)
	path := writeFile(t, filepath.Join(t.TempDir(), "fake.pcap"), data)
	hidden := int64(24+16+len(recs[0].data)+16+len(udpFrame())+len(pad)) + 30 // inside the fake records
	_, err := readRanges(t, path, data, []int64{0, hidden, int64(len(data))}, false)
	var se *SplitError
	if !errors.As(err, &se) || se.Path != path {
		t.Fatalf("got %v, want a SplitError", err)
	}
}

// TestRangeDamage: a capture cut short midway returns the rows before the
// damage with a ReadError, in the range that holds it; the ranges before
// it are whole.
func TestRangeDamage(t *testing.T) {
	data := pcapBytes(binary.LittleEndian, false, 65535, 1, mixed(50))
	data = data[:len(data)-30]
	path := writeFile(t, filepath.Join(t.TempDir(), "cut.pcap"), data)
	whole, err := ReadFileColumns(context.Background(), path, ColumnOptions{})
	var re *ReadError
	if !errors.As(err, &re) {
		t.Fatalf("whole file: %v", err)
	}
	got, err := readRanges(t, path, data, []int64{0, 500, int64(len(data)) - 200, int64(len(data))}, false)
	if !errors.As(err, &re) || re.Path != path {
		t.Fatalf("got %v, want a ReadError", err)
	}
	if !slices.Equal(got, columnRows(whole)) {
		t.Fatalf("%d rows before the damage, want %d", len(got), whole.Rows())
	}
}

// TestRangeFilterAndFields: the filter and the column selection apply to a
// range as to a whole file.
func TestRangeFilterAndFields(t *testing.T) {
	data := pcapBytes(binary.LittleEndian, false, 65535, 1, mixed(40))
	path := writeFile(t, filepath.Join(t.TempDir(), "m.pcap"), data)
	f, _ := os.Open(path)
	defer f.Close()
	opt := ColumnOptions{Filter: "udp", Fields: []string{"ts", "len"}}
	c, err := ReadRangeColumns(context.Background(), f, int64(len(data)), path, 0, int64(len(data)), opt)
	if err != nil || c.Rows() != 20 || len(c.TS) != 20 || len(c.Sport) != 0 {
		t.Fatalf("rows %d, ts %d, sport %d, %v", c.Rows(), len(c.TS), len(c.Sport), err)
	}
}

// TestPiecesSourceAsksForMore: a range whose bytes were not all supplied
// says which offset it lacks.
func TestPiecesSourceAsksForMore(t *testing.T) {
	data := pcapBytes(binary.LittleEndian, false, 65535, 1, mixed(200))
	src := &PiecesSource{Head: data[:64], PartOff: 1000, Part: data[1000:3000]}
	_, err := ReadRangeColumns(context.Background(), src, int64(len(data)), "x", 1000, 2990, ColumnOptions{})
	var mb *MissingBytesError
	if !errors.As(err, &mb) || mb.Off >= 1000 && mb.Off < 3000 {
		t.Fatalf("got %v, want missing bytes outside [1000, 3000)", err)
	}
}

// TestDltOfLinkTypeAgreesWithLibpcap: the LINKTYPE→DLT mapping used for
// ranges is libpcap's.
func TestDltOfLinkTypeAgreesWithLibpcap(t *testing.T) {
	for _, lt := range []uint32{0, 1, 100, 101, 102, 103, 104, 105, 106, 113, 228, 276} {
		path := writeFile(t, filepath.Join(t.TempDir(), "lt.pcap"), pcapBytes(binary.LittleEndian, false, 65535, lt, nil))
		r := open(t, path, Micro)
		dlt, err := r.Datalink()
		if err != nil || dlt != dltOfLinkType(int(lt)) {
			t.Errorf("LINKTYPE %d: libpcap says DLT %d (%v), dltOfLinkType %d", lt, dlt, err, dltOfLinkType(int(lt)))
		}
	}
}

// TestRangeOddRecordsAsLibpcap: records that libpcap takes although they
// are odd (capture length over the snapshot length in pcap, timestamps
// after 2038) or refuses (that length in pcapng) read the same in a range
// as through libpcap.
func TestRangeOddRecordsAsLibpcap(t *testing.T) {
	recs := mixed(20)
	recs[3].sec = 1 << 31
	for _, ng := range []bool{false, true} {
		data := pcapBytes(binary.BigEndian, false, 60, 1, recs)
		if ng {
			data = ngBytes(binary.BigEndian, 6, 60, recs)
		}
		path := writeFile(t, filepath.Join(t.TempDir(), "odd"), data)
		whole, errWhole := ReadFileColumns(context.Background(), path, ColumnOptions{})
		got, err := readRanges(t, path, data, []int64{0, int64(len(data))}, false)
		var re *ReadError
		if ng && !(errors.As(errWhole, &re) && errors.As(err, &re)) || !ng && (errWhole != nil || err != nil) {
			t.Fatalf("pcapng %v: whole file %v, range %v", ng, errWhole, err)
		}
		if !slices.Equal(got, columnRows(whole)) {
			t.Fatalf("pcapng %v:\n got %v\nwant %v", ng, got, columnRows(whole))
		}
	}
}

// TestRangeTimes: the first and last timestamps of each range are those of
// its first and last rows.
func TestRangeTimes(t *testing.T) {
	smallLookback(t)
	for seed := int64(1); seed <= 40; seed++ {
		c := randomCapture(t, seed)
		path := writeFile(t, filepath.Join(t.TempDir(), "c"), c.data)
		f, _ := os.Open(path)
		offsets := cuts(rand.New(rand.NewSource(seed)), int64(len(c.data)))
		for i := 0; i+1 < len(offsets); i++ {
			cols, err := ReadRangeColumns(context.Background(), f, int64(len(c.data)), path, offsets[i], offsets[i+1], ColumnOptions{})
			if err != nil {
				t.Fatal(err)
			}
			first, last, ok, err := RangeTimes(f, int64(len(c.data)), path, offsets[i], offsets[i+1])
			if err != nil || ok != (cols.Rows() > 0) || ok && (first != cols.TS[0] || last != cols.TS[cols.Rows()-1]) {
				t.Fatalf("%s range %d-%d: %d %d %v %v, rows %d", c.name, offsets[i], offsets[i+1], first, last, ok, err, cols.Rows())
			}
		}
		f.Close()
	}
}

// FuzzReadRange: any bytes, any range: rows or an error, never a panic.
func FuzzReadRange(f *testing.F) {
	f.Add(pcapBytes(binary.LittleEndian, false, 65535, 1, mixed(3)), uint16(30), uint16(200))
	f.Add(ngBytes(binary.BigEndian, 9, 0, mixed(3)), uint16(0), uint16(150))
	f.Fuzz(func(t *testing.T, data []byte, start, end uint16) {
		src := &PiecesSource{Head: data}
		_, _ = ReadRangeColumns(context.Background(), src, int64(len(data)), "fuzz", int64(start), int64(end), ColumnOptions{})
		_, _, _, _ = RangeTimes(src, int64(len(data)), "fuzz", int64(start), int64(end))
	})
}
