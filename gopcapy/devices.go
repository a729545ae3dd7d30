package gopcapy

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

// DatalinkName returns libpcap's name of a link type ("EN10MB"), "" if unknown.
func DatalinkName(dlt int) string { return pcap.DatalinkValToName(dlt) }

// DatalinkDescription returns libpcap's description of a link type ("Ethernet").
func DatalinkDescription(dlt int) string { return pcap.DatalinkValToDescription(dlt) }

// DatalinkValue returns the link type of a name ("EN10MB" → 1), -1 if unknown.
func DatalinkValue(name string) int { return pcap.DatalinkNameToVal(name) }
