package gopcapy

import "encoding/binary"

// Batch holds packets read by one ReadBatch call in one buffer: N records of
// RecordSize bytes (seconds int64, fraction uint32, caplen uint32, len
// uint32, data start uint32, data end uint32; native byte order; the offsets
// are RecordLayout's) followed by the packet data. pcapy's C part turns the
// records into (Pkthdr, bytes) pairs.
type Batch struct {
	buf  []byte
	n    int
	used int
	// Savefile offsets, kept while a filter is set: start before the batch,
	// ends[i] after packet i (nil when unknown). See Reader.setFilter.
	start int64
	ends  []int64
	// truncated: read by ReadBatchPrefix, each packet's data cut to ClassifyPrefix bytes
	truncated bool
	// inPlace: the packets' bytes may lie apart (SetInPlaceBuffer)
	inPlace bool
}

// RecordSize is the size in bytes of one packet record in a Batch, and
// Record* the byte offset of each of its fields.
const (
	RecordSize   = recordSize
	RecordSec    = recSec    // int64 seconds
	RecordFrac   = recFrac   // uint32 microseconds or nanoseconds
	RecordCaplen = recCaplen // uint32
	RecordLen    = recLen    // uint32
	RecordStart  = recStart  // uint32: where the packet's bytes start in the batch
	RecordEnd    = recEnd    // uint32: and end
)

// RecordLayout returns the record size and the byte offsets of the record's
// fields: sec (int64), frac, caplen, len, start, end (uint32). The layout is
// defined once, in libpcap_batch.go (GP_REC_*); Python asks for it through the
// bridge (pybridge.BatchLayout).
func RecordLayout() [7]int {
	return [7]int{recordSize, recSec, recFrac, recCaplen, recLen, recStart, recEnd}
}

// Len returns the number of packets in the batch.
func (b *Batch) Len() int { return b.n }

// Bytes returns the records and data of the batch (valid until the next read
// into the batch).
func (b *Batch) Bytes() []byte { return b.buf[:b.used] }

// Packet returns the header and data of packet i; the data aliases the batch
// (cut to ClassifyPrefix bytes when ReadBatchPrefix read it).
func (b *Batch) Packet(i int) (Pkthdr, []byte) {
	h, off, end := ParseRecord(b.buf[i*recordSize:])
	return h, b.buf[off:end]
}

// Truncated reports whether ReadBatchPrefix read b: its packets are cut to
// ClassifyPrefix bytes, and Unread hands them back by file offset (their
// bytes are not needed again).
func (b *Batch) Truncated() bool { return b.truncated }

// Data returns packet i's caplen and data, as Packet without decoding the
// rest of its header (a classifier's loop looks at most packets only once).
func (b *Batch) Data(i int) (caplen int, data []byte) {
	m := b.buf[i*recordSize : i*recordSize+recordSize]
	caplen = int(binary.NativeEndian.Uint32(m[recCaplen:]))
	off, end := binary.NativeEndian.Uint32(m[recStart:]), binary.NativeEndian.Uint32(m[recEnd:])
	return caplen, b.buf[off:end]
}

func (b *Batch) header(i int) Pkthdr {
	h, _, _ := ParseRecord(b.buf[i*recordSize:])
	return h
}

// SetBuffer makes b read into buf, memory the caller owns, and empties b.
// A read that needs more room than buf has (a huge snapshot length, or
// many packets left over from SetFilter) uses a Go allocation instead;
// InBuffer tells whether b's packets are in buf.
func (b *Batch) SetBuffer(buf []byte) {
	b.buf, b.n, b.used, b.inPlace = buf, 0, 0, false
}

// SetInPlaceBuffer is SetBuffer for a reader that goes by each record's
// start and end only (pybridge passes a Python buffer, so packets are read
// straight into Python's memory): a read may then leave the packets' bytes
// apart, with other bytes between them (a plain pcap file is read straight
// into buf, its record headers too, see batch_scan.go), where SetBuffer's
// reads put them back to back from DataStart.
func (b *Batch) SetInPlaceBuffer(buf []byte) {
	b.SetBuffer(buf)
	b.inPlace = true
}

// InBuffer reports whether b holds its packets in buf (see SetBuffer).
func (b *Batch) InBuffer(buf []byte) bool {
	return len(b.buf) > 0 && len(buf) > 0 && &b.buf[0] == &buf[0]
}

// DataStart returns the offset of the first packet's data (0 when empty).
func (b *Batch) DataStart() int {
	if b.n == 0 {
		return 0
	}
	return int(binary.NativeEndian.Uint32(b.buf[recStart:]))
}

// grow makes room for at least size bytes, keeping nothing.
func (b *Batch) grow(size int) {
	if len(b.buf) < size {
		b.buf = make([]byte, size)
	}
	b.n, b.used = 0, 0
	b.ends = nil
}

// offsetBefore returns the savefile offset before packet i (after packet
// i-1), -1 when unknown.
func (b *Batch) offsetBefore(i int) int64 {
	switch {
	case len(b.ends) < b.n:
		return -1
	case i == 0:
		return b.start
	}
	return b.ends[i-1]
}

// span is the packets [from, b.n) of a batch.
type span struct {
	b    *Batch
	from int
}

// collect builds b from the packets of spans, in order, for which keep is
// true (all when keep is nil).
func (b *Batch) collect(keep func(Pkthdr, []byte) bool, spans ...span) {
	slots, size := 0, 0
	for _, s := range spans {
		for i := s.from; i < s.b.n; i++ {
			size += recordSize + int(s.b.header(i).Caplen)
			slots++
		}
	}
	b.grow(size)
	off := slots * recordSize
	for _, s := range spans {
		for i := s.from; i < s.b.n; i++ {
			h, data := s.b.Packet(i)
			if keep != nil && !keep(h, data) {
				continue
			}
			PutRecord(b.buf[b.n*recordSize:], h, off)
			copy(b.buf[off:], data)
			off += len(data)
			b.n++
		}
	}
	b.used = off
	// A plain copy of one span keeps its offsets, so a rewind still works.
	if keep == nil && len(spans) == 1 {
		s := spans[0]
		if b.start = s.b.offsetBefore(s.from); b.start >= 0 {
			b.ends = append([]int64(nil), s.b.ends[s.from:s.from+b.n]...)
		}
	}
}

// PutRecord writes into m the batch record of a packet with header h whose
// bytes start at off in the batch (and end caplen bytes later).
func PutRecord(m []byte, h Pkthdr, off int) {
	binary.NativeEndian.PutUint64(m[recSec:], uint64(h.Sec))
	binary.NativeEndian.PutUint32(m[recFrac:], h.Frac)
	binary.NativeEndian.PutUint32(m[recCaplen:], h.Caplen)
	binary.NativeEndian.PutUint32(m[recLen:], h.Len)
	binary.NativeEndian.PutUint32(m[recStart:], uint32(off))
	binary.NativeEndian.PutUint32(m[recEnd:], uint32(off)+h.Caplen)
}

// ParseRecord reads the batch record at the start of m: the packet's header
// and where its bytes start and end in the batch (unchecked).
func ParseRecord(m []byte) (h Pkthdr, start, end int) {
	h = Pkthdr{
		Sec:    int64(binary.NativeEndian.Uint64(m[recSec:])),
		Frac:   binary.NativeEndian.Uint32(m[recFrac:]),
		Caplen: binary.NativeEndian.Uint32(m[recCaplen:]),
		Len:    binary.NativeEndian.Uint32(m[recLen:]),
	}
	return h, int(binary.NativeEndian.Uint32(m[recStart:])), int(binary.NativeEndian.Uint32(m[recEnd:]))
}
