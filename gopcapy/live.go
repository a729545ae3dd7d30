package gopcapy

import (
	"sync"
	"time"

	"github.com/google/gopacket/pcap"
)

// OpenLive opens a network device for capturing, like pcap_open_live.
// timeout is libpcap's packet buffer timeout; 0 waits forever. Reads wait in
// short slices, so Close from another goroutine ends them promptly.
func OpenLive(device string, snaplen int, promisc bool, timeout time.Duration) (*Reader, error) {
	h, err := pcap.OpenLive(device, int32(snaplen), promisc, bufferTimeout(timeout))
	if err != nil {
		return nil, pcapErr(err.Error())
	}
	r := newReader(cptrOf(h), h.Close, Micro, false)
	r.live, r.device, r.timeout = true, device, timeout
	if err := r.activated(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Create makes a capture handle for a device that is configured with the
// Set* methods and then activated with Activate (pcap_create). An unknown
// device is accepted here; Activate then returns -5.
func Create(device string) (*Reader, error) {
	h, createFd, err := newInactiveHandle(device)
	if err != nil {
		return nil, pcapErr(err.Error())
	}
	r := newReader(cptrOf(h), h.CleanUp, Micro, false)
	r.live, r.device, r.createFd = true, device, createFd
	setTimeout(r.p, bufferTimeoutMs(0)) // libpcap's default, 0, never delivers on fast links (see bufferTimeout)
	return r, nil
}

// createMu makes the eventfd a pcap_create makes identifiable: only one
// pcap_create runs at a time between the two listings.
var createMu sync.Mutex

// newInactiveHandle is pcap_create, plus the descriptor of the eventfd that
// libpcap up to 1.10.4 makes in pcap_create and closes only when the handle
// was activated (-1 if none was made or it cannot be told): Close closes it
// for a handle never activated, or every create()+close() would leak one.
func newInactiveHandle(device string) (*pcap.InactiveHandle, int, error) {
	createMu.Lock()
	defer createMu.Unlock()
	before, ok := libpcapEventfds()
	h, err := pcap.NewInactiveHandle(device)
	if err != nil || !ok {
		return h, -1, err
	}
	after, ok := libpcapEventfds()
	if !ok {
		return h, -1, nil
	}
	made := -1
	for fd := range after {
		if !before[fd] {
			if made >= 0 {
				return h, -1, nil // more than one: not ours to tell
			}
			made = fd
		}
	}
	return h, made, nil
}

// libpcap's packet buffer timeout, the block timeout of Linux TPACKET_V3:
// captured packets become readable only when the kernel retires a block, when
// it is full or when this timeout expires. libpcap uses the read timeout for
// it, which pcapy users meet in two ways:
//
//   - to_ms=0 (wait forever) lets the kernel pick the block timeout, and it
//     picks 0, never, on links of 10 Gb/s and more (veth included): a quiet
//     interface delivered nothing at all until 8 blocks of packets had come.
//     Here such handles get forBlockingReads, about what the kernel picks for
//     1 Gb/s links.
//   - to_ms=1000 (a common choice) delivers packets up to a second late. Here
//     the block timeout is at most maxBufferTimeout; the read timeout (how long
//     Next and Dispatch wait) stays to_ms, kept by the Reader.
//
// The bound is not lower because a block retired by its timeout is only partly
// filled, and libpcap's default ring has 8 blocks: at low packet rates it holds
// 8 block timeouts of traffic, what a program busy elsewhere may take later
// without losing packets (800 ms here, 8 s with pcapy's to_ms=1000).
const (
	maxBufferTimeout = 100 * time.Millisecond
	forBlockingReads = 10 * time.Millisecond
)

// bufferTimeout is the packet buffer timeout libpcap gets for a read timeout.
func bufferTimeout(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		return forBlockingReads
	}
	return min(timeout, maxBufferTimeout)
}

func bufferTimeoutMs(ms int) int {
	return int(bufferTimeout(time.Duration(ms)*time.Millisecond).Round(time.Millisecond) / time.Millisecond)
}

// activated finishes opening a live handle: reads never block inside libpcap
// (the reader waits on the selectable fd itself), and the net and mask are
// looked up as pcapy does (0 when that fails). A negative timeout means
// non-blocking mode, as libpcap makes it.
func (r *Reader) activated() error {
	r.active = true
	if r.timeout < 0 {
		r.nonblock = true
	}
	r.setHandlePrecision(tstampPrecision(r.p) == int(Nano))
	if err := setNonblock(r.p, true); err != nil {
		return pcapErr(err.Error())
	}
	r.net, r.mask, _ = lookupNet(r.device)
	if r.wake < 0 {
		r.wake = newWakeFd()
	}
	return nil
}

// setting runs a pcap_set_* call on a created handle and returns its status;
// then, if it succeeded, runs done under the reader's lock.
func (r *Reader) setting(set func(pcapT, int) int, v int, done func()) int {
	if err := r.lock(); err != nil {
		return -1
	}
	defer r.mu.Unlock()
	rc := set(r.p, v)
	if rc == 0 && done != nil {
		done()
	}
	return rc
}

// SetSnaplen sets the snapshot length before activation (libpcap's status).
func (r *Reader) SetSnaplen(v int) int { return r.setting(setSnaplen, v, nil) }

// SetPromisc sets promiscuous mode before activation.
func (r *Reader) SetPromisc(v int) int { return r.setting(setPromisc, v, nil) }

// SetBufferSize sets the kernel buffer size before activation.
func (r *Reader) SetBufferSize(v int) int { return r.setting(setBufferSize, v, nil) }

// SetRfmon sets monitor mode before activation.
func (r *Reader) SetRfmon(v int) int { return r.setting(setRfmon, v, nil) }

// SetImmediateMode delivers packets as they arrive, before activation.
func (r *Reader) SetImmediateMode(v int) int { return r.setting(setImmediate, v, nil) }

// SetTimeout sets the read timeout in milliseconds before activation: how
// long Next and Dispatch wait for a packet (0: forever; negative: the handle
// is activated in non-blocking mode, as libpcap does). libpcap's packet buffer
// timeout is set to at most maxBufferTimeout.
func (r *Reader) SetTimeout(ms int) int {
	return r.setting(func(p pcapT, ms int) int {
		if rc := setTimeout(p, ms); rc != 0 { // activated: libpcap's -4
			return rc
		}
		return setTimeout(p, bufferTimeoutMs(ms))
	}, ms, func() { r.timeout = time.Duration(ms) * time.Millisecond })
}

// SetPrecision asks for nanosecond or microsecond timestamps before
// activation; it returns libpcap's status.
func (r *Reader) SetPrecision(p Precision) int {
	return r.setting(setPrecision, int(p), func() { r.prec = p })
}

// Activate activates a created handle and returns libpcap's status: 0, a
// positive warning, or a negative error such as -4 (already activated) or
// -5 (no such device). After a failure it returns the same status again:
// libpcap cannot retry an activation (it crashes), nor can pcapy.
func (r *Reader) Activate() int {
	if err := r.lock(); err != nil {
		return -1
	}
	defer r.mu.Unlock()
	if r.actErr < 0 {
		return r.actErr
	}
	rc := activate(r.p)
	r.createFd = -1 // activated or failed: libpcap closes it (pcap_cleanup_linux)
	if rc < 0 && rc != statusActivated {
		r.actErr = rc
	}
	if rc >= 0 {
		if r.activated() != nil {
			return -1
		}
	}
	return rc
}

// Activated reports whether the handle captures: opened by OpenLive or
// OpenOffline, or activated.
func (r *Reader) Activated() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active
}

