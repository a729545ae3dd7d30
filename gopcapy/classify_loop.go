package gopcapy

import (
	"errors"
	"io"
)

// FilterCounts are the counters of a filtered loop: packets admitted and
// dropped, and packets per class index (admitted or not).
type FilterCounts struct {
	Admitted, Dropped uint64
	Classes           [MaxClasses]uint64
}

// Count classifies one packet with c, counts it in fc and reports its class
// index and whether c admits it.
func (fc *FilterCounts) Count(c *Classifier, pkt []byte) (idx int, admitted bool) {
	idx = c.Classify(pkt)
	fc.Classes[idx]++
	if !c.Admits(idx) {
		fc.Dropped++
		return idx, false
	}
	fc.Admitted++
	return idx, true
}

// LoopFiltered reads cnt packets (cnt <= 0: until the end of a file, or
// forever on a live capture, until Breakloop), classifies each with c and
// calls fn with the packets of the classes c admits and their class id. It
// returns the counters of the run, also when it fails. The data passed to fn
// is only valid during the call. A pcap file is read with ScanFile (no
// copy of a dropped packet), anything else in batches through libpcap.
func (r *Reader) LoopFiltered(cnt int, c *Classifier, fn func(h Pkthdr, data []byte, classID int)) (FilterCounts, error) {
	var fc FilterCounts
	var s FileScan
	var b Batch
	for done := 0; cnt <= 0 || done < cnt; {
		if r.breaking.Swap(false) {
			return fc, nil
		}
		want := MaxBatch
		if cnt > 0 {
			want = min(want, cnt-done)
		}
		// The scan stops at each admitted packet: fn runs with r unlocked.
		var hdr Pkthdr
		var data []byte
		id := -1
		n, more := r.ScanFile(&s, want, func(h Pkthdr, d []byte, _ int64) ScanStep {
			if idx, ok := fc.Count(c, d); ok {
				hdr, data, id = h, d, c.ClassID(idx)
				return ScanStop
			}
			return ScanNext
		})
		done += n
		if id >= 0 {
			fn(hdr, data, id)
		}
		if more || n > 0 {
			continue
		}
		// libpcap's turn: a batch of whole packets.
		got, err := r.ReadBatchForward(&b, min(want, 1024), r.liveWait())
		for i := 0; i < got; i++ {
			h, d := b.Packet(i)
			if idx, ok := fc.Count(c, d); ok {
				fn(h, d, c.ClassID(idx))
			}
			done++
			if i+1 < got && r.breaking.Load() {
				r.unread(&b, i+1) // the next read returns them first
				break
			}
		}
		switch {
		case err == io.EOF:
			return fc, nil
		case err == ErrTimeout:
			continue
		case err != nil:
			return fc, err
		}
	}
	return fc, nil
}

// Unread hands the packets [from, to) of b, a batch ReadBatch filled from r,
// back to r: the next read returns them first, before any packet r still
// holds. A caller that read ahead and stopped early (an exception in a
// callback) so leaves the reader where its consumer stopped. A batch of
// ReadBatchPrefix (packets cut short) is handed back by moving the file
// back to its packet from: everything read after it comes again.
func (r *Reader) Unread(b *Batch, from, to int) error {
	if err := r.lock(); err != nil {
		return err
	}
	r.mu.Unlock()
	if b.truncated {
		return r.rewindTo(b, max(from, 0))
	}
	from, to = max(from, 0), min(to, b.n)
	if from < to {
		n := b.n
		b.n = to
		r.unread(b, from)
		b.n = n
	}
	return nil
}

// rewindTo moves the file back to packet i of b, a batch ReadBatchPrefix read
// with fetch, after which r read nothing else it still holds.
func (r *Reader) rewindTo(b *Batch, i int) error {
	if err := r.lock(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	at := b.offsetBefore(min(i, b.n))
	if at < 0 || r.pos < r.batch.n || !seek(r.p, at) {
		return errors.New("gopcapy: cannot hand these packets back")
	}
	clearPending(r.pend)
	r.eof, r.ended, r.readErr, r.readEnd = false, false, nil, at // what followed comes again
	return nil
}

// PutBackError makes err, a read error ReadBatch returned, the reader's
// again: the next read returns it, after any packets handed back with
// Unread. A caller that read past the error and stopped early (an
// exception in a callback) so reports it where it belongs.
func (r *Reader) PutBackError(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.readErr, r.eof, r.ended = err, false, false
}
