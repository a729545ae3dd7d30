package gopcapy_test

import (
	"fmt"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// A Reader is a gopacket packet source: gopacket decodes what gopcapy reads.
func ExampleReader_gopacket() {
	r, done := exampleReader()
	defer done()
	src := gopacket.NewPacketSource(r, r.LinkType())
	for pkt := range src.Packets() {
		ip := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		fmt.Println(pkt.Metadata().Timestamp.UTC().Format("15:04:05.000"), ip.Protocol)
	}
	// Output:
	// 22:13:20.123 ICMPv4
	// 22:13:21.623 UDP
	// 22:13:23.123 ICMPv4
	// 22:13:24.623 UDP
	// 22:13:26.123 ICMPv4
}
