package gopcapy

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Both gopacket sources give every packet of the file, with its time stamp
// in the reader's precision and its lengths, then io.EOF.
func TestGopacketSourcesReadTheFile(t *testing.T) {
	recs := mixed(600) // more than one batch
	recs[3].wire = 1500
	path := writePcap(t, filepath.Join(t.TempDir(), "a.pcap"), layers.LinkTypeEthernet, 65535, true, recs)
	sources := map[string]func(*Reader) ([]byte, gopacket.CaptureInfo, error){
		"ReadPacketData":         (*Reader).ReadPacketData,
		"ZeroCopyReadPacketData": (*Reader).ZeroCopyReadPacketData,
	}
	for name, read := range sources {
		for _, prec := range []Precision{Micro, Nano} {
			r := open(t, path, prec)
			for i, want := range recs {
				data, ci, err := read(r)
				if err != nil {
					t.Fatalf("%s prec %d packet %d: %v", name, prec, i, err)
				}
				wantTs := want.ci().Timestamp
				if prec == Micro {
					wantTs = wantTs.Truncate(1000)
				}
				if !bytes.Equal(data, want.data) || !ci.Timestamp.Equal(wantTs) ||
					ci.CaptureLength != len(want.data) || ci.Length != want.wireLen() {
					t.Fatalf("%s prec %d packet %d: %v %d bytes, want %v %d bytes (%+v)",
						name, prec, i, ci.Timestamp, len(data), wantTs, len(want.data), ci)
				}
			}
			_, _, err := read(r)
			wantEOF(t, err)
		}
	}
}

// ReadPacketData's data is the caller's: later reads do not overwrite it.
func TestReadPacketDataIsACopy(t *testing.T) {
	recs := mixed(3)
	path := writePcap(t, filepath.Join(t.TempDir(), "a.pcap"), layers.LinkTypeEthernet, 65535, false, recs)
	r := open(t, path, Micro)
	first, _, err := r.ReadPacketData()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := r.ReadPacketData(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(first, recs[0].data) {
		t.Fatal("the first packet's data changed after later reads")
	}
}

// A closed reader ends a PacketSource (io.EOF, as gopacket's pcap.Handle
// does) instead of making it retry forever.
func TestGopacketSourceEndsWhenClosed(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "a.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(2))
	r := open(t, path, Micro)
	r.Close()
	_, _, err := r.ReadPacketData()
	wantEOF(t, err)
	_, _, err = r.ZeroCopyReadPacketData()
	wantEOF(t, err)
	if lt := r.LinkType(); lt != layers.LinkTypeNull {
		t.Fatalf("LinkType of a closed reader = %v", lt)
	}
}

// NewPacketSource decodes with the reader's link type: Ethernet and Linux SLL.
func TestNewPacketSourceDecodes(t *testing.T) {
	for _, tc := range []struct {
		lt    layers.LinkType
		frame func([]byte) []byte
	}{{layers.LinkTypeEthernet, eth}, {layers.LinkTypeLinuxSLL, sll}} {
		recs := []rec{{sec: 1700000000, data: tc.frame(ipv4(protoUDP, 8))}}
		path := writePcap(t, filepath.Join(t.TempDir(), "a.pcap"), tc.lt, 65535, false, recs)
		r := open(t, path, Micro)
		if got := r.LinkType(); got != tc.lt {
			t.Fatalf("LinkType = %v, want %v", got, tc.lt)
		}
		var n int
		for pkt := range gopacket.NewPacketSource(r, r.LinkType()).Packets() {
			if pkt.Layer(layers.LayerTypeUDP) == nil {
				t.Fatalf("%v: no UDP layer in %v", tc.lt, pkt)
			}
			n++
		}
		if n != 1 {
			t.Fatalf("%v: %d packets, want 1", tc.lt, n)
		}
	}
}
