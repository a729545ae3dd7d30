package gopcapy

// Capture devices (pcap_findalldevs) and the libpcap version.

import (
	"net"

	"github.com/google/gopacket/pcap"
)

// Interface is a capture device as pcap_findalldevs describes it.
type Interface struct {
	Name        string
	Description string
	Flags       uint32 // PCAP_IF_* flags
	Addresses   []InterfaceAddress
}

// InterfaceAddress is one IPv4 or IPv6 address of an Interface.
type InterfaceAddress struct {
	IP        net.IP
	Netmask   net.IPMask // nil when unknown
	Broadaddr net.IP     // nil when none
	P2P       net.IP     // point-to-point destination, nil when none
}

// Interfaces lists the capture devices with their descriptions and addresses.
func Interfaces() ([]Interface, error) {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		return nil, pcapErr(err.Error())
	}
	out := make([]Interface, 0, len(devs))
	for _, d := range devs {
		ifc := Interface{Name: d.Name, Description: d.Description, Flags: d.Flags}
		for _, a := range d.Addresses {
			ifc.Addresses = append(ifc.Addresses, InterfaceAddress{
				IP: a.IP, Netmask: a.Netmask, Broadaddr: a.Broadaddr, P2P: a.P2P,
			})
		}
		out = append(out, ifc)
	}
	return out, nil
}

// FindAllDevs returns the names of the devices libpcap can capture on.
func FindAllDevs() ([]string, error) {
	ifs, err := pcap.FindAllDevs()
	if err != nil {
		return nil, pcapErr(err.Error())
	}
	names := make([]string, len(ifs))
	for i, ifc := range ifs {
		names[i] = ifc.Name
	}
	return names, nil
}

// LookupDev returns the first device FindAllDevs lists.
func LookupDev() (string, error) {
	names, err := FindAllDevs()
	if err != nil {
		return "", err
	}
	if len(names) == 0 {
		return "", pcapErr("no suitable device found")
	}
	return names[0], nil
}

// LibVersion returns libpcap's version string.
func LibVersion() string { return pcap.Version() }
