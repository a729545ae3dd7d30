package pybridge

// pcapy-ng's loop_filtered and loop_to_buffer: Go reads a batch, classifies
// every packet and hands Python only the admitted ones, so a dropped packet
// never becomes a Python object and no call crosses per packet.
//
// FilterRead's layout of Python's buffer (size bytes, for maxN packets;
// numbers in native order; Go writes the offsets into the tail):
//
//	[0, a*R)          the a admitted packets' records, as gopcapy.Batch
//	                  (R = gopcapy.RecordSize, the layout's owner)
//	[maxN*R, ...)     their bytes, back to back
//	classes           n bytes: the class index of every packet read, in order
//	ids               a bytes: the class id of each admitted packet (its cls)
//	positions         a uint32: each admitted packet's place among the n
//	format            a struct format "<start>x<caplen0>s..." for their bytes
//	last 64 bytes     8 uint64: a, format start, format end, classes, ids,
//	                  positions, n, 0
//
// loop_to_buffer writes pcapy-ng's records [u32 caplen LE][u8 cls][bytes]
// into the caller's buffer, and its counters into a stats array of 10
// uint64: written, dropped, overflow, bytes used, then the 6 class counts.

import (
	"encoding/binary"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gopcapy/gopcapy/gopcapy"
)

const (
	filterTail = 64
	// ToBufferStats is the number of uint64 in loop_to_buffer's stats array.
	toBufferStats = 4 + gopcapy.MaxClasses
	// Packets FilterToBuffer handles per call: Python checks for Ctrl-C,
	// breakloop() and close() between calls.
	toBufferChunk = 1 << 16
)

// filterRun is a running loop_filtered or loop_to_buffer of one reader.
type filterRun struct {
	c     *gopcapy.Classifier
	batch gopcapy.Batch // FilterToBuffer's last batch, in Go memory
	// FilterRead's last read: sub-batches in consecutive parts of mem, and
	// how many packets of each were classified.
	mem     []byte
	subs    []subBatch
	skipped int   // packets before subs, all dropped before any was admitted
	err     error // a read error met after packets, for the next call (or the reader, at the end)
	scan    scanState
}

// subBatch is a few packets read at once, so that classifying them finds
// their bytes still in the CPU cache where the read put them.
type subBatch struct {
	b         gopcapy.Batch
	processed int
}

const (
	subBatchPackets = 64
	filterMemBytes  = 8 << 20 // a read's sub-batches, back to back (from its first admitted packet on)
	// the room a read of n packets wants in its buffer (gopcapy's rule for
	// packets up to 64 KiB; a bigger one gets a buffer of its own)
	subBatchSlack = 2 * 65536
)

var runs sync.Map // reader handle -> *filterRun

// readWhole re-reads an admitted packet of a prefix read (a variable: a test
// makes it fail).
var readWhole = (*gopcapy.Reader).ReadPacketAt

// FilterSideSize returns the bytes FilterRead needs after the packets' bytes
// for maxN packets: Python's buffer is maxN*gopcapy.RecordSize + data bytes + this.
func FilterSideSize(maxN int) int { return 14*maxN + 32 + filterTail }

// FilterStart begins a filtered loop on reader h, handing the `unconsumed`
// packets Python holds from the last read back to the reader first. The
// address set is setLen bytes of Python memory at setAddr (read during the
// call only); a port list is "-" for the default or comma-separated numbers.
func FilterStart(h, unconsumed, admitMask, setAddr, setLen, flowCutoff int, dpiPorts, tlsPorts string,
	dnsPort, l2Offset, profile int) (rc int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	cfg := gopcapy.ClassifierConfig{
		AdmitMask: admitMask, FlowCutoff: flowCutoff, DNSPort: uint16(dnsPort),
		L2Offset: l2Offset, Profile: gopcapy.Profile(profile),
	}
	if cfg.DPIPorts, err = portList(dpiPorts); err != nil {
		return 0, err
	}
	if cfg.TLSPorts, err = portList(tlsPorts); err != nil {
		return 0, err
	}
	if setAddr != 0 && setLen >= 4 {
		cfg.AddrSet = pyMemory(setAddr, setLen)
	}
	c, err := gopcapy.NewClassifier(cfg)
	if err != nil {
		return 0, valueError(err.Error())
	}
	if _, running := runs.Load(h); running {
		return 0, pcapError("loop_filtered or loop_to_buffer is already running on this reader")
	}
	if unconsumed > 0 {
		rd.mu.Lock()
		n := rd.batch.Len()
		err = rd.r.Unread(&rd.batch, n-unconsumed, n)
		rd.mu.Unlock()
		if err != nil {
			return 0, kinded(err)
		}
	}
	if _, running := runs.LoadOrStore(h, &filterRun{c: c}); running {
		return 0, pcapError("loop_filtered or loop_to_buffer is already running on this reader")
	}
	return 0, nil
}

