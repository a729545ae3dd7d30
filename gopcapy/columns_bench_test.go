package gopcapy

import (
	"context"
	"os"
	"slices"
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
// for MaxRows rows, mapped lazily, in slices of 100 ms; then its pcapng
// copy; "ng_over_pcap" alternates the two and reports the median of the
// paired ratios (runs moments apart on a shared machine).
func BenchmarkFillFileColumnsCapture(b *testing.B) {
	path := os.Getenv("GOPCAPY_BENCH_CAPTURE")
	if path == "" {
		b.Skip("GOPCAPY_BENCH_CAPTURE not set")
	}
	ng := strings.TrimSuffix(path, ".pcap") + ".pcapng"
	for _, tc := range []struct {
		name   string
		fields []string
	}{{"all", nil}, {"ts_len", []string{"ts", "len"}}} {
		b.Run("pcap/"+tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				fillFile(b, path, tc.fields)
			}
		})
		if _, err := os.Stat(ng); err != nil {
			continue
		}
		b.Run("pcapng/"+tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				fillFile(b, ng, tc.fields)
			}
		})
		b.Run("ng_over_pcap/"+tc.name, func(b *testing.B) {
			ratios := make([]float64, b.N)
			for i := range ratios {
				t0 := time.Now()
				fillFile(b, path, tc.fields)
				t1 := time.Now()
				fillFile(b, ng, tc.fields)
				ratios[i] = float64(time.Since(t1)) / float64(t1.Sub(t0))
			}
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "median_ratio")
			b.ReportMetric(ratios[0], "min_ratio")
			b.ReportMetric(ratios[len(ratios)-1], "max_ratio")
		})
	}
}

// fillFile reads a file into columns as ColumnsFill does.
func fillFile(b *testing.B, path string, fields []string) {
	f, err := OpenFileColumns(path, ColumnOptions{Fields: fields, InPlace: true})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	room := f.MaxRows()
	f.LimitRows(room)
	c := &Columns{}
	_ = c.Select(fields)
	var mem []unsafe.Pointer
	for _, s := range columnSpecs {
		if !c.Has(s.Name) {
			continue
		}
		m, err := syscall.Mmap(-1, 0, room*s.Width(), syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = syscall.Munmap(m) }()
		mem = append(mem, unsafe.Pointer(&m[0]))
	}
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
}
