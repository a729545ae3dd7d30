package gopcapy

import (
	"io"
	"path/filepath"
	"testing"
)

// gp_read_batch takes each packet's savefile position from the stdio
// stream's fields (glibc: gp_tell_fast) instead of calling ftello per packet.
// Across a file bigger than the stdio buffer given to it (so both the small
// default buffer and the big one are read through, refilled many times), the
// position after each batch must be ftello's.
func TestPacketPositionsAgreeWithFtello(t *testing.T) {
	recs := mixed(3 * fileBufferSize / 100) // ~3 file buffers of ~100-byte records
	path := writePcap(t, filepath.Join(t.TempDir(), "big.pcap"), 1, 65535, false, recs)
	r := open(t, path, Micro)
	var b Batch
	batches, packets := 0, 0
	for {
		n, err := r.ReadBatch(&b, 333, 0)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		batches++
		packets += n
		if pendingCaplen(r.pend) == 0 { // nothing read ahead of the batch's last packet
			if got, want := r.readEnd, tell(r.p); got != want {
				t.Fatalf("batch %d: position after its last packet %d, ftello %d", batches, got, want)
			}
		}
	}
	if packets != len(recs) {
		t.Fatalf("read %d packets, want %d", packets, len(recs))
	}
}
