package pybridge

import (
	"encoding/binary"
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
func Close(h int) (rc int, err error) {
	defer guard(&err)
	if rd, ok := readers.remove(h); ok {
		rd.r.Close()
	}
	return 0, nil
}

// BatchBytes returns the records and data of the last read (ReadInto): a
// batch that did not fit in Python's buffer.
func BatchBytes(h int) (b []byte, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return nil, kinded(err)
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.batch.Len() == 0 {
		return nil, internalError("no batch")
	}
	// A copy: gopy converts it to bytes after this returns, when the next
	// read (another thread) may already reuse the buffer.
	return append([]byte(nil), rd.batch.Bytes()...), nil
}

// SetFilter sets a filter; Python still holds `unconsumed` packets of the
// last batch, which come back filtered from the next read. It returns 0:
// functions Python calls often return (int, error), because gopy leaks the C
// string it makes for a function that returns only an error or a string.
func SetFilter(h int, expr string, unconsumed int) (rc int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return 0, kinded(rd.r.SetFilterKeep(expr, &rd.batch, unconsumed))
}

// Datalink returns the link type (-3 before activation).
func Datalink(h int) (dlt int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	dlt, err = rd.r.Datalink()
	return dlt, kinded(err)
}

// NetMask returns the network (which 0) or netmask (which 1) as
// pcap_lookupnet stores it: its bytes in memory are the dotted quad's.
func NetMask(h, which int) (v int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	n, m, err := rd.r.Net()
	if err != nil {
		return 0, kinded(err)
	}
	if which == 1 {
		return int(m), nil
	}
	return int(n), nil
}

// Stats returns received, dropped and if_dropped as three native uint32.
func Stats(h int) (b []byte, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return nil, kinded(err)
	}
	recv, drop, ifdrop, err := rd.r.Stats()
	if err != nil {
		return nil, kinded(err)
	}
	b = make([]byte, 12)
	binary.NativeEndian.PutUint32(b, recv)
	binary.NativeEndian.PutUint32(b[4:], drop)
	binary.NativeEndian.PutUint32(b[8:], ifdrop)
	return b, nil
}

// SetNonblock sets non-blocking mode.
func SetNonblock(h int, on bool) (rc int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	return 0, kinded(rd.r.SetNonblock(on))
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
func SendPacket(h int, data []byte) (rc int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	return 0, kinded(rd.r.SendPacket(data))
}

// SetDirection sets the capture direction.
func SetDirection(h, d int) (rc int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	return 0, kinded(rd.r.SetDirection(d))
}

// SetFanout joins a PACKET_FANOUT group.
func SetFanout(h, group, kind int) (rc int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	return 0, kinded(rd.r.SetFanout(group, kind))
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

// Reader state bits of State; the read timeout in ms is State >> stateShift.
const (
	stateLive     = 1 << 0
	stateActive   = 1 << 1
	stateNonblock = 1 << 2
	stateNano     = 1 << 3
	stateShift    = 8
)

// State returns the reader's state, which Go owns and Python asks for when
// it needs it: bits stateLive, stateActive (opened, or activated), stateNonblock,
// stateNano (headers in nanoseconds), and the read timeout in milliseconds
// shifted left by stateShift (0: forever; negative: non-blocking).
func State(h int) (state int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	r := rd.r
	if r.Live() {
		state |= stateLive
	}
	if r.Activated() {
		state |= stateActive
	}
	if on, err := r.Nonblock(); err == nil && on {
		state |= stateNonblock
	}
	if r.Precision() == gopcapy.Nano {
		state |= stateNano
	}
	return state | int(r.Timeout()/time.Millisecond)<<stateShift, nil
}
