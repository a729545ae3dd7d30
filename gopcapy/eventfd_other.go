//go:build !linux

package gopcapy

// Without eventfd (eventfd_linux.go): Close cannot interrupt a live wait, which
// then runs to the end of its slice, and pcap_create's descriptors are not
// looked for.

func libpcapEventfds() (fds map[int]bool, ok bool) { return nil, false }

func newWakeFd() int { return -1 }

func wakeUp(wake int) {}
