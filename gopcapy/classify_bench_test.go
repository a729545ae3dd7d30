package gopcapy

import (
	"os"
	"testing"
)

// benchClassify reads a capture with LoopFiltered and classifies every
// packet with cfg, as loop_filtered does (a pcap file: by ScanFile). GOPCAPY_BENCH_CAPTURE names another capture
// (e.g. make bench's) to profile on.
func benchClassify(b *testing.B, cfg ClassifierConfig) {
	path := os.Getenv("GOPCAPY_BENCH_CAPTURE")
	if path == "" {
		path = benchCapture(b)
	}
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
		if _, err := r.LoopFiltered(-1, c, func(Pkthdr, []byte, int) {}); err != nil {
			b.Fatal(err)
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
