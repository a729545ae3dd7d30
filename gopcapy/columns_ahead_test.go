package gopcapy

// pcapng files read into columns through the read-ahead window
// (range_ahead.go): blocks straddling the prefetcher's chunks, blocks
// larger than a chunk, damage midway and files libpcap must read, all
// against libpcap alone.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// ngSpliced is a pcapng file of recs with extra blocks inserted before the
// records at the given indexes.
func ngSpliced(order binary.AppendByteOrder, recs []rec, extra map[int][]byte) []byte {
	head := len(ngBytes(order, 9, 65535, nil))
	out := ngBytes(order, 9, 65535, nil)
	from := 0
	for i := range len(recs) + 1 {
		if b, ok := extra[i]; ok {
			out = append(out, ngBytes(order, 9, 65535, recs[from:i])[head:]...)
			out = append(out, b...)
			from = i
		}
	}
	return append(out, ngBytes(order, 9, 65535, recs[from:])[head:]...)
}

// ngRawBlock is a block of the given type and total length (a multiple of
// 4, at least 12), its length at both ends.
func ngRawBlock(order binary.AppendByteOrder, typ uint32, size int) []byte {
	b := order.AppendUint32(nil, typ)
	b = order.AppendUint32(b, uint32(size))
	b = append(b, make([]byte, size-12)...)
	return order.AppendUint32(b, uint32(size))
}

// readNgColumns reads a file into columns and says whether Go read all of
// it (libpcap handed out no packet).
func readNgColumns(t *testing.T, path string) (*Columns, bool, error) {
	t.Helper()
	f, err := OpenFileColumns(path, ColumnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := &Columns{}
	_, err = f.Read(context.Background(), c, 0)
	c, err = f.Result(c, err)
	return c, f.cur.packets == 0, err
}

// libpcapColumns reads a file through libpcap alone: its rows and error.
func libpcapColumns(t *testing.T, path string) (*Columns, error) {
	t.Helper()
	r, err := OpenOfflinePrecision(path, Nano)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var c Columns
	if _, err = r.ReadColumns(&c, 0, 0); err == nil || errors.Is(err, io.EOF) {
		err = nil
	}
	return &c, err
}

func TestPcapngReadAheadMatchesLibpcap(t *testing.T) {
	saved := prefetchChunk
	defer func() { prefetchChunk = saved }()
	pkts := colMixed(t, 300, 12)
	big := colCat(colEthHdr(0x0800), make([]byte, 9000))
	pkts = append(pkts[:100], append([][]byte{big, big[:17], big}, pkts[100:]...)...)
	recs := colRecs(pkts)
	le, be := binary.LittleEndian, binary.BigEndian
	secondSection := ngBytes(le, 9, 65535, recs[:3])
	badTrailer := ngRawBlock(le, 5, 64)
	le.PutUint32(badTrailer[60:], 68)
	dir := t.TempDir()
	files := []struct {
		name string
		data []byte
		inGo bool // read by Go to its end, libpcap not needed
	}{
		{"plain-be", ngSpliced(be, recs, nil), true},
		{"microseconds", ngBytes(le, 0, 65535, recs), true},
		{"binary-fractions", ngBytes(be, 0x80|20, 65535, recs), true},
		{"milliseconds", ngBytes(le, 3, 65535, recs), true},
		{"custom-blocks", ngSpliced(le, recs, map[int][]byte{0: ngRawBlock(le, 0xbad, 40<<10),
			50: ngRawBlock(le, 0x40000bad, 12), 150: ngRawBlock(le, 0xbad, 20<<10), 303: ngRawBlock(le, 4, 20)}), true},
		// larger than the prefetcher's room: gathered from its chunks
		{"huge-block", ngSpliced(le, recs, map[int][]byte{200: ngRawBlock(le, 0xbad, 2<<20)}), true},
		{"bad-trailer", ngSpliced(le, recs, map[int][]byte{120: badTrailer}), false},
		{"bad-length", ngSpliced(le, recs, map[int][]byte{120: ngRawBlock(le, 5, 64)[:8]}), false},
		{"second-section", ngSpliced(le, recs, map[int][]byte{160: secondSection}), false},
	}
	for _, file := range files {
		path := writeFile(t, filepath.Join(dir, file.name+".pcapng"), file.data)
		want, wantErr := libpcapColumns(t, path)
		cut := writeFile(t, filepath.Join(dir, file.name+"-cut.pcapng"), file.data[:len(file.data)-7])
		wantCut, wantCutErr := libpcapColumns(t, cut)
		for _, chunk := range []int64{17, 100, 4096, 1 << 20} {
			if chunk < 4096 && len(file.data) > 1<<20 {
				continue // a 2 MiB block in chunks of 16 bytes: slow, and no more than chunks of 4 KiB show
			}
			prefetchChunk = chunk
			what := fmt.Sprintf("%s, chunk %d", file.name, chunk)
			got, inGo, err := readNgColumns(t, path)
			checkSameError(t, what, err, wantErr)
			if inGo != file.inGo {
				t.Errorf("%s: read in Go to the end %v, want %v", what, inGo, file.inGo)
			}
			colEqual(t, what, got, want)
			got, _, err = readNgColumns(t, cut)
			checkSameError(t, what+", cut", err, wantCutErr)
			colEqual(t, what+", cut", got, wantCut)
		}
	}
}

// checkSameError checks that a read ends in libpcap's error, or none.
func checkSameError(t *testing.T, what string, err, want error) {
	t.Helper()
	var re *ReadError
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: %v, want no error", what, err)
	case want != nil && (!errors.As(err, &re) || !strings.Contains(err.Error(), want.Error())):
		t.Fatalf("%s: %v, want libpcap's %v", what, err, want)
	}
}