// statusActivated is libpcap's PCAP_ERROR_ACTIVATED.
const statusActivated = -4

// StopOnSignal makes a live wait that a signal interrupts return ErrTimeout
// at once, so that the caller can handle the signal and read again: an
// interpreter runs its Ctrl-C handler only when the call returns. Without it,
// the wait goes on to its end.
func (r *Reader) StopOnSignal(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sigStop = on
}

// Timeout returns the read timeout (0: wait forever; negative: non-blocking).
func (r *Reader) Timeout() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.timeout
}

// Live reports whether the reader captures from a device.
func (r *Reader) Live() bool { return r.live }

// SetNonblock sets non-blocking mode: reads return at once when nothing is
// ready. Capture files refuse it, with libpcap's message.
func (r *Reader) SetNonblock(on bool) error {
	if err := r.lock(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	if !r.live {
		if err := setNonblock(r.p, on); err != nil {
			return pcapErr(err.Error())
		}
		return nil
	}
	r.nonblock = on
	return nil
}

// Nonblock reports non-blocking mode.
func (r *Reader) Nonblock() (bool, error) {
	if err := r.lock(); err != nil {
		return false, err
	}
	defer r.mu.Unlock()
	if !r.live {
		on, err := getNonblock(r.p)
		if err != nil {
			return false, pcapErr(err.Error())
		}
		return on, nil
	}
	return r.nonblock, nil
}

// Fd returns a descriptor that select/poll report readable when packets may
// be ready (pcap_get_selectable_fd).
func (r *Reader) Fd() (int, error) {
	if err := r.lock(); err != nil {
		return -1, err
	}
	defer r.mu.Unlock()
	return selectableFd(r.p), nil
}

// Stats returns packets received, dropped by libpcap, and dropped by the
// interface. Capture files have none (libpcap's error).
func (r *Reader) Stats() (recv, drop, ifdrop uint32, err error) {
	if err := r.lock(); err != nil {
		return 0, 0, 0, err
	}
	defer r.mu.Unlock()
	recv, drop, ifdrop, err = stats(r.p)
	if err != nil {
		return 0, 0, 0, pcapErr(err.Error())
	}
	return recv, drop, ifdrop, nil
}

// SendPacket transmits a raw frame on the device.
func (r *Reader) SendPacket(data []byte) error {
	if err := r.lock(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	if err := sendPacket(r.p, data); err != nil {
		return pcapErr(err.Error())
	}
	return nil
}

// SetDirection limits capture to one direction (PCAP_D_IN, _OUT, _INOUT).
// As in pcapy, only libpcap's plain failure (-1, e.g. a bad direction) is an
// error: on a handle not yet activated the call does nothing.
func (r *Reader) SetDirection(d int) error {
	if err := r.lock(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	if setDirection(r.p, d) == -1 {
		return pcapErr("Failed setting direction")
	}
	return nil
}
