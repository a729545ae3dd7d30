package gopcapy

import "syscall"

// A classifier loop over a pcap file reads the file itself: large preads
// into one Go buffer, each packet classified where it lies and copied once,
// if admitted, to where it goes. libpcap copies every packet twice (stdio's
// buffer, then its own) and a classifier loop over it pays a cgo call per
// batch; this pays one pread per scanChunk bytes. Only what libpcap would
// hand over unchanged is read this way: a classic pcap file (version 2.4, a
// link type libpcap does not rewrite) and records it passes through as they
// are. Anything else (pcapng, a filter set, a record longer than the
// snapshot length, an odd timestamp, the end of the file, a truncated
// record) is left to libpcap, which reads it, and reports the end or the
// error, exactly as for any other read.

// scanChunk is the size of a FileScan's reads: big enough that a pread
// costs little per packet, small enough to stay in the CPU's cache for the
// copy of the admitted packets.
const scanChunk = 256 << 10

// FileScan is the state of ScanFile over one reader: its buffer and what it
// holds. The zero value is ready to use; one FileScan serves one Reader.
type FileScan struct {
	r      *Reader
	usable bool       // the file is one ScanFile reads
	format pcapFormat // what the file header says (pcapfile.go)
	nanoIn bool       // the file's fractions are nanoseconds
	// The file's fraction into the reader's precision: times fracMul, then
	// divided by fracDiv (libpcap's scaling into the handle's unit, then
	// gp_put_record's into the reader's, in one step: mostly 1 and 1, so
	// no division per packet).
	fracMul, fracDiv uint64
	snap             uint32 // libpcap's snapshot length, at most maxSnaplen: longer records are libpcap's to cut or refuse
	fd               int
	buf              []byte
	at               int64 // file offset of buf[0]
	lo, hi           int   // buf[lo:hi] is what is not yet handed out
	// lent: buf is a batch's data area, lent for one read (fillLent in
	// batch_scan.go); want is how much its next read asks for.
	lent bool
	want int
}

// Link types whose records libpcap passes through unchanged whatever the
// file's byte order (others get pseudo-headers swapped or lengths fixed).
var scanLinkTypes = map[int]bool{0: true, 1: true, 12: true, 14: true, 108: true, 228: true, 229: true}

// Linux cooked captures are rewritten only when the file's byte order is
// not the machine's (CAN identifiers).
var scanLinkTypesNative = map[int]bool{113: true, 276: true}

// setup decides whether ScanFile reads r's file (its header is read once).
func (s *FileScan) setup(r *Reader) {
	s.r, s.usable, s.lo, s.hi = r, false, 0, 0
	s.fd = fileFd(r.p)
	var hdr [24]byte
	if r.live || s.fd < 0 {
		return
	}
	var st syscall.Stat_t
	if syscall.Fstat(s.fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return
	}
	if n, err := syscall.Pread(s.fd, hdr[:], 0); err != nil || n != len(hdr) {
		return
	}
	f, _, _, version24, ok := parsePcapHeader(hdr[:])
	if !ok || !version24 {
		return // pcapng, pcap's rarer variants, or an older version (caplen and len may be swapped)
	}
	s.format = f
	swapped := f.big != nativeBigEndian
	s.nanoIn = f.fracMax == 1_000_000_000
	dlt := datalink(r.p)
	if !scanLinkTypes[dlt] && !(scanLinkTypesNative[dlt] && !swapped) {
		return
	}
	handleNano := tstampPrecision(r.p) == int(Nano)
	s.fracMul, s.fracDiv = 1, uint64(r.fracDiv)
	switch {
	case s.nanoIn && !handleNano:
		s.fracDiv *= 1000
	case !s.nanoIn && handleNano:
		s.fracMul = 1000
	}
	// floor(floor(f*m/a)/b) is floor(f*m/(a*b)): one step, reduced
	if s.fracMul == 1000 && s.fracDiv%1000 == 0 {
		s.fracMul, s.fracDiv = 1, s.fracDiv/1000
	}
	// libpcap refuses a record longer than its per-link-type maximum
	// (262144 for most) whatever the file's snapshot length says; above the
	// common maximum, libpcap, which knows, reads.
	s.snap = uint32(min(snapshot(r.p), maxSnaplen))
	s.usable = true
}

// ScanStep is what a ScanFile callback does with the packet it was given.
type ScanStep int

const (
	ScanNext  ScanStep = iota // take it and go on
	ScanStop                  // take it and stop
	ScanLeave                 // leave it unread and stop: the next read starts with it
)

