package gopcapy

// Packet-at-a-time reading for Go callers (pcapy reads batches, see
// ReadBatch): Next copies one packet out, Dispatch and Loop hand each packet
// to a Go callback, Breakloop stops them.

import "io"

// Next returns the next packet; the data is a copy. It returns io.EOF at the
// end of a file and ErrTimeout when a live capture's timeout expires.
func (r *Reader) Next() (Pkthdr, []byte, error) {
	if err := r.lock(); err != nil {
		return Pkthdr{}, nil, err
	}
	defer r.mu.Unlock()
	if r.pos >= r.batch.n {
		r.pos = 0
		if _, err := r.readLocked(&r.batch, 256, r.liveWait()); err != nil {
			return Pkthdr{}, nil, err
		}
	}
	h, data := r.batch.Packet(r.pos)
	r.pos++
	return h, append([]byte(nil), data...), nil
}

// Dispatch calls fn for up to cnt packets (all that are ready when cnt <= 0;
// the whole file for a capture file) and returns how many it handled. The
// data passed to fn is only valid during the call. Breakloop ends it after
// the packet being handled.
func (r *Reader) Dispatch(cnt int, fn func(Pkthdr, []byte)) (int, error) {
	n, _, err := r.dispatch(cnt, fn)
	return n, err
}

func (r *Reader) dispatch(cnt int, fn func(Pkthdr, []byte)) (done int, broke bool, err error) {
	var b Batch
	for cnt <= 0 || done < cnt {
		if r.breaking.Swap(false) {
			return done, true, nil
		}
		want := 1024
		if cnt > 0 {
			want = min(want, cnt-done)
		}
		n, err := r.ReadBatch(&b, want, r.liveWait())
		for i := 0; i < n; i++ {
			fn(b.Packet(i))
			done++
			if i+1 < n && r.breaking.Load() {
				r.unread(&b, i+1) // the next read returns them first
				break
			}
		}
		if err == io.EOF || err == ErrTimeout {
			return done, r.breaking.Swap(false), nil
		}
		if err != nil {
			return done, false, err
		}
		if r.live {
			return done, r.breaking.Swap(false), nil
		}
	}
	return done, r.breaking.Swap(false), nil
}

// Breakloop makes a Loop or Dispatch in progress return after the packet it
// is handling (a wait for packets ends within 100 ms); called when none is
// running, the next one returns at once (libpcap's pcap_breakloop). Safe
// from fn and from other goroutines.
func (r *Reader) Breakloop() { r.breaking.Store(true) }

// Loop calls fn for cnt packets (cnt <= 0: until the end of the file or
// forever on a live capture), or until Breakloop.
func (r *Reader) Loop(cnt int, fn func(Pkthdr, []byte)) error {
	done := 0
	for cnt <= 0 || done < cnt {
		left := 0
		if cnt > 0 {
			left = cnt - done
		}
		n, broke, err := r.dispatch(left, fn)
		done += n
		if err != nil || broke {
			return err
		}
		if n == 0 && !r.live {
			return nil
		}
	}
	return nil
}
