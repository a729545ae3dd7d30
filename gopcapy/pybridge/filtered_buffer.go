package pybridge

// loop_to_buffer: admitted packets written into the caller's buffer as
// pcapy-ng's records [u32 caplen LE][u8 cls][bytes], counters into a stats
// array of toBufferStats uint64 (layout in filtered.go). A pcap file is read
// with ScanFile (filtered_scan.go), anything else through libpcap here.

import (
	"encoding/binary"
	"io"
	"time"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// FilterToBuffer reads up to cnt packets of reader h (cnt <= 0: no limit),
// at most a chunk per call, classifies them and writes the admitted ones
// into the buffer of size bytes at addr from the stats' "bytes used" on;
// stats is the array of counters at statsAddr, which it updates. It returns
// the packets read: 0 at the end of a file, -1 when a live wait of waitMs
// expired before any.
func FilterToBuffer(h, cnt, waitMs, addr, size, statsAddr int) (n int, err error) {
	defer guard(&err)
	rd, run, err := getRun(h)
	if err != nil {
		return 0, err
	}
	var buf []byte
	if size > 0 {
		buf = pyMemory(addr, size)
	}
	stats := pyMemory(statsAddr, 8*toBufferStats)
	var st [toBufferStats]uint64
	for i := range st {
		st[i] = binary.NativeEndian.Uint64(stats[8*i:])
	}
	defer func() {
		for i, v := range st {
			binary.NativeEndian.PutUint64(stats[8*i:], v)
		}
	}()
	limit := toBufferChunk
	if cnt > 0 {
		limit = min(limit, cnt)
	}
	if run.err != nil { // met after the packets of the last call
		err, run.err = run.err, nil
		return 0, kinded(err)
	}
	for n < limit {
		if got := scanToBuffer(rd, run, buf, &st, limit-n); got > 0 {
			n += got
			continue
		}
		got, err := readFor(rd, run, min(limit-n, subBatchPackets), waitMs)
		switch {
		case err != nil && n > 0:
			run.err = err
			return n, nil
		case err != nil:
			return 0, kinded(err)
		case got == 0 || got == -1 && n > 0: // the end (again on the next call) or nothing ready
			return n, nil
		case got == -1:
			return -1, nil
		}
		for i := 0; i < got; i++ {
			caplen, data := run.batch.Data(i)
			idx := run.c.Classify(data)
			st[4+idx]++
			if !run.c.Admits(idx) {
				st[1]++
				continue
			}
			used, need := st[3], 5+uint64(caplen)
			if used+need > uint64(size) { // full: counted, not written
				st[2]++
				continue
			}
			binary.LittleEndian.PutUint32(buf[used:], uint32(caplen))
			buf[used+4] = byte(run.c.ClassID(idx))
			if dst := buf[used+5 : used+need]; len(data) == len(dst) {
				copy(dst, data)
			} else if err := readWhole(rd.r, &run.batch, i, dst); err != nil {
				// Not read, so not counted; it and those after go back.
				st[4+idx]--
				if uerr := rd.r.Unread(&run.batch, i, got); uerr != nil {
					return n + i, kinded(uerr)
				}
				run.err = err
				return n + i, nil
			}
			st[3] = used + need
			st[0]++
		}
		n += got
		if rd.r.Live() {
			return n, nil // what was ready; Python decides whether to wait for more
		}
	}
	return n, nil
}

// readFor reads up to maxN packets into run's batch: their count, 0 at the
// end of a file, -1 when a live wait expired.
// Whole packets are copied only for the packets written: the read copies
// their heads, and those admitted are re-read from the file.
func readFor(rd *reader, run *filterRun, maxN, waitMs int) (int, error) {
	got, err := rd.r.ReadBatchPrefix(&run.batch, maxN, time.Duration(waitMs)*time.Millisecond, !run.c.AdmitsNone())
	switch {
	case err == gopcapy.ErrTimeout:
		return -1, nil
	case err != nil && got == 0:
		if err == io.EOF {
			return 0, nil
		}
		return 0, err
	}
	return got, nil
}
