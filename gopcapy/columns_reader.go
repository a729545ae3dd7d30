package gopcapy

// Columns from an open Reader: its packets, batch by batch, decoded into
// rows (read_columns on a pcapy Reader, live captures included).

import "time"

// AppendBatch adds every packet of a batch read from a reader with the given
// precision and link type.
func (c *Columns) AppendBatch(b *Batch, prec Precision, linkType int) {
	for i := 0; i < b.Len(); i++ {
		h, data := b.Packet(i)
		c.Append(h, prec, linkType, data)
	}
}

// columnsBatch is the number of packets ReadColumns reads per ReadBatch.
const columnsBatch = 2048

// ReadColumns reads up to count packets (count <= 0: no limit) from r and
// appends them to c, timestamps in r's precision. It returns how many it
// appended and why it stopped: nil when count was reached, io.EOF at the end
// of a file, ErrTimeout when a live capture had nothing within wait, or a
// read error (after the packets read before it were appended), or a
// *RangeError when a timestamp does not fit c.TS (int64 nanoseconds). A live
// capture returns after its first batch.
func (r *Reader) ReadColumns(c *Columns, count int, wait time.Duration) (int, error) {
	linkType, err := r.Datalink()
	if err != nil {
		return 0, err
	}
	var b Batch
	done := 0
	for count <= 0 || done < count {
		want := columnsBatch
		if count > 0 {
			want = min(want, count-done)
		}
		n, err := r.ReadBatch(&b, want, wait)
		c.AppendBatch(&b, r.Precision(), linkType)
		done += n
		if c.err != nil {
			return done, c.err
		}
		if err != nil {
			return done, err
		}
		if r.Live() {
			break
		}
	}
	return done, nil
}

// seekTo moves a savefile that has handed out nothing yet to offset off.
func (r *Reader) seekTo(off int64) bool {
	if err := r.lock(); err != nil {
		return false
	}
	defer r.mu.Unlock()
	if !seek(r.p, off) {
		return false
	}
	// Nothing was handed out before off: a SetFilter that follows rewinds
	// here, not to the first record (which gave rows twice).
	r.readEnd = off
	return true
}

// offset returns a savefile's read position, -1 when unknown.
func (r *Reader) offset() int64 {
	if err := r.lock(); err != nil {
		return -1
	}
	defer r.mu.Unlock()
	return tell(r.p)
}