func portList(s string) ([]uint16, error) {
	if s == "-" {
		return nil, nil
	}
	ports := []uint16{}
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		p, err := strconv.ParseUint(f, 10, 16)
		if err != nil {
			return nil, internalError("bad port list " + s)
		}
		ports = append(ports, uint16(p))
	}
	return ports, nil
}

// FilterEnd ends reader h's filtered loop (frees its flow table); a read
// error the loop met but did not report goes back to the reader, for its
// next read after the packets handed back.
func FilterEnd(h int) (rc int, err error) {
	defer guard(&err)
	v, ok := runs.LoadAndDelete(h)
	if !ok {
		return 0, nil
	}
	if run := v.(*filterRun); run.err != nil {
		if rd, err := getReader(h); err == nil {
			rd.r.PutBackError(run.err)
		}
	}
	return 0, nil
}

func getRun(h int) (*reader, *filterRun, error) {
	rd, err := getReader(h)
	if err != nil {
		return nil, nil, kinded(err)
	}
	v, ok := runs.Load(h)
	if !ok {
		return nil, nil, internalError("no filtered loop running")
	}
	return rd, v.(*filterRun), nil
}

// FilterRead reads up to maxN packets of reader h, waiting at most waitMs for
// the first on a live capture, classifies them and puts the admitted ones
// into the buffer of size bytes at addr (layout above). It returns the
// number of packets classified: 0 at the end of a file, -1 when the wait
// expired, and -k (k >= 2) when the next packet alone needs k bytes of data
// room (make a bigger buffer and call again).
func FilterRead(h, maxN, waitMs, addr, size int) (n int, err error) {
	defer guard(&err)
	rd, run, err := getRun(h)
	if err != nil {
		return 0, err
	}
	dataStart := maxN * gopcapy.RecordSize
	dataEnd := size - FilterSideSize(maxN)
	if maxN <= 0 || addr == 0 || dataEnd <= dataStart {
		return 0, internalError("buffer too small")
	}
	if run.err != nil { // met after the packets of the last call
		err, run.err = run.err, nil
		return 0, kinded(err)
	}
	if run.mem == nil {
		run.mem = make([]byte, filterMemBytes)
	}
	mem := pyMemory(addr, size)
	out := filterOut{mem: mem, classes: mem[dataEnd : dataEnd+maxN], ids: mem[dataEnd+maxN : dataEnd+2*maxN],
		positions: mem[dataEnd+2*maxN : dataEnd+6*maxN], off: dataStart, end: dataEnd}
	run.subs, run.skipped = run.subs[:0], 0
	if n, done := scanFilterRead(rd, run, &out, maxN); done {
		if n < -1 {
			return n, nil
		}
		return n, out.finish(n, maxN)
	}
	for used := 0; n < maxN; {
		want := min(subBatchPackets, maxN-n)
		if n > 0 && len(run.mem)-used < want*gopcapy.RecordSize+subBatchSlack {
			break
		}
		if len(run.subs) == cap(run.subs) {
			run.subs = append(run.subs, subBatch{})
		} else {
			run.subs = run.subs[:len(run.subs)+1]
		}
		sb := &run.subs[len(run.subs)-1]
		sb.b.SetBuffer(run.mem[used:])
		sb.processed = 0
		got, err := rd.r.ReadBatchPrefix(&sb.b, want, time.Duration(waitMs)*time.Millisecond, !run.c.AdmitsNone())
		if got == 0 {
			run.subs = run.subs[:len(run.subs)-1]
		}
		switch {
		case err == gopcapy.ErrTimeout && n == 0:
			return -1, nil
		case err == io.EOF && n == 0:
			return 0, nil
		case err != nil && n == 0:
			return 0, kinded(err)
		case err == io.EOF || err == gopcapy.ErrTimeout:
			return n, out.finish(n, maxN)
		case err != nil:
			run.err = err
			return n, out.finish(n, maxN)
		}
		sb.processed, err = out.classify(rd.r, run.c, &sb.b, got, n)
		if err != nil { // packets before it are Python's, it and those after go back
			n += sb.processed
			if uerr := rd.r.Unread(&sb.b, sb.processed, got); uerr != nil {
				return n, kinded(uerr)
			}
			run.err = err
			return n, out.finish(n, maxN)
		}
		n += sb.processed
		if sb.processed < got { // no room for what might be admitted: the rest waits
			if err := rd.r.Unread(&sb.b, sb.processed, got); err != nil {
				return 0, kinded(err)
			}
			if n == 0 {
				hdr, _ := sb.b.Packet(0)
				return -max(2, int(hdr.Caplen)+1), nil
			}
			break
		}
		switch {
		case out.admitted == 0: // nothing a callback could stop at yet: never handed back
			run.skipped += sb.processed
			run.subs = run.subs[:len(run.subs)-1]
		case sb.b.InBuffer(run.mem[used:]) && !sb.b.Truncated(): // heads go back by file offset: memory reused
			used += len(sb.b.Bytes())
		}
		waitMs = 0 // more only if ready at once
		if rd.r.Live() {
			break
		}
	}
	return n, out.finish(n, maxN)
}

