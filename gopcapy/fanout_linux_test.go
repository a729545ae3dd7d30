package gopcapy

import (
	"path/filepath"
	"testing"

	"github.com/google/gopacket/layers"
)

func TestFanoutNeedsALiveCapture(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "a.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(1))
	wantPcapError(t, open(t, path, Micro).SetFanout(1, 0), "") // the wording is the project's own
}