// A block above libpcap's largest (16 MiB) is libpcap's error, at the same
// packet, rather than skipped.
func TestPcapngBlockAboveLibpcapsMaximum(t *testing.T) {
	le := binary.LittleEndian
	recs := colRecs(colMixed(t, 30, 13))
	path := writeFile(t, filepath.Join(t.TempDir(), "huge.pcapng"),
		ngSpliced(le, recs, map[int][]byte{10: ngRawBlock(le, 0xbad, maxReadBlock+4)}))
	want, wantErr := libpcapColumns(t, path)
	got, _, err := readNgColumns(t, path)
	if wantErr == nil {
		t.Fatal("libpcap reads a block above 16 MiB: maxReadBlock is not its maximum")
	}
	checkSameError(t, "huge", err, wantErr)
	colEqual(t, "huge", got, want)
}

// ngTime's constant divisions give what the general one gives.
func TestNgTime(t *testing.T) {
	for _, units := range []uint64{1, 1000, 1_000_000, 1_000_000_000, 1 << 20, 1_000_000_000_000} {
		for _, ts := range []uint64{0, 1, 999_999, 1_000_000, 1_700_000_000_123_456, 1<<64 - 1} {
			sec, nsec := ngTime(ts, units)
			hi, lo := bits.Mul64(ts%units, 1_000_000_000)
			want, _ := bits.Div64(hi, lo, units)
			if sec != ts/units || nsec != want {
				t.Fatalf("ngTime(%d, %d) = %d, %d; want %d, %d", ts, units, sec, nsec, ts/units, want)
			}
		}
	}
}

// The read-ahead goroutine and its file go when a read ends early: count
// reached, cancelled, abandoned half way (Close), or handed to libpcap.
func TestPcapngReadAheadReleasedOnEarlyExit(t *testing.T) {
	saved := prefetchChunk
	defer func() { prefetchChunk = saved }()
	prefetchChunk = 4096 // many chunks: the goroutine is still reading when the read stops
	le := binary.LittleEndian
	recs := colRecs(colMixed(t, 3000, 14))
	dir := t.TempDir()
	plain := writeFile(t, filepath.Join(dir, "plain.pcapng"), ngBytes(le, 9, 65535, recs))
	damaged := writeFile(t, filepath.Join(dir, "damaged.pcapng"),
		ngSpliced(le, recs, map[int][]byte{2000: ngRawBlock(le, 5, 64)[:8]}))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		path string
		opt  ColumnOptions
		ctx  context.Context
	}{
		{"count reached", plain, ColumnOptions{Count: 10}, context.Background()},
		{"cancelled", plain, ColumnOptions{}, cancelled},
		{"handed to libpcap", damaged, ColumnOptions{}, context.Background()},
		{"abandoned", plain, ColumnOptions{}, nil}, // opened, never read
	}
	before, fds := runtime.NumGoroutine(), openFds(t)
	for _, tc := range cases {
		f, err := OpenFileColumns(tc.path, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		if f.ng == nil {
			t.Fatalf("%s: not read in Go", tc.name)
		}
		if tc.ctx != nil {
			_, _ = f.Read(tc.ctx, &Columns{}, 0)
		}
		f.Close()
		// the goroutine ends on its own after close: give it a moment
		for i := 0; i < 200 && runtime.NumGoroutine() > before; i++ {
			time.Sleep(5 * time.Millisecond)
		}
		if got := runtime.NumGoroutine(); got > before {
			t.Errorf("%s: %d goroutines after Close, %d before", tc.name, got, before)
		}
		if got := openFds(t); got > fds {
			t.Errorf("%s: %d open files after Close, %d before", tc.name, got, fds)
		}
	}
}

// openFds counts the process's open file descriptors.
func openFds(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(entries)
}
