package gopcapy

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/google/gopacket/pcap"
)

// fileBufferSize is the stdio buffer of capture files being read, given
// once a reader has read that much of its file: a reader that reads a few
// packets (thousands may be open) keeps stdio's 4 KiB.
const fileBufferSize = 256 << 10

// Precision selects the unit of Pkthdr.Frac.
type Precision int

// Timestamp precisions.
const (
	Micro Precision = 0 // Frac is microseconds (pcapy's behaviour)
	Nano  Precision = 1 // Frac is nanoseconds
)

// Pkthdr is a packet's record header, like libpcap's struct pcap_pkthdr.
type Pkthdr struct {
	Sec    int64  // seconds since the epoch
	Frac   uint32 // fraction of the second in the Reader's Precision
	Caplen uint32 // bytes captured
	Len    uint32 // bytes on the wire
}

// Reader reads packets from a capture file or a network interface.
// All methods are safe for concurrent use; Close may be called at any time.
type Reader struct {
	mu       sync.Mutex
	closed   atomic.Bool
	breaking atomic.Bool // Breakloop was called: Loop/Dispatch return
	p        pcapT
	closeFn  func()
	pend     pending
	prec     Precision
	fracDiv  uint32
	live     bool
	active   bool
	device   string
	timeout  time.Duration
	nonblock bool
	eof      bool
	readErr  error // delivered after the packets read before it
	net      uint32
	mask     uint32
	wake     int            // eventfd that Close signals to end a live wait; -1 if none
	createFd int            // libpcap's eventfd of a created, never activated handle; -1 if none
	actErr   int            // status of a failed Activate, returned again after
	sigStop  bool           // a signal ends a live wait (StopOnSignal)
	readEnd  int64          // savefile offset after the last packet read (-1: unknown)
	ended    bool           // io.EOF or a read error was returned: nothing more comes
	offline  bool           // a capture file: gets fileBuf once it has read fileBufferSize
	fileBuf  unsafe.Pointer // the file's stdio buffer (nil: stdio's own), freed at Close
	forward  bool           // the read in progress records no file offsets (ReadBatchForward)
	prefix   int            // the read in progress copies at most this many bytes per packet (ReadBatchPrefix)
	filtered bool           // SetFilter set a filter: only libpcap reads the file (see ScanFile)
	scan     batchScan      // ReadBatch's reads of a plain pcap file (batch_scan.go)

	batch Batch // the last batch read; packets before pos were handed out
	pos   int
	spare Batch
}

// OpenOffline opens a capture file (pcap or pcapng; "-" is standard input)
// with microsecond timestamps.
func OpenOffline(path string) (*Reader, error) {
	return OpenOfflinePrecision(path, Micro)
}

// OpenOfflinePrecision opens a capture file with the given timestamp precision.
func OpenOfflinePrecision(path string, prec Precision) (*Reader, error) {
	h, err := pcap.OpenOffline(path)
	if err != nil {
		return nil, pcapErr(err.Error())
	}
	closeFn := func() { h.Close() }
	// gopacket opens files with nanosecond precision; scale down for Micro.
	r := newReader(cptrOf(h), closeFn, prec, tstampPrecision(cptrOf(h)) == int(Nano))
	r.active = true
	r.offline = true
	return r, nil
}

func newReader(p pcapT, closeFn func(), prec Precision, handleNano bool) *Reader {
	r := &Reader{p: p, closeFn: closeFn, pend: newPending(), prec: prec, fracDiv: 1, wake: -1, createFd: -1, readEnd: tell(p)}
	r.setHandlePrecision(handleNano)
	return r
}

func (r *Reader) setHandlePrecision(handleNano bool) {
	r.fracDiv = 1
	if handleNano && r.prec == Micro {
		r.fracDiv = 1000
	}
}

// Precision returns the unit of Pkthdr.Frac for this reader.
func (r *Reader) Precision() Precision {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.prec
}

