package pybridge

import (
	"strings"
	"sync"
	"testing"
)

// Python serialises a Reader's reads (one lock per batch), but the bridge
// must stay sound under any interleaving: these run under `go test -race`.

func TestConcurrentReadsOfOneHandleDeliverEachPacketOnce(t *testing.T) {
	const n = 3000
	h := openFile(t, writeCapture(t, n))
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			buf, addr := pyBuffer(64 << 10)
			for {
				got, err := ReadInto(h, 16, 0, addr, len(buf))
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				if got < -1 {
					got = -got - 1
				}
				if got <= 0 {
					return
				}
				mu.Lock()
				total += got
				mu.Unlock()
				if g == 3 {
					if _, err := SetFilter(h, "greater 0", 0); err != nil { // every packet matches
						t.Errorf("SetFilter: %v", err)
					}
				}
			}
		}(g)
	}
	wg.Wait()
	if total != n {
		t.Errorf("read %d packets, want %d", total, n)
	}
}

func TestCloseDuringConcurrentReads(t *testing.T) {
	for round := 0; round < 20; round++ {
		h := openFile(t, writeCapture(t, 2000))
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf, addr := pyBuffer(32 << 10)
				for {
					n, err := ReadInto(h, 8, 0, addr, len(buf))
					if err != nil {
						if !strings.HasPrefix(err.Error(), "ValueError: ") {
							t.Errorf("read after close: %v", err)
						}
						return
					}
					if n == 0 {
						return
					}
				}
			}()
		}
		Close(h)
		wg.Wait()
	}
}
