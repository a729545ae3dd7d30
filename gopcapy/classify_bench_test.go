package gopcapy

import (
	"io"
	"os"
	"testing"
)

// benchClassify reads a capture in batches and classifies every packet with
// cfg, as loop_filtered does. GOPCAPY_BENCH_CAPTURE names another capture
// (e.g. make bench's) to profile on.
func benchClassify(b *testing.B, cfg ClassifierConfig) {
	path := os.Getenv("GOPCAPY_BENCH_CAPTURE")
	if path == "" {
		path = benchCapture(b)
	}
	var batch Batch
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := OpenOffline(path)
		if err != nil {
			b.Fatal(err)
		}
		c, err := NewClassifier(cfg)
		if err != nil {
			b.Fatal(err)
		}
		var fc FilterCounts
		for {
			n, err := r.ReadBatchPrefix(&batch, 64, 0, !c.AdmitsNone())
			for j := 0; j < n; j++ {
				_, data := batch.Data(j)
				fc.Count(c, data)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
}

func BenchmarkClassifyProfile(b *testing.B) {
	cfg := DefaultClassifierConfig()
	cfg.AdmitMask = 0
	benchClassify(b, cfg)
}

func BenchmarkClassifyHeads(b *testing.B) {
	cfg := DefaultClassifierConfig()
	cfg.AdmitMask, cfg.FlowCutoff = 1<<ClassFlowHead, 3
	benchClassify(b, cfg)
}