// ScanFile hands up to maxN packets of r's capture file to fn, whole and in
// place, with the file offset after each. The data stays valid until the
// next ScanFile with s; fn runs with r locked (it must not call r). It returns the packets handed over and whether ScanFile can read
// on from there: false when the next packet is libpcap's to read (see
// above), also at the end of the file, and when r is not a file it reads at
// all (then nothing is handed over). ReadBatch and the others read on from
// where ScanFile stopped.
func (r *Reader) ScanFile(s *FileScan, maxN int, fn func(h Pkthdr, data []byte, end int64) ScanStep) (n int, more bool) {
	if r.lock() != nil {
		return 0, false
	}
	defer r.mu.Unlock()
	return r.scanLocked(s, maxN, fn)
}

// scanLocked is ScanFile with r locked (ReadBatch's reads use it too, see
// batch_scan.go).
func (r *Reader) scanLocked(s *FileScan, maxN int, fn func(h Pkthdr, data []byte, end int64) ScanStep) (n int, more bool) {
	if s.r != r {
		s.setup(r)
	}
	// Only from a clean position: nothing held back, nothing pending.
	if !s.usable || r.filtered || r.eof || r.readErr != nil || r.pos < r.batch.n || pendingCaplen(r.pend) != 0 {
		return 0, false
	}
	start := tell(r.p)
	if start < 0 {
		return 0, false
	}
	if start != s.at+int64(s.lo) { // the file moved since (a Next, a rewind)
		s.at, s.lo, s.hi = start, 0, 0
	}
	more = true
	for n < maxN {
		h, data, ok := s.peek()
		if !ok {
			more = false
			break
		}
		end := s.at + int64(s.lo+16+len(data))
		step := fn(h, data, end)
		if step == ScanLeave {
			break
		}
		s.lo += 16 + len(data)
		n++
		if step == ScanStop {
			break
		}
	}
	pos := s.at + int64(s.lo)
	if pos != start && !seek(r.p, pos) {
		s.usable = false
		return n, false
	}
	if n > 0 {
		r.readEnd = pos
	}
	return n, more
}

// peek returns the next record if ScanFile can hand it over, reading more of
// the file as needed.
func (s *FileScan) peek() (Pkthdr, []byte, bool) {
	if s.hi-s.lo < 16 && !s.fill(16) {
		return Pkthdr{}, nil, false
	}
	rec := s.buf[s.lo : s.lo+16]
	sec, frac, caplen, wire := s.format.record(rec)
	limit := s.format.fracMax
	// libpcap's arithmetic on odd values (a negative or overlong fraction,
	// seconds past 2038 in a signed field) is left to libpcap.
	if caplen > s.snap || sec >= 1<<31 || frac >= limit {
		return Pkthdr{}, nil, false
	}
	if s.hi-s.lo < 16+int(caplen) && !s.fill(16+int(caplen)) {
		return Pkthdr{}, nil, false
	}
	f := uint64(frac) * s.fracMul // frac < limit: below 2**32 even times 1000
	if s.fracDiv != 1 {
		f /= s.fracDiv
	}
	h := Pkthdr{Sec: int64(sec), Frac: uint32(f), Caplen: caplen, Len: wire}
	return h, s.buf[s.lo+16 : s.lo+16+int(caplen)], true
}

// fill makes buf[lo:] hold at least need bytes of the file: false at the
// end of the file or on a read error (libpcap then reads and reports it).
func (s *FileScan) fill(need int) bool {
	if s.lent {
		return s.fillLent(need)
	}
	if len(s.buf) < max(need, scanChunk) {
		buf := make([]byte, max(need, scanChunk))
		copy(buf, s.buf[s.lo:s.hi])
		s.buf = buf
	} else {
		copy(s.buf, s.buf[s.lo:s.hi])
	}
	s.at += int64(s.lo)
	s.hi -= s.lo
	s.lo = 0
	for s.hi < need {
		n, err := syscall.Pread(s.fd, s.buf[s.hi:], s.at+int64(s.hi))
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return false
		}
		s.hi += n
	}
	return true
}

// RewindTo moves r's capture file back to offset off, the end ScanFile
// handed over with a packet: the next read starts after that packet, with
// whatever r held read ahead dropped (it comes again from the file).
func (r *Reader) RewindTo(off int64) error {
	if err := r.lock(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	if r.live || off < 0 || !seek(r.p, off) {
		return pcapErr("cannot hand these packets back")
	}
	clearPending(r.pend)
	r.batch.n, r.pos = 0, 0
	r.eof, r.ended, r.readErr, r.readEnd = false, false, nil, off
	return nil
}
