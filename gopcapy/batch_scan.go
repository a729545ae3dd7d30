package gopcapy

import "syscall"

// ReadBatch (and Next, Dispatch, Loop, which read through it) fills a batch
// of a plain pcap file with ScanFile (classify_file.go) when it can, and no
// cgo call per packet. ScanFile hands over only what libpcap would pass
// through unchanged and stops at the first record it leaves to libpcap (an
// odd header, a record past the snapshot length, the end of the file, a
// truncated record, a read error), which the libpcap read after it then
// reads and reports, so the packets, the errors and where they come are
// libpcap's. A reader with a filter, a live capture, a pcapng file, a prefix
// read (ReadBatchPrefix) and a kept-aside packet are libpcap's.
//
// Into a batch whose packets may lie apart (Batch.SetInPlaceBuffer: pcapy's
// ReadInto), the batch's data area is lent to ScanFile as its buffer: the
// file's bytes are read by pread straight into it, pcap record headers and
// all, and only the batch records are written, pointing at each packet's
// bytes where they lie. Each packet is copied once, by the kernel (libpcap
// copies it twice: stdio's buffer, then its own; and ours after them).
// Other batches (Go's own, SetBuffer) hold their packets back to back:
// they are copied out of ScanFile's own buffer. (pcapy-ng's next_batch,
// which hands them out back to back as one string, reads in place too: the
// C part copies each packet once, into that string.)

// batchScan is a Reader's ScanFile state for its batch reads.
type batchScan struct {
	fs  FileScan
	off bool // never scan: every read is libpcap's (tests compare the two)
	// perPacket: file bytes per packet of the last batch, to size the first
	// read of the next one
	perPacket int
}

// scanBatch reads up to maxN packets into b with ScanFile, r locked and b
// emptied by readLocked. It returns how many; 0 leaves the read to libpcap
// (from the record where ScanFile stopped: the file is positioned there).
func (r *Reader) scanBatch(b *Batch, maxN int) int {
	if r.scan.off || r.live || r.prefix > 0 || r.filtered {
		return 0
	}
	dataStart := maxN * recordSize
	if len(b.buf) < dataStart {
		b.buf = make([]byte, max(dataStart, 1<<20)) // as readLocked sizes it
	}
	if cap(b.ends) < maxN {
		b.ends = make([]int64, maxN)
	}
	ends := b.ends[:maxN]
	var n, used int
	var start int64
	if b.inPlace {
		n, used, start = r.scanInPlace(b.buf, dataStart, ends)
	} else {
		n, used, start = r.scanCopy(b.buf, dataStart, ends)
	}
	if n == 0 {
		return 0
	}
	// ScanFile set r.readEnd, the offset after the last packet.
	b.n, b.used, b.start, b.ends, b.truncated = n, used, start, ends, false
	if r.forward {
		b.ends = nil // as libpcap's read leaves it: SetFilter filters what is held
	}
	return n
}

// scanInPlace lends buf[dataStart:] to ScanFile and writes a record per
// packet it hands over, at most len(ends), pointing into it. It returns the
// packets, the end of the last one's bytes in buf and the file offset of
// the first one.
func (r *Reader) scanInPlace(buf []byte, dataStart int, ends []int64) (n, used int, start int64) {
	fs := &r.scan.fs
	own := fs.buf
	fs.buf, fs.lent, fs.at, fs.lo, fs.hi = buf[dataStart:], true, -1, 0, 0 // at -1: start afresh at the file's position
	fs.want = len(ends) * max(r.scan.perPacket, 64)
	defer func() {
		// Nothing of Python's memory is kept; what was read past the last
		// packet is read again by the next batch.
		fs.buf, fs.lent, fs.at, fs.lo, fs.hi = own, false, -1, 0, 0
	}()
	k := 0
	n, _ = r.scanLocked(fs, len(ends), func(h Pkthdr, data []byte, end int64) ScanStep {
		// fs.at is buf[dataStart]'s file offset: a lent buffer never moves
		off := dataStart + int(end-fs.at) - len(data)
		PutRecord(buf[k*recordSize:], h, off)
		ends[k] = end
		used = off + len(data)
		k++
		return ScanNext
	})
	if n > 0 {
		start = fs.at
		r.scan.perPacket = int(ends[n-1]-start) / n
	}
	return n, used, start
}

// scanCopy is scanInPlace with the packets copied out of ScanFile's own
// buffer, back to back from dataStart.
func (r *Reader) scanCopy(buf []byte, dataStart int, ends []int64) (n, used int, start int64) {
	off, k := dataStart, 0
	n, _ = r.scanLocked(&r.scan.fs, len(ends), func(h Pkthdr, data []byte, end int64) ScanStep {
		if len(data) > len(buf)-off {
			return ScanLeave // the next batch starts with it
		}
		if k == 0 {
			start = end - int64(16+len(data)) // where this record's header starts
		}
		PutRecord(buf[k*recordSize:], h, off)
		copy(buf[off:], data)
		ends[k] = end
		off += len(data)
		k++
		return ScanNext
	})
	return n, off, start
}

// lentStep is the least a lent buffer's reads after the first ask for: a
// pread costs little next to copying what is read past the batch.
const lentStep = 16 << 10

// fillLent is fill for a lent buffer: it reads more of the file after
// buf[:hi] and moves nothing; false when buf[lo:] cannot hold need bytes
// (the record is left for the next read, or to libpcap when it is bigger
// than the whole area), at the end of the file or on a read error.
func (s *FileScan) fillLent(need int) bool {
	target := s.lo + need
	if target > len(s.buf) {
		return false
	}
	for s.hi < target {
		end := min(len(s.buf), max(target, s.hi+s.want))
		n, err := syscall.Pread(s.fd, s.buf[s.hi:end], s.at+int64(s.hi))
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return false
		}
		s.hi += n
		s.want = lentStep
	}
	return true
}
