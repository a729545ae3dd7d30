package gopcapy

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"github.com/google/gopacket/layers"
)

// prefixRecs mixes packets shorter and longer than ClassifyPrefix, with
// VLAN tags, TCP options-sized headers and payloads on either side of it.
func prefixRecs() []rec {
	var recs []rec
	for i := 0; i < 300; i++ {
		src, dst := [4]byte{10, 0, byte(i % 7), 1}, [4]byte{10, 1, 0, byte(i % 5)}
		frame := l4Frame(src, dst, 6, uint16(1000+i%9), 80, byte(0x18-(i%3)*0x08), (i*37)%1400)
		switch i % 4 {
		case 1:
			frame = vlan(frame, 0x8100)
		case 2:
			frame = vlan(l4Frame(src, dst, 17, 53, uint16(i), 0, (i*53)%900), 0x88a8, 0x8100)
		}
		recs = append(recs, rec{sec: 1700000000, nsec: i * 1000, data: frame})
	}
	return recs
}

// pcap files re-read packets with pread, pcapng ones through libpcap.
func TestReadBatchPrefixCutsPacketsRereadsThemWholeAndRewinds(t *testing.T) {
	recs := prefixRecs()
	dir := t.TempDir()
	testPrefixRead(t, recs, writePcap(t, filepath.Join(dir, "p.pcap"), layers.LinkTypeEthernet, 65535, false, recs))
	testPrefixRead(t, recs, writePcapng(t, filepath.Join(dir, "p.pcapng"), layers.LinkTypeEthernet, recs))
}

func testPrefixRead(t *testing.T, recs []rec, path string) {
	r := open(t, path, Micro)
	var b Batch
	n, err := r.ReadBatchPrefix(&b, 64, 0, true)
	if err != nil || n != 64 {
		t.Fatalf("ReadBatchPrefix: %d, %v", n, err)
	}
	for i := 0; i < n; i++ {
		caplen, data := b.Data(i)
		whole := recs[i].data
		if caplen != len(whole) || len(data) != min(len(whole), ClassifyPrefix) || !bytes.Equal(data, whole[:len(data)]) {
			t.Fatalf("packet %d: caplen %d, %d bytes", i, caplen, len(data))
		}
		dst := make([]byte, caplen)
		if err := r.ReadPacketAt(&b, i, dst); err != nil || !bytes.Equal(dst, whole) {
			t.Fatalf("ReadPacketAt(%d): %v", i, err)
		}
	}
	// Handing packets 10.. back moves the file back: they come again, whole.
	if err := r.Unread(&b, 10, n); err != nil {
		t.Fatal(err)
	}
	got, err := readAllNext(t, r)
	if err != io.EOF || len(got) != len(recs)-10 {
		t.Fatalf("after Unread: %d packets, %v", len(got), err)
	}
	for i, p := range got {
		if !bytes.Equal(p.data, recs[10+i].data) {
			t.Fatalf("packet %d differs after Unread", 10+i)
		}
	}
}

func TestAPacketsFirstClassifyPrefixBytesDecideItsClass(t *testing.T) {
	for _, profile := range []Profile{ProfileGeneric, ProfileSecurity} {
		for _, l2 := range []int{0, 14, MaxL2Offset} {
			cfg := DefaultClassifierConfig()
			cfg.Profile, cfg.L2Offset, cfg.FlowCutoff = profile, l2, 2
			cfg.AddrSet = []byte{10, 1, 0, 3}
			whole, _ := NewClassifier(cfg)
			cut, _ := NewClassifier(cfg)
			for i, r := range prefixRecs() {
				if a, b := whole.Classify(r.data), cut.Classify(r.data[:min(len(r.data), ClassifyPrefix)]); a != b {
					t.Fatalf("profile %d l2 %d packet %d: class %d whole, %d cut", profile, l2, i, a, b)
				}
			}
		}
	}
}

func TestReadBatchPrefixGivesTheFilteredPacketsToTheEnd(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "p.pcap"), layers.LinkTypeEthernet, 65535, false, prefixRecs())
	read := func(prefix bool) (caplens []int, heads [][]byte) {
		r := open(t, path, Micro)
		if err := r.SetFilter("tcp"); err != nil {
			t.Fatal(err)
		}
		var b Batch
		for {
			var n int
			var err error
			if prefix {
				n, err = r.ReadBatchPrefix(&b, 50, 0, false)
			} else {
				n, err = r.ReadBatch(&b, 50, 0)
			}
			for i := 0; i < n; i++ {
				caplen, data := b.Data(i)
				caplens = append(caplens, caplen)
				heads = append(heads, append([]byte(nil), data[:min(len(data), ClassifyPrefix)]...))
			}
			if err == io.EOF {
				return caplens, heads
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	wantLens, wantHeads := read(false)
	gotLens, gotHeads := read(true)
	if len(wantLens) != 150 || len(gotLens) != len(wantLens) {
		t.Fatalf("%d packets with ReadBatch, %d with ReadBatchPrefix", len(wantLens), len(gotLens))
	}
	for i := range wantLens {
		if gotLens[i] != wantLens[i] || !bytes.Equal(gotHeads[i], wantHeads[i]) {
			t.Fatalf("packet %d differs", i)
		}
	}
}
