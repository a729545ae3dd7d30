package gopcapy

// Boundary: the first record at or after a byte offset of a capture, found
// from the bytes alone (see columns_range.go for why a wrong guess costs an
// error, never a wrong result).

import "io"

// rangeLookback is how far before an offset Boundary starts following
// records: more than twice the largest record a run may hold (maxSnaplen
// for pcap, maxBlock for pcapng), so that a run of fake records (a capture
// inside a packet's payload) has ended or merged into the true records by
// the time the walk reaches the offset. A variable for the tests' small
// files.
var rangeLookback int64 = 1 << 20

// Boundary returns the offset of the first record (pcapng: block) that
// starts at or after off: the start of the file's records for an offset
// before them, the file's size when no record starts after off.
//
// Near the start of the file it follows the records from the first one.
// Elsewhere it finds the first offset rangeLookback before off from which
// every record up to off looks plausible, and follows those records to off.
// If neither works (damage just before off), it takes the first offset at
// or after off that starts a run of syncRecords plausible records.
func (r *rangeReader) Boundary(off int64) (int64, error) {
	if off <= r.dataStart {
		return r.dataStart, nil
	}
	if off >= r.w.size {
		return r.w.size, nil
	}
	step := int64(1)
	if r.ng {
		step = 4 // blocks are 32-bit aligned
	}
	if off-rangeLookback <= r.dataStart {
		if q, _, ok, err := r.walk(r.dataStart, off, false); ok || err != nil {
			return q, err
		}
	} else {
		for s := (off - rangeLookback + step - 1) / step * step; s < off; s += step {
			q, prev, ok, err := r.walk(s, off, true)
			if err != nil {
				return 0, err
			}
			if ok {
				if ok, err = r.plausibleFrom(q, prev); ok || err != nil {
					return q, err
				}
			}
		}
	}
	for p := (off + step - 1) / step * step; p < r.w.size; p += step {
		ok, err := r.plausibleFrom(p, -1)
		if err != nil {
			return 0, err
		}
		if ok {
			return p, nil
		}
	}
	return r.w.size, nil
}

// walk follows the records from s while they start before off and returns
// the first at or after off, and the last one's timestamp (seconds, -1 when
// unknown); ok false when one is not plausible (strict) or not readable.
// Only errors other than the end of the file are returned.
func (r *rangeReader) walk(s, off int64, strict bool) (q, prev int64, ok bool, err error) {
	q, prev = s, -1
	for q < off {
		var size int64
		if strict {
			size, prev, err = r.plausible(q, prev)
		} else {
			size, err = r.readableSize(q)
		}
		if err == io.EOF || err == nil && size == 0 {
			return 0, 0, false, nil
		}
		if err != nil {
			return 0, 0, false, err
		}
		q += size
	}
	return q, prev, true, nil
}

// plausible returns the size of the record or block at q, 0 when it does
// not look like one; prev is the previous record's timestamp (-1: none)
// and the returned sec this one's.
func (r *rangeReader) plausible(q, prev int64) (size, sec int64, err error) {
	if r.ng {
		size, err = r.plausibleBlock(q)
		return size, -1, err
	}
	return r.plausibleRecord(q, prev)
}

// readableSize returns the size of the record or block at q as a reader
// would take it, 0 when it could not be read.
func (r *rangeReader) readableSize(q int64) (int64, error) {
	h, err := r.probe.at(q, 16)
	if err != nil {
		if err == io.EOF && r.ng { // a block may be as short as 12 bytes
			h, err = r.probe.at(q, 12)
		}
		if err != nil {
			return 0, err
		}
	}
	var size int64
	if r.ng {
		size = int64(r.order.Uint32(h[4:]))
		if size < 12 || size%4 != 0 {
			return 0, nil
		}
	} else {
		caplen := r.order.Uint32(h[8:])
		if caplen > maxSnaplen {
			return 0, nil
		}
		size = 16 + int64(caplen)
	}
	if q+size > r.w.size {
		return 0, nil
	}
	return size, nil
}

// plausibleFrom reports whether syncRecords records (or the rest of the
// file, if fewer) starting at p all look right; prev is the timestamp of
// the record before p (-1: unknown). Only errors other than the end of the
// file are returned.
func (r *rangeReader) plausibleFrom(p, prev int64) (bool, error) {
	q := p
	for k := 0; k < syncRecords; k++ {
		if q == r.w.size {
			return true, nil
		}
		size, sec, err := r.plausible(q, prev)
		prev = sec
		if err == io.EOF {
			return false, nil
		}
		if err != nil || size == 0 {
			return false, err
		}
		q += size
	}
	return true, nil
}

// plausibleRecord returns the size and seconds of the classic record at q,
// size 0 when its header does not look like one; prev is the previous
// record's seconds (-1: unknown).
func (r *rangeReader) plausibleRecord(q, prev int64) (int64, int64, error) {
	h, err := r.probe.at(q, 16)
	if err != nil {
		return 0, 0, err
	}
	s, frac, caplen, wire := r.pcapFormat.record(h)
	sec := int64(s)
	if frac >= r.fracMax || caplen > uint32(r.snaplen) || caplen > wire ||
		sec < r.firstSec-syncSlackSec || sec > r.firstSec+syncSpanSec ||
		prev >= 0 && (sec > prev+syncGapSec || sec < prev-syncGapSec) {
		return 0, 0, nil
	}
	size := 16 + int64(caplen)
	if q+size > r.w.size {
		return 0, 0, nil
	}
	return size, sec, nil
}

// RangeLookback returns how many bytes before an offset Boundary may read:
// what a caller supplying a PiecesSource should include before a range.
func RangeLookback() int64 { return rangeLookback }
