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

// benchReadAll is one benchmark op per whole read of benchCapture's file:
// open it, set filter (if any), call read (it returns how many packets it
// read) until io.EOF, and check that want packets came.
func benchReadAll(b *testing.B, filter string, want int, read func(r *Reader) (int, error)) {
	path := benchCapture(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := OpenOffline(path)
		if err != nil {
			b.Fatal(err)
		}
		if filter != "" {
			if err := r.SetFilter(filter); err != nil {
				b.Fatal(err)
			}
		}
		total := 0
		for {
			n, err := read(r)
			total += n
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		if total != want {
			b.Fatalf("read %d packets, want %d", total, want)
		}
	}
	reportPerPacket(b)
}

func BenchmarkReadBatch(b *testing.B) {
	var batch Batch
	b.SetBytes(benchPackets * 98)
	benchReadAll(b, "", benchPackets, func(r *Reader) (int, error) { return r.ReadBatch(&batch, 1024, 0) })
}

func BenchmarkNext(b *testing.B) {
	b.SetBytes(benchPackets * 98)
	benchReadAll(b, "", benchPackets, func(r *Reader) (int, error) {
		if _, _, err := r.Next(); err != nil {
			return 0, err
		}
		return 1, nil
	})
}

func BenchmarkFilteredReadBatch(b *testing.B) {
	var batch Batch
	benchReadAll(b, "udp", benchPackets/2, func(r *Reader) (int, error) { return r.ReadBatch(&batch, 1024, 0) })
}
