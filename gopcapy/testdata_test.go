package gopcapy

import (
	"bytes"
	"encoding/binary"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the committed files in testdata/")

// testdataRecs are the packets of the committed captures: small ICMP echoes
// with whole-microsecond timestamps.
func testdataRecs() []rec {
	recs := make([]rec, 3)
	for i := range recs {
		recs[i] = rec{sec: 1700000000 + int64(i), nsec: 250000 * 1000 * i, data: eth(ipv4(protoICMP, 8))}
	}
	return recs
}

// testdataFiles are the tiny captures kept in testdata/, built here so their
// content is documented: `go test -run TestTestdata -update` rewrites them.
func testdataFiles() map[string][]byte {
	truncated := pcapBytes(binary.LittleEndian, false, 65535, 1, testdataRecs())
	return map[string][]byte{
		// Big-endian microsecond pcap, two Ethernet ICMP packets.
		"be_icmp.pcap": pcapBytes(binary.BigEndian, false, 65535, 1, testdataRecs()[:2]),
		// Three packets, the last one cut 20 bytes short.
		"truncated.pcap": truncated[:len(truncated)-20],
		// A pcap header whose magic is AB AD 1D EA: "unknown file format".
		"bad_magic.pcap": append([]byte{0xab, 0xad, 0x1d, 0xea}, pcapBytes(binary.LittleEndian, false, 65535, 1, nil)[4:]...),
	}
}

func TestTestdataFilesMatchTheirGenerator(t *testing.T) {
	for name, want := range testdataFiles() {
		path := filepath.Join("testdata", name)
		if *update {
			writeFile(t, path, want)
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestTestdata -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from testdataFiles(); run go test -run TestTestdata -update", path)
		}
	}
}
