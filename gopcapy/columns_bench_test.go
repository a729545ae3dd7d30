package gopcapy

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkReadFileColumnsCapture reads the capture named by
// GOPCAPY_BENCH_CAPTURE (e.g. the analysis benchmark's 1M-packet file) into
// columns: all of them, and ts+len alone; and the same packets as pcapng
// when its copy lies beside it (the .pcapng file bench/analysis_stream.py
// writes). Skipped without it. GOPCAPY_BENCH_CHUNK sets the read-ahead's
// chunk size.
func BenchmarkReadFileColumnsCapture(b *testing.B) {
	path := os.Getenv("GOPCAPY_BENCH_CAPTURE")
	if path == "" {
		b.Skip("GOPCAPY_BENCH_CAPTURE not set")
	}
	if chunk, err := strconv.ParseInt(os.Getenv("GOPCAPY_BENCH_CHUNK"), 10, 64); err == nil {
		saved := prefetchChunk
		defer func() { prefetchChunk = saved }()
		prefetchChunk = chunk
	}
	files := []struct{ name, path string }{{"pcap", path}}
	if ng := strings.TrimSuffix(path, ".pcap") + ".pcapng"; ng != path {
		if _, err := os.Stat(ng); err == nil {
			files = append(files, struct{ name, path string }{"pcapng", ng})
		}
	}
	for _, file := range files {
		for _, tc := range []struct {
			name   string
			fields []string
		}{{"all", nil}, {"ts_len", []string{"ts", "len"}}} {
			b.Run(file.name+"/"+tc.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := ReadFileColumns(context.Background(), file.path, ColumnOptions{Fields: tc.fields}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkFillFileColumnsCapture reads GOPCAPY_BENCH_CAPTURE as
// pcapy.read_columns does (pybridge's ColumnsFill): into arrays with room
// for MaxRows rows, mapped lazily, in slices of 100 ms.
func BenchmarkFillFileColumnsCapture(b *testing.B) {
	path := os.Getenv("GOPCAPY_BENCH_CAPTURE")
	if path == "" {
		b.Skip("GOPCAPY_BENCH_CAPTURE not set")
	}
	for _, name := range []string{"pcap", "pcapng"} {
		file := path
		if name == "pcapng" {
			file = strings.TrimSuffix(path, ".pcap") + ".pcapng"
			if _, err := os.Stat(file); err != nil {
				continue
			}
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				f, err := OpenFileColumns(file, ColumnOptions{})
				if err != nil {
					b.Fatal(err)
				}
				room := f.MaxRows()
				f.LimitRows(room)
				var mem []unsafe.Pointer
				var maps [][]byte
				for _, s := range columnSpecs {
					m, err := syscall.Mmap(-1, 0, room*s.Width(), syscall.PROT_READ|syscall.PROT_WRITE,
						syscall.MAP_PRIVATE|syscall.MAP_ANON)
					if err != nil {
						b.Fatal(err)
					}
					maps = append(maps, m)
					mem = append(mem, unsafe.Pointer(&m[0]))
				}
				c := &Columns{}
				for done := false; !done; {
					if err := c.Attach(mem, c.Rows(), room); err != nil {
						b.Fatal(err)
					}
					done, err = f.Read(context.Background(), c, 100*time.Millisecond)
					c.Detach()
					if err != nil {
						b.Fatal(err)
					}
				}
				f.Close()
				for _, m := range maps {
					_ = syscall.Munmap(m)
				}
			}
		})
	}
}