// lock takes the reader's lock, failing with ErrClosed on a closed reader.
func (r *Reader) lock() error {
	r.mu.Lock()
	if r.closed.Load() {
		r.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// Close releases the capture. It is idempotent; a read in progress in another
// goroutine ends first (reads wait in short slices, see ReadBatch).
func (r *Reader) Close() {
	if r.closed.Swap(true) {
		return
	}
	wakeUp(r.wake) // a live read waiting in another goroutine returns now
	r.mu.Lock()
	defer r.mu.Unlock()
	closeWakeFd(r.wake)
	r.closeFn()
	if r.createFd >= 0 { // never activated: libpcap does not close it
		closeFd(r.createFd)
	}
	freeFileBuffer(r.fileBuf) // after the stream that used it was closed
	freePending(r.pend)
	r.p, r.pend, r.fileBuf = nil, nil, nil
	r.scan = batchScan{} // its buffer, now
}

// Closed reports whether Close was called.
func (r *Reader) Closed() bool { return r.closed.Load() }

// MaxBatch is the most packets one ReadBatch returns.
const MaxBatch = 1 << 16

// ReadBatch reads up to max packets (at most MaxBatch) into b. A live capture waits up to wait
// for the first packet, then returns ErrTimeout. At the end of a file it
// returns io.EOF, on every later call too. A read error is returned after the
// packets read before it were delivered.
func (r *Reader) ReadBatch(b *Batch, maxN int, wait time.Duration) (int, error) {
	return r.readBatch(b, maxN, wait, false, 0)
}

// ReadBatchForward is ReadBatch for a consumer that never steps back: it
// does not record each packet's file offset (an ftello per packet), so a
// SetFilter after it filters the packets held instead of re-reading them.
func (r *Reader) ReadBatchForward(b *Batch, maxN int, wait time.Duration) (int, error) {
	return r.readBatch(b, maxN, wait, true, 0)
}

// ReadBatchPrefix is ReadBatchForward for a consumer that looks at the
// first ClassifyPrefix bytes of most packets only (a Classifier): Packet
// returns at most those, Pkthdr.Caplen stays the packet's. Copying headers,
// not whole packets, makes the read cheaper. With fetch, ReadPacketAt can
// copy a packet of the batch whole later (a capture file records each
// packet's offset; where that is impossible, a live capture or a pipe, the
// batch holds whole packets). Such a batch cannot be handed back with Unread.
func (r *Reader) ReadBatchPrefix(b *Batch, maxN int, wait time.Duration, fetch bool) (int, error) {
	if fetch {
		if err := r.lock(); err != nil {
			return 0, err
		}
		// readEnd is known only for a file that can be repositioned
		seekable := !r.live && pendingCaplen(r.pend) == 0 && r.readEnd >= 0
		r.mu.Unlock()
		if !seekable {
			return r.readBatch(b, maxN, wait, true, 0)
		}
		return r.readBatch(b, maxN, wait, false, ClassifyPrefix)
	}
	return r.readBatch(b, maxN, wait, true, ClassifyPrefix)
}

// ReadPacketAt copies packet i of b, which ReadBatchPrefix read with fetch
// from r just before, whole into dst (len(dst) is its caplen), re-reading it
// from the file.
func (r *Reader) ReadPacketAt(b *Batch, i int, dst []byte) error {
	if err := r.lock(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	before, after := b.offsetBefore(i), b.offsetBefore(i+1)
	if len(dst) == 0 {
		return nil
	}
	if before < 0 || after < 0 || !fetchAt(r.p, before, after, dst) {
		return pcapErr("cannot re-read a packet of the capture file")
	}
	return nil
}

func (r *Reader) readBatch(b *Batch, maxN int, wait time.Duration, forward bool, prefix int) (int, error) {
	if err := r.lock(); err != nil {
		return 0, err
	}
	defer r.mu.Unlock()
	r.forward, r.prefix = forward, prefix
	b.truncated = false
	defer func() { r.forward, r.prefix = false, 0 }()
	maxN = min(max(maxN, 1), MaxBatch) // the buffer holds maxN records
	if r.pos < r.batch.n {             // packets left over (Next, or a refilter)
		end := r.batch.n
		r.batch.n = min(end, r.pos+maxN)
		b.collect(nil, span{&r.batch, r.pos})
		r.batch.n, r.pos = end, r.pos+b.n
		return b.n, nil
	}
	return r.readLocked(b, maxN, wait)
}

func (r *Reader) readLocked(b *Batch, maxN int, wait time.Duration) (int, error) {
	b.n, b.used = 0, 0
	if r.readErr != nil {
		err := r.readErr
		r.readErr, r.eof, r.ended = nil, true, true
		return 0, err
	}
	if r.eof || !r.active {
		r.ended = r.eof
		return 0, io.EOF
	}
	if n := r.scanBatch(b, maxN); n > 0 {
		return n, nil
	}
	deadline := time.Now().Add(wait)
	for {
		// Not the snapshot length: a file may claim gigabytes. A buffer
		// (Python's may be small) only needs room for the records and the
		// packet kept aside; what does not fit stays for the next read, and
		// a packet bigger than the room grows the buffer below.
		need := maxN*recordSize + pendingCaplen(r.pend)
		if len(b.buf) < need {
			b.buf = make([]byte, max(need, 1<<20))
		}
		var ends []int64
		if !r.live && !r.forward {
			if cap(b.ends) < maxN {
				b.ends = make([]int64, maxN)
			}
			ends = b.ends[:maxN]
		}
		n, used, status, start, end := readBatch(r.p, r.pend, b.buf, maxN, r.fracDiv, r.prefix, ends)
		b.n, b.used, b.start, b.ends, b.truncated = n, used, start, ends, r.prefix > 0
		if start < 0 {
			b.ends = nil
		}
		if n > 0 {
			r.readEnd = b.offsetBefore(n)
			if r.forward && pendingCaplen(r.pend) == 0 && !r.live {
				r.readEnd = end // after the last packet, all handed out
			}
			r.bigFileBuffer()
		}
		switch status {
		case readEOF:
			r.eof = true
		case readError:
			r.readErr = pcapErr(geterr(r.p))
		case readBufFull:
			if n == 0 { // the pending packet needs a bigger buffer
				b.buf = make([]byte, 2*len(b.buf)+pendingCaplen(r.pend))
				continue
			}
		}
		if n > 0 {
			return n, nil
		}
		if r.readErr != nil || r.eof {
			return r.readLocked(b, maxN, wait)
		}
		// Live capture, nothing ready.
		if r.closed.Load() {
			return 0, ErrClosed
		}
		left := time.Until(deadline)
		if r.nonblock || left <= 0 {
			return 0, ErrTimeout
		}
		if r.breaking.Load() { // Breakloop from another goroutine
			return 0, ErrTimeout
		}
		ms := int(min(left, 100*time.Millisecond)/time.Millisecond) + 1
		if _, interrupted := waitReadable(selectableFd(r.p), r.wake, ms); interrupted && r.sigStop {
			return 0, ErrTimeout
		}
	}
}

// bigFileBuffer gives a capture file a large stdio buffer once it has read
// fileBufferSize bytes: reads of 4 KiB (the default) cost more than libpcap's
// parsing on large packets.
func (r *Reader) bigFileBuffer() {
	if r.offline && r.fileBuf == nil && r.readEnd >= fileBufferSize {
		r.offline = false // one try: pipes and odd streams keep stdio's buffer
		r.fileBuf = fileBuffer(r.p, fileBufferSize)
	}
}

func (r *Reader) liveWait() time.Duration {
	if r.timeout <= 0 {
		return 24 * time.Hour
	}
	return r.timeout
}

// unread hands packets [from, b.n) of b back to the reader, before any it holds.
func (r *Reader) unread(b *Batch, from int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.spare.collect(nil, span{b, from}, span{&r.batch, r.pos})
	r.batch, r.spare = r.spare, r.batch
	r.pos = 0
}

// Datalink returns the link-layer header type (DLT_*); -3 before activation.
func (r *Reader) Datalink() (int, error) {
	if err := r.lock(); err != nil {
		return 0, err
	}
	defer r.mu.Unlock()
	if !r.active {
		return -3, nil
	}
	return datalink(r.p), nil
}

// Snaplen returns the capture's snapshot length.
func (r *Reader) Snaplen() (int, error) {
	if err := r.lock(); err != nil {
		return 0, err
	}
	defer r.mu.Unlock()
	return snapshot(r.p), nil
}

// Net returns the network and netmask (pcap_lookupnet; 0 for files), in
// network byte order as read from memory (first octet in the low byte).
func (r *Reader) Net() (netw, mask uint32, err error) {
	if err := r.lock(); err != nil {
		return 0, 0, err
	}
	defer r.mu.Unlock()
	return r.net, r.mask, nil
}
