package pybridge

import "github.com/gopcapy/gopcapy/gopcapy"

// Dumpers: pcap files written from a reader (Reader.dump_open in Python).

// DumpOpen creates a pcap file for a reader's packets.
func DumpOpen(h int, path string) (d int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	dp, err := rd.r.DumpOpen(path)
	if err != nil {
		return 0, kinded(err)
	}
	return dumpers.add(dp), nil
}

// DumpWrite writes n packets given in the batch layout and flushes them.
func DumpWrite(d int, buf []byte, n int) (rc int, err error) {
	defer guard(&err)
	dp, ok := dumpers.get(d)
	if !ok {
		return 0, kinded(gopcapy.ErrDumperClosed)
	}
	return 0, kinded(dp.WriteBatch(buf, n))
}

// DumpClose closes a dumper; unknown handles are ignored. The error is a
// failure of the final flush or close not reported by an earlier write.
func DumpClose(d int) (rc int, err error) {
	defer guard(&err)
	if dp, ok := dumpers.remove(d); ok {
		return 0, kinded(dp.Close())
	}
	return 0, nil
}
