package gopcapy

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
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
