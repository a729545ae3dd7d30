package gopcapy

// The libpcap*.go files are the only ones that call libpcap directly.
// gopacket/pcap opens and closes handles; everything it does not expose lives
// here, each call wrapped in a small function returning plain Go values:
// this file has the handle's settings and queries (create/activate return
// codes, non-blocking mode, the selectable fd and waiting on it, stats,
// pcap_lookupnet, link types, time stamp types, send); libpcap_batch.go
// reads batches of packets into the record layout (GP_REC_*), keeps savefile
// offsets and dumps records; libpcap_bpf.go compiles and runs filters.

/*
#cgo linux LDFLAGS: -lpcap
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <pcap.h>

// gp_wait_readable waits up to ms for fd to become readable or for wake (an
// eventfd, or -1) to be signalled; 1 when fd is readable, -1 when a signal
// interrupted the wait, else 0.
static int gp_wait_readable(int fd, int wake, int ms) {
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = wake, .events = POLLIN } };
	int r = poll(pfd, 2, ms);
	if (r < 0) return errno == EINTR ? -1 : 0;
	return r > 0 && (pfd[0].revents & POLLIN) ? 1 : 0;
}
*/
import "C"

import (
	"errors"
	"reflect"
	"syscall"
	"unsafe"
)

const errbufSize = 256 // PCAP_ERRBUF_SIZE

// pcapT is libpcap's handle; kept as unsafe.Pointer outside the libpcap*.go files.
type pcapT = unsafe.Pointer

// cptrOf returns the pcap_t that gopacket keeps unexported in a Handle or
// InactiveHandle (field "cptr"), so this package can call what gopacket lacks.
func cptrOf(h interface{}) pcapT {
	v := reflect.ValueOf(h).Elem().FieldByName("cptr")
	if !v.IsValid() {
		panic("gopacket handle has no cptr field")
	}
	return *(*unsafe.Pointer)(unsafe.Pointer(v.UnsafeAddr()))
}

func cp(p pcapT) *C.pcap_t { return (*C.pcap_t)(p) }

func geterr(p pcapT) string { return C.GoString(C.pcap_geterr(cp(p))) }

func snapshot(p pcapT) int        { return int(C.pcap_snapshot(cp(p))) }
func datalink(p pcapT) int        { return int(C.pcap_datalink(cp(p))) }
func tstampPrecision(p pcapT) int { return int(C.pcap_get_tstamp_precision(cp(p))) }

func setNonblock(p pcapT, on bool) error {
	var errbuf [errbufSize]C.char
	v := C.int(0)
	if on {
		v = 1
	}
	if C.pcap_setnonblock(cp(p), v, &errbuf[0]) < 0 {
		return errors.New(C.GoString(&errbuf[0]))
	}
	return nil
}

func getNonblock(p pcapT) (bool, error) {
	var errbuf [errbufSize]C.char
	r := C.pcap_getnonblock(cp(p), &errbuf[0])
	if r < 0 {
		return false, errors.New(C.GoString(&errbuf[0]))
	}
	return r == 1, nil
}

func selectableFd(p pcapT) int { return int(C.pcap_get_selectable_fd(cp(p))) }

// waitReadable polls fd for up to ms milliseconds, or until wake (an eventfd
// from newWakeFd, or -1) is signalled or a signal arrives; interrupted tells
// the last: the caller (Python: Ctrl-C) should get control back at once.
func waitReadable(fd, wake, ms int) (readable, interrupted bool) {
	r := C.gp_wait_readable(C.int(fd), C.int(wake), C.int(ms))
	return r > 0, r < 0
}

func closeFd(fd int) { C.close(C.int(fd)) }

func closeWakeFd(wake int) {
	if wake >= 0 {
		C.close(C.int(wake))
	}
}

// lookupNet returns the network and mask of a device in host byte order
// (as pcap_lookupnet gives them, network byte order in memory).
func lookupNet(device string) (netw, mask uint32, err error) {
	var errbuf [errbufSize]C.char
	cdev := C.CString(device)
	defer C.free(unsafe.Pointer(cdev))
	var n, m C.bpf_u_int32
	if C.pcap_lookupnet(cdev, &n, &m, &errbuf[0]) < 0 {
		return 0, 0, errors.New(C.GoString(&errbuf[0]))
	}
	return uint32(n), uint32(m), nil
}

