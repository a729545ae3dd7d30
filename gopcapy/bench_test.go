package gopcapy

import (
	"encoding/binary"
	"io"
	"path/filepath"
	"testing"
)

const benchPackets = 100000

// benchCapture writes 100k 98-byte packets (about 11 MB) for a benchmark.
func benchCapture(b *testing.B) string {
	b.Helper()
	return writeFile(b, filepath.Join(b.TempDir(), "100k.pcap"),
		pcapBytes(binary.LittleEndian, false, 65535, 1, mixed(benchPackets)))
}

// reportPerPacket adds ns/pkt: each op reads the whole file.
func reportPerPacket(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchPackets, "ns/pkt")
}

func BenchmarkReadBatch(b *testing.B) {
	path := benchCapture(b)
	var batch Batch
	b.SetBytes(benchPackets * 98)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := OpenOffline(path)
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for {
			n, err := r.ReadBatch(&batch, 1024, 0)
			total += n
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		if total != benchPackets {
			b.Fatalf("read %d packets", total)
		}
	}
	reportPerPacket(b)
}

func BenchmarkNext(b *testing.B) {
	path := benchCapture(b)
	b.SetBytes(benchPackets * 98)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := OpenOffline(path)
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for {
			_, _, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			total++
		}
		r.Close()
		if total != benchPackets {
			b.Fatalf("read %d packets", total)
		}
	}
	reportPerPacket(b)
}

func BenchmarkFilteredReadBatch(b *testing.B) {
	path := benchCapture(b)
	var batch Batch
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := OpenOffline(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.SetFilter("udp"); err != nil {
			b.Fatal(err)
		}
		total := 0
		for {
			n, err := r.ReadBatch(&batch, 1024, 0)
			total += n
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		if total != benchPackets/2 {
			b.Fatalf("read %d packets", total)
		}
	}
	reportPerPacket(b)
}
