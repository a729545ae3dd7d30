package gopcapy

import "testing"

func TestInterfacesDescribeLoopback(t *testing.T) {
	ifs, err := Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifc := range ifs {
		if ifc.Name != "lo" {
			continue
		}
		for _, a := range ifc.Addresses {
			if a.IP.String() == "127.0.0.1" {
				if ones, bits := a.Netmask.Size(); ones != 8 || bits != 32 {
					t.Errorf("lo's 127.0.0.1 has netmask %v, want /8", a.Netmask)
				}
				return
			}
		}
		t.Fatalf("lo has no 127.0.0.1 among %+v", ifc.Addresses)
	}
	t.Skip("no lo device here")
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
