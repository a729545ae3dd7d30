package pybridge

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// OpenOffline opens a capture file; nano selects nanosecond timestamps.
func OpenOffline(path string, nano bool) (h int, err error) {
	defer guard(&err)
	prec := gopcapy.Micro
	if nano {
		prec = gopcapy.Nano
	}
	r, err := gopcapy.OpenOfflinePrecision(path, prec)
	if err != nil {
		return 0, kinded(err)
	}
	return readers.add(&reader{r: r}), nil
}

// OpenLive opens a device (pcap_open_live); toMs 0 waits forever.
func OpenLive(device string, snaplen, promisc, toMs int) (h int, err error) {
	defer guard(&err)
	r, err := gopcapy.OpenLive(device, snaplen, promisc != 0, time.Duration(toMs)*time.Millisecond)
	if err != nil {
		return 0, kinded(err)
	}
	r.StopOnSignal(true) // Python runs a Ctrl-C handler only between calls
	return readers.add(&reader{r: r}), nil
}

// Create makes a not yet activated handle (pcap_create).
func Create(device string) (h int, err error) {
	defer guard(&err)
	r, err := gopcapy.Create(device)
	if err != nil {
		return 0, kinded(err)
	}
	r.StopOnSignal(true)
	return readers.add(&reader{r: r}), nil
}

// Close closes a reader; unknown or closed handles are ignored.
func Close(h int) (err error) {
	defer guard(&err)
	if rd, ok := readers.remove(h); ok {
		rd.r.Close()
	}
	return nil
}

// ReadBatch reads up to maxN packets, waiting at most waitMs for the first on
// a live capture. It returns the count, 0 at the end of a file, or -1 when the
// wait expired; BatchBytes then gives the packets.
func ReadBatch(h, maxN, waitMs int) (n int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	n, err = rd.r.ReadBatch(&rd.batch, maxN, time.Duration(waitMs)*time.Millisecond)
	switch {
	case err == io.EOF:
		return 0, nil
	case err == gopcapy.ErrTimeout:
		return -1, nil
	}
	return n, kinded(err)
}

// BatchBytes returns the records and data of the last ReadBatch.
func BatchBytes(h int) (b []byte, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return nil, kinded(err)
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.batch.Len() == 0 {
		return nil, errors.New("InternalError: no batch")
	}
	// A copy: gopy converts it to bytes after this returns, when the next
	// ReadBatch (another thread) may already reuse the buffer.
	return append([]byte(nil), rd.batch.Bytes()...), nil
}

// SetFilter sets a filter; Python still holds `unconsumed` packets of the
// last batch, which come back filtered from the next ReadBatch.
func SetFilter(h int, expr string, unconsumed int) (err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return kinded(err)
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return kinded(rd.r.SetFilterKeep(expr, &rd.batch, unconsumed))
}

// Filter is SetFilter for Python; it returns 0. gopy leaks the C string it
// makes for the result of a function that returns only an error (a malloc per
// call: megabytes over many setfilter calls), not for (int, error).
func Filter(h int, expr string, unconsumed int) (zero int, err error) {
	return 0, SetFilter(h, expr, unconsumed)
}

// Datalink returns the link type (-3 before activation).
func Datalink(h int) (dlt int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	dlt, err = rd.r.LinkType()
	return dlt, kinded(err)
}

// Snaplen returns the snapshot length.
func Snaplen(h int) (n int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	n, err = rd.r.Snaplen()
	return n, kinded(err)
}

// NetMask returns "net mask" as dotted quads.
func NetMask(h int) (s string, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return "", kinded(err)
	}
	n, m, err := rd.r.Net()
	if err != nil {
		return "", kinded(err)
	}
	return dotted(n) + " " + dotted(m), nil
}

// dotted formats an address as pcap_lookupnet stores it (first octet first
// in memory, i.e. the low byte on little-endian machines).
func dotted(v uint32) string {
	return fmt.Sprintf("%d.%d.%d.%d", byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// Stats returns "received dropped if_dropped".
func Stats(h int) (s string, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return "", kinded(err)
	}
	recv, drop, ifdrop, err := rd.r.Stats()
	if err != nil {
		return "", kinded(err)
	}
	return fmt.Sprintf("%d %d %d", recv, drop, ifdrop), nil
}

// SetNonblock sets non-blocking mode.
func SetNonblock(h int, on bool) (err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return kinded(err)
	}
	return kinded(rd.r.SetNonblock(on))
}

// GetNonblock returns 1 in non-blocking mode, else 0.
func GetNonblock(h int) (v int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	on, err := rd.r.Nonblock()
	if on {
		v = 1
	}
	return v, kinded(err)
}

// Fd returns the selectable file descriptor.
func Fd(h int) (fd int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return -1, kinded(err)
	}
	fd, err = rd.r.Fd()
	return fd, kinded(err)
}

// SendPacket transmits a frame.
func SendPacket(h int, data []byte) (err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return kinded(err)
	}
	return kinded(rd.r.SendPacket(data))
}

// SetDirection sets the capture direction.
func SetDirection(h, d int) (err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return kinded(err)
	}
	return kinded(rd.r.SetDirection(d))
}

// SetFanout joins a PACKET_FANOUT group.
func SetFanout(h, group, kind int) (err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return kinded(err)
	}
	return kinded(rd.r.SetFanout(group, kind))
}

// Setting applies a pre-activation setting by name and returns libpcap's
// status (never an error, as pcapy's set_* methods).
func Setting(h int, name string, v int) (rc int) {
	defer guardInt(&rc)
	rd, err := getReader(h)
	if err != nil {
		return -1
	}
	switch name {
	case "snaplen":
		return rd.r.SetSnaplen(v)
	case "promisc":
		return rd.r.SetPromisc(v)
	case "timeout":
		return rd.r.SetTimeout(v)
	case "buffer_size":
		return rd.r.SetBufferSize(v)
	case "rfmon":
		return rd.r.SetRfmon(v)
	case "immediate_mode":
		return rd.r.SetImmediateMode(v)
	case "precision":
		return rd.r.SetPrecision(gopcapy.Precision(v))
	}
	return -1
}

// Activate activates a created handle and returns libpcap's status.
func Activate(h int) (rc int) {
	defer guardInt(&rc)
	rd, err := getReader(h)
	if err != nil {
		return -1
	}
	return rd.r.Activate()
}

// TimeoutMs returns the packet buffer timeout in milliseconds (0: forever).
func TimeoutMs(h int) (ms int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	return int(rd.r.Timeout() / time.Millisecond), nil
}

// IsLive reports whether the reader captures from a device.
func IsLive(h int) (live bool, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return false, kinded(err)
	}
	return rd.r.Live(), nil
}

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
