package gopcapy

import (
	"slices"
	"strings"
	"testing"
)

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

func TestFindAllDevsListsLoopback(t *testing.T) {
	names, err := FindAllDevs()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Skip("libpcap sees no devices here")
	}
	if !slices.Contains(names, "lo") {
		t.Errorf("FindAllDevs() = %v, want it to list lo", names)
	}
	// Other tests may add and remove devices meanwhile: no exact comparison.
	if dev, err := LookupDev(); dev == "" || err != nil {
		t.Errorf("LookupDev() = %q, %v; want a device", dev, err)
	}
}

func TestLibVersionNamesLibpcap(t *testing.T) {
	if v := LibVersion(); !strings.HasPrefix(v, "libpcap version ") {
		t.Errorf("LibVersion() = %q", v)
	}
}
