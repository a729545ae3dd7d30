package pybridge

import (
	"encoding/json"
	"net"
	"strings"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// FindAllDevs returns device names separated by newlines.
func FindAllDevs() (s string, err error) {
	defer guard(&err)
	names, err := gopcapy.FindAllDevs()
	if err != nil {
		return "", kinded(err)
	}
	return strings.Join(names, "\n"), nil
}

// LookupDev returns the first capture device.
func LookupDev() (s string, err error) {
	defer guard(&err)
	s, err = gopcapy.LookupDev()
	return s, kinded(err)
}

// LibVersion returns libpcap's version string.
func LibVersion() string { return gopcapy.LibVersion() }

type jsonAddress struct {
	Addr      string `json:"addr"`
	Netmask   string `json:"netmask,omitempty"`
	Broadaddr string `json:"broadaddr,omitempty"`
	Dstaddr   string `json:"dstaddr,omitempty"`
}

type jsonInterface struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Flags       uint32        `json:"flags"`
	Addresses   []jsonAddress `json:"addresses"`
}

func ipText(ip net.IP) string {
	if ip == nil {
		return ""
	}
	return ip.String()
}

// Interfaces returns the capture devices as JSON (one call, any number of devices).
func Interfaces() (s string, err error) {
	defer guard(&err)
	ifs, err := gopcapy.Interfaces()
	if err != nil {
		return "", kinded(err)
	}
	out := make([]jsonInterface, 0, len(ifs))
	for _, ifc := range ifs {
		j := jsonInterface{Name: ifc.Name, Description: ifc.Description, Flags: ifc.Flags,
			Addresses: []jsonAddress{}}
		for _, a := range ifc.Addresses {
			j.Addresses = append(j.Addresses, jsonAddress{
				Addr: ipText(a.IP), Netmask: ipText(net.IP(a.Netmask)),
				Broadaddr: ipText(a.Broadaddr), Dstaddr: ipText(a.P2P),
			})
		}
		out = append(out, j)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", kinded(err)
	}
	return string(b), nil
}
