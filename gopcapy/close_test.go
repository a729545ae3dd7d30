package gopcapy

import (
	"encoding/binary"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
)

func TestEveryMethodOfAClosedReaderReturnsErrClosed(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "a.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(3))
	r, err := OpenOffline(path)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close() // idempotent
	if !r.Closed() {
		t.Fatal("Closed() = false after Close")
	}
	var b Batch
	noop := func(Pkthdr, []byte) {}
	errs := map[string]func() error{
		"Next":          func() error { _, _, err := r.Next(); return err },
		"ReadBatch":     func() error { _, err := r.ReadBatch(&b, 10, 0); return err },
		"Dispatch":      func() error { _, err := r.Dispatch(-1, noop); return err },
		"Loop":          func() error { return r.Loop(-1, noop) },
		"Datalink":      func() error { _, err := r.Datalink(); return err },
		"Snaplen":       func() error { _, err := r.Snaplen(); return err },
		"Net":           func() error { _, _, err := r.Net(); return err },
		"SetFilter":     func() error { return r.SetFilter("icmp") },
		"SetFilterKeep": func() error { return r.SetFilterKeep("icmp", &b, 1) },
		"DumpOpen":      func() error { _, err := r.DumpOpen(filepath.Join(t.TempDir(), "d.pcap")); return err },
		"SetNonblock":   func() error { return r.SetNonblock(true) },
		"Nonblock":      func() error { _, err := r.Nonblock(); return err },
		"Fd":            func() error { _, err := r.Fd(); return err },
		"Stats":         func() error { _, _, _, err := r.Stats(); return err },
		"SendPacket":    func() error { return r.SendPacket(icmpFrame()) },
		"SetDirection":  func() error { return r.SetDirection(1) },
		"SetFanout":     func() error { return r.SetFanout(1, 0) },
	}
	for name, call := range errs {
		if err := call(); err != ErrClosed {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	statuses := map[string]func() int{
		"SetSnaplen":       func() int { return r.SetSnaplen(100) },
		"SetPromisc":       func() int { return r.SetPromisc(1) },
		"SetBufferSize":    func() int { return r.SetBufferSize(1 << 20) },
		"SetRfmon":         func() int { return r.SetRfmon(1) },
		"SetImmediateMode": func() int { return r.SetImmediateMode(1) },
		"SetTimeout":       func() int { return r.SetTimeout(10) },
		"SetPrecision":     func() int { return r.SetPrecision(Nano) },
		"Activate":         r.Activate,
	}
	for name, call := range statuses {
		if rc := call(); rc != -1 {
			t.Errorf("%s after Close = %d, want -1", name, rc)
		}
	}
}

func TestCloseFromAnotherGoroutineEndsAReadLoop(t *testing.T) {
	// Big enough that the reading goroutine is still busy when Close comes.
	path := writeFile(t, filepath.Join(t.TempDir(), "many.pcap"), pcapBytesMixed(20000))
	closedMidRead := 0
	for round := 0; round < 20; round++ {
		r, err := OpenOffline(path)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make(chan error, 3)
		read := func(next func() error) {
			defer wg.Done()
			for {
				if err := next(); err != nil {
					results <- err
					return
				}
			}
		}
		var b Batch
		wg.Add(3)
		go read(func() error { _, _, err := r.Next(); return err })
		go read(func() error { _, err := r.ReadBatch(&b, 7, 0); return err })
		go read(func() error { return dispatchEOF(r.Dispatch(3, func(Pkthdr, []byte) {})) })
		time.Sleep(time.Duration(round%5) * 100 * time.Microsecond)
		r.Close()
		wg.Wait()
		close(results)
		for err := range results {
			if err != ErrClosed && err != io.EOF {
				t.Fatalf("round %d: a reader ended with %v, want ErrClosed (or io.EOF if it won the race)", round, err)
			}
			if err == ErrClosed {
				closedMidRead++
			}
		}
	}
	if closedMidRead == 0 {
		t.Error("Close never came while a goroutine was reading: the test proves nothing")
	}
}

// dispatchEOF turns Dispatch's "nothing left" (0, nil) into io.EOF.
func dispatchEOF(n int, err error) error {
	if n == 0 && err == nil {
		return io.EOF
	}
	return err
}

// pcapBytesMixed is mixed(n) as a little-endian µs pcap.
func pcapBytesMixed(n int) []byte {
	return pcapBytes(binary.LittleEndian, false, 65535, 1, mixed(n))
}

func TestConcurrentCallsOnOneReader(t *testing.T) {
	// Run with -race: every method takes the reader's lock.
	path := writeFile(t, filepath.Join(t.TempDir(), "m.pcap"), pcapBytesMixed(3000))
	r := open(t, path, Micro)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	count := func(n int) { mu.Lock(); total += n; mu.Unlock() }
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var b Batch
			for {
				var n int
				var err error
				switch g {
				case 0:
					_, _, err = r.Next()
					if err == nil {
						n = 1
					}
				case 1:
					n, err = r.ReadBatch(&b, 5, 0)
				default:
					n, err = r.Dispatch(11, func(Pkthdr, []byte) {})
					err = dispatchEOF(n, err)
				}
				count(n)
				_, _ = r.Datalink()
				_, _ = r.Snaplen()
				if err != nil {
					if err != io.EOF {
						t.Errorf("goroutine %d: %v", g, err)
					}
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if total != 3000 {
		t.Errorf("goroutines read %d packets in all, want each of the 3000 once", total)
	}
}