func stats(p pcapT) (recv, drop, ifdrop uint32, err error) {
	var s C.struct_pcap_stat
	if C.pcap_stats(cp(p), &s) < 0 {
		return 0, 0, 0, errors.New(geterr(p))
	}
	return uint32(s.ps_recv), uint32(s.ps_drop), uint32(s.ps_ifdrop), nil
}

func sendPacket(p pcapT, data []byte) error {
	if len(data) == 0 {
		// libpcap's words, without the strerror of a stale errno it appends.
		return errors.New("The number of bytes to be sent must be positive")
	}
	if C.pcap_sendpacket(cp(p), (*C.u_char)(unsafe.Pointer(&data[0])), C.int(len(data))) < 0 {
		return errors.New(geterr(p))
	}
	return nil
}

func setDirection(p pcapT, d int) int { return int(C.pcap_setdirection(cp(p), C.pcap_direction_t(d))) }

// Settings of a created, not yet activated handle: libpcap's status codes.
func setSnaplen(p pcapT, v int) int    { return int(C.pcap_set_snaplen(cp(p), C.int(v))) }
func setPromisc(p pcapT, v int) int    { return int(C.pcap_set_promisc(cp(p), C.int(v))) }
func setTimeout(p pcapT, v int) int    { return int(C.pcap_set_timeout(cp(p), C.int(v))) }
func setBufferSize(p pcapT, v int) int { return int(C.pcap_set_buffer_size(cp(p), C.int(v))) }
func setRfmon(p pcapT, v int) int      { return int(C.pcap_set_rfmon(cp(p), C.int(v))) }
func setImmediate(p pcapT, v int) int  { return int(C.pcap_set_immediate_mode(cp(p), C.int(v))) }
func setPrecision(p pcapT, v int) int  { return int(C.pcap_set_tstamp_precision(cp(p), C.int(v))) }
func activate(p pcapT) int             { return int(C.pcap_activate(cp(p))) }

func breakloop(p pcapT) { C.pcap_breakloop(cp(p)) }

// listDatalinks returns the link types the capture supports (pcap_list_datalinks).
func listDatalinks(p pcapT) ([]int, error) {
	var list *C.int
	n := C.pcap_list_datalinks(cp(p), &list)
	if n < 0 {
		return nil, errors.New(geterr(p))
	}
	defer C.pcap_free_datalinks(list)
	out := make([]int, int(n))
	for i, v := range unsafe.Slice(list, int(n)) {
		out[i] = int(v)
	}
	return out, nil
}

// setDatalink selects a link type the capture supports (pcap_set_datalink).
func setDatalink(p pcapT, dlt int) error {
	if C.pcap_set_datalink(cp(p), C.int(dlt)) < 0 {
		return errors.New(geterr(p))
	}
	return nil
}

// listTstampTypes returns the names of the time stamp sources a created
// handle offers (pcap_list_tstamp_types; empty when it cannot choose).
func listTstampTypes(p pcapT) ([]string, error) {
	var list *C.int
	n := C.pcap_list_tstamp_types(cp(p), &list)
	if n < 0 {
		return nil, errors.New(geterr(p))
	}
	defer C.pcap_free_tstamp_types(list)
	out := make([]string, 0, int(n))
	for _, v := range unsafe.Slice(list, int(n)) {
		out = append(out, C.GoString(C.pcap_tstamp_type_val_to_name(v)))
	}
	return out, nil
}

// tstampTypeValue returns the value of a time stamp source name, -1 if unknown.
func tstampTypeValue(name string) int {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return int(C.pcap_tstamp_type_name_to_val(cname))
}

func setTstampType(p pcapT, v int) int { return int(C.pcap_set_tstamp_type(cp(p), C.int(v))) }

// errnoText gives strerror-style text ("No such file or directory").
func errnoText(e syscall.Errno) string { return C.GoString(C.strerror(C.int(e))) }
