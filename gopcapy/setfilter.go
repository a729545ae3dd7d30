package gopcapy

// Reader.SetFilter: a new filter also judges what the reader has read but
// not handed out, by rewinding a savefile or filtering the packets held.

// SetFilter compiles expr (optimized, with the reader's netmask) and makes it
// the reader's filter. Packets already read but not yet handed out by Next
// are filtered too, so nothing read before the call escapes the new filter.
func (r *Reader) SetFilter(expr string) error {
	return r.setFilter(expr, nil, 0)
}

// SetFilterKeep is SetFilter for a caller holding the last `unconsumed`
// packets of b (its last ReadBatch) unused: they are filtered and returned
// again by the next ReadBatch, so the caller can drop them.
func (r *Reader) SetFilterKeep(expr string, b *Batch, unconsumed int) error {
	return r.setFilter(expr, b, unconsumed)
}

func (r *Reader) setFilter(expr string, b *Batch, unconsumed int) error {
	if err := r.lock(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	if !r.active {
		return pcapErr("not-yet-activated pcap_t passed to pcap_compile") // libpcap's words
	}
	insns, err := compile(r.p, expr, true, r.mask)
	if err != nil {
		return pcapErr(err.Error())
	}
	if err := setFilter(r.p, insns); err != nil {
		return pcapErr(err.Error())
	}
	r.filtered = true
	if r.rewind(b, unconsumed) {
		return nil
	}
	// Not seekable (stdin, live): filter what is held, the kept-aside packet
	// too. The caller's unused packets come before the reader's leftovers.
	if wire, data, ok := pendingPacket(r.pend); ok && bpfFilter(insns, data, wire) == 0 {
		clearPending(r.pend)
	}
	spans := []span{{&r.batch, r.pos}}
	if b != nil && unconsumed > 0 {
		spans = []span{{b, max(0, b.n-unconsumed)}, {&r.batch, r.pos}}
	}
	r.spare.collect(func(h Pkthdr, d []byte) bool {
		return bpfFilter(insns, d, int(h.Len)) != 0
	}, spans...)
	r.batch, r.spare = r.spare, r.batch
	r.pos = 0
	return nil
}

// rewind moves a savefile back to just after the last packet handed out, so
// the new filter judges every later packet: those held, the one kept aside,
// and those the old filter dropped while reading ahead. It returns false when
// that is impossible (stdin, live capture).
func (r *Reader) rewind(b *Batch, unconsumed int) bool {
	if r.live {
		return false
	}
	if r.ended {
		return true // the caller saw the end; a new filter does not reopen it
	}
	off := r.readEnd // every packet read was handed out
	switch {
	case b != nil && unconsumed > 0 && b.n > 0:
		off = b.offsetBefore(max(0, b.n-unconsumed))
	case r.pos < r.batch.n:
		off = r.batch.offsetBefore(r.pos)
	}
	if off < 0 || !seek(r.p, off) {
		return false
	}
	clearPending(r.pend)
	r.batch.n, r.pos, r.readEnd = 0, 0, off
	r.eof, r.readErr = false, nil
	return true
}
