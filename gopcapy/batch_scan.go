package gopcapy

// ReadBatch (and Next, Dispatch, Loop, which read through it) fills a batch
// of a plain pcap file from ScanFile's buffer (classify_file.go) when it can:
// one copy of each packet, from the file's bytes read by pread into the
// batch, instead of libpcap's two (stdio's buffer, then libpcap's own) and
// ours after them, and no cgo call per packet. ScanFile hands over only what
// libpcap would pass through unchanged and stops at the first record it
// leaves to libpcap (an odd header, a record past the snapshot length, the
// end of the file, a truncated record, a read error), which the libpcap read
// after it then reads and reports, so the packets, the errors and where they
// come are libpcap's. A reader with a filter, a live capture, a pcapng file,
// a prefix read (ReadBatchPrefix) and a kept-aside packet are libpcap's.

// batchScan is a Reader's ScanFile state for its batch reads.
type batchScan struct {
	fs  FileScan
	off bool // never scan: every read is libpcap's (tests compare the two)
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
	buf, off, k, start := b.buf, dataStart, 0, int64(-1)
	n, _ := r.scanLocked(&r.scan.fs, maxN, func(h Pkthdr, data []byte, end int64) ScanStep {
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
	if n == 0 {
		return 0
	}
	// ScanFile set r.readEnd, the offset after the last packet.
	b.n, b.used, b.start, b.ends, b.truncated = n, off, start, ends, false
	if r.forward {
		b.ends = nil // as libpcap's read leaves it: SetFilter filters what is held
	}
	return n
}
