package gopcapy

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/gopacket/layers"
)

func TestListDatalinksOfAFileIsItsLinkType(t *testing.T) {
	for _, lt := range []int{dltEthernet, dltSLL} {
		path := writePcap(t, filepath.Join(t.TempDir(), "x.pcap"), layers.LinkType(lt), 65535, false, mixed(2))
		dlts, err := open(t, path, Micro).ListDatalinks()
		if err != nil || !slices.Equal(dlts, []int{lt}) {
			t.Errorf("ListDatalinks = %v, %v; want [%d]", dlts, err, lt)
		}
	}
}

func TestSetDatalinkToAnUnsupportedTypeIsAnError(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "x.pcap"), layers.LinkType(dltEthernet), 65535, false, mixed(2))
	r := open(t, path, Micro)
	if err := r.SetDatalink(dltEthernet); err != nil {
		t.Errorf("SetDatalink(own type) = %v, want nil", err)
	}
	wantPcapError(t, r.SetDatalink(dltRaw), "")
	if lt, _ := r.Datalink(); lt != dltEthernet {
		t.Errorf("LinkType after a refused SetDatalink = %d", lt)
	}
}

func TestDatalinkNamesAndValues(t *testing.T) {
	tests := []struct {
		dlt        int
		name, desc string
	}{
		{dltEthernet, "EN10MB", "Ethernet"},
		{dltRaw, "RAW", "Raw IP"},
		{dltSLL, "LINUX_SLL", "Linux cooked v1"},
	}
	for _, tt := range tests {
		if got := DatalinkName(tt.dlt); got != tt.name {
			t.Errorf("DatalinkName(%d) = %q, want %q", tt.dlt, got, tt.name)
		}
		if got := DatalinkDescription(tt.dlt); got != tt.desc {
			t.Errorf("DatalinkDescription(%d) = %q, want %q", tt.dlt, got, tt.desc)
		}
		if got := DatalinkValue(tt.name); got != tt.dlt {
			t.Errorf("DatalinkValue(%q) = %d, want %d", tt.name, got, tt.dlt)
		}
	}
	if DatalinkName(99999) != "" || DatalinkDescription(99999) != "" || DatalinkValue("NO_SUCH_DLT") != -1 {
		t.Error(`unknown link types must give "", "" and -1`)
	}
}