// filterOut is where FilterRead puts a read's admitted packets and classes.
type filterOut struct {
	mem, classes, ids, positions []byte
	off, end, admitted           int
}

// classify classifies the got packets of b, the first numbered base among
// the read's packets, and copies the admitted ones out (re-read whole from
// r when b holds their heads only); it returns how many it classified (fewer
// when an admitted packet might not fit).
func (o *filterOut) classify(r *gopcapy.Reader, c *gopcapy.Classifier, b *gopcapy.Batch, got, base int) (int, error) {
	none := c.AdmitsNone() // nothing will need room
	for i := 0; i < got; i++ {
		caplen, data := b.Data(i)
		if o.off+caplen > o.end && !none {
			return i, nil
		}
		idx := c.Classify(data)
		o.classes[base+i] = byte(idx)
		if !c.Admits(idx) {
			continue
		}
		hdr, _ := b.Packet(i)
		gopcapy.PutRecord(o.mem[o.admitted*gopcapy.RecordSize:], hdr, o.off)
		if dst := o.mem[o.off : o.off+caplen]; len(data) == len(dst) {
			copy(dst, data)
		} else if err := readWhole(r, b, i, dst); err != nil {
			return i, err // not counted: it was not read
		}
		o.ids[o.admitted] = byte(c.ClassID(idx))
		binary.NativeEndian.PutUint32(o.positions[4*o.admitted:], uint32(base+i))
		o.off += caplen
		o.admitted++
	}
	return got, nil
}

// finish writes the format and the tail of a read of n packets.
func (o *filterOut) finish(n, maxN int) error {
	size := len(o.mem)
	dataStart := maxN * gopcapy.RecordSize
	fmtStart := o.end + 6*maxN
	fmtEnd := putDataFormat(o.mem[fmtStart:size-filterTail], o.mem, dataStart, o.admitted) + fmtStart
	tail := o.mem[size-filterTail:]
	for i, v := range [8]int{o.admitted, fmtStart, fmtEnd, o.end, o.end + maxN, o.end + 2*maxN, n, 0} {
		binary.NativeEndian.PutUint64(tail[8*i:], uint64(v))
	}
	return nil
}

// putDataFormat writes into f the struct format of the a packets whose
// records start mem and whose bytes start at dataStart, and returns its
// length; 0 when it does not fit (Python then builds it from the records).
func putDataFormat(f []byte, mem []byte, dataStart, a int) int {
	if a == 0 {
		return 0
	}
	out := strconv.AppendInt(f[:0], int64(dataStart), 10)
	out = append(out, 'x')
	for i := 0; i < a; i++ {
		out = strconv.AppendUint(out, uint64(binary.NativeEndian.Uint32(mem[i*gopcapy.RecordSize+gopcapy.RecordCaplen:])), 10)
		out = append(out, 's')
	}
	if &out[0] != &f[0] {
		return 0
	}
	return len(out)
}

// FilterUnread hands the packets after the first `from` classified by the
// last FilterRead back to reader h (a callback raised at packet from-1):
// the next read starts with them.
func FilterUnread(h, from int) (rc int, err error) {
	defer guard(&err)
	rd, run, err := getRun(h)
	if err != nil {
		return 0, err
	}
	if run.scan.ok {
		if err := scanUnread(rd, run, from); err != nil {
			return 0, kinded(err)
		}
		return 0, nil
	}
	base := run.skipped
	for _, sb := range run.subs {
		base += sb.processed
	}
	// Last sub-batch first: each Unread puts its packets before those held.
	for i := len(run.subs) - 1; i >= 0 && base > from; i-- {
		sb := &run.subs[i]
		base -= sb.processed
		if err := rd.r.Unread(&sb.b, max(from-base, 0), sb.processed); err != nil {
			return 0, kinded(err)
		}
		sb.processed = max(from-base, 0)
	}
	return 0, nil
}
