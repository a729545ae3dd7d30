package gopcapy

import (
	"context"
	"os"
	"strconv"
	"testing"
)

// BenchmarkReadFileColumnsCapture reads the capture named by
// GOPCAPY_BENCH_CAPTURE (e.g. the analysis benchmark's 1M-packet file) into
// columns: all of them, and ts+len alone. Skipped without it.
// GOPCAPY_BENCH_CHUNK sets the prefetcher's chunk size.
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
	for _, tc := range []struct {
		name   string
		fields []string
	}{{"all", nil}, {"ts_len", []string{"ts", "len"}}} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := ReadFileColumns(context.Background(), path, ColumnOptions{Fields: tc.fields}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
