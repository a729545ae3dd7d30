//go:build linux

package gopcapy

import (
	"fmt"
	"syscall"
)

// Linux packet socket options for SetFanout.
const (
	solPacket    = 263
	packetFanout = 18
)

// SetFanout joins the capture socket to a Linux PACKET_FANOUT group, so
// several readers share the device's packets.
func (r *Reader) SetFanout(group, kind int) error {
	if err := r.lock(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	if !r.live || !r.active {
		return pcapErr("no socket fd for this capture (PACKET_FANOUT needs a live AF_PACKET capture, not an offline pcap)")
	}
	fd := selectableFd(r.p)
	if fd < 0 {
		return pcapErr("capture has no socket")
	}
	if err := syscall.SetsockoptInt(fd, solPacket, packetFanout, (group&0xffff)|(kind<<16)); err != nil {
		// pcapy-ng's words: Python's OSError arguments, "(22, 'Invalid argument')".
		errno, _ := err.(syscall.Errno)
		return pcapErr(fmt.Sprintf("(%d, '%s')", int(errno), errnoText(errno)))
	}
	return nil
}
