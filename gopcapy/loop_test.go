package gopcapy

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
)

// Loop, Dispatch and Breakloop.

func TestBreakloopFromTheCallbackStopsAfterThatPacket(t *testing.T) {
	recs := mixed(50)
	path := writePcap(t, filepath.Join(t.TempDir(), "x.pcap"), layers.LinkType(dltEthernet), 65535, false, recs)
	for _, name := range []string{"Loop", "Dispatch"} {
		r := open(t, path, Micro)
		seen := 0
		fn := func(Pkthdr, []byte) {
			seen++
			if seen == 7 {
				r.Breakloop()
			}
		}
		if name == "Loop" {
			if err := r.Loop(-1, fn); err != nil {
				t.Fatal(err)
			}
		} else if n, err := r.Dispatch(-1, fn); err != nil || n != 7 {
			t.Fatalf("Dispatch = %d, %v; want 7", n, err)
		}
		if seen != 7 {
			t.Errorf("%s handled %d packets after Breakloop at 7", name, seen)
		}
		h, _, err := r.Next()
		if err != nil || h.Sec != recs[7].sec {
			t.Errorf("%s: Next after Breakloop = %v, %v; want packet 7", name, h, err)
		}
		rest, _ := r.Dispatch(-1, func(Pkthdr, []byte) {})
		if rest != len(recs)-8 {
			t.Errorf("%s: %d packets after, want %d", name, rest, len(recs)-8)
		}
	}
}

func TestBreakloopBeforeLoopMakesItReturnAtOnce(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "x.pcap"), layers.LinkType(dltEthernet), 65535, false, mixed(5))
	r := open(t, path, Micro)
	r.Breakloop()
	n, err := r.Dispatch(-1, func(Pkthdr, []byte) { t.Error("callback ran") })
	if n != 0 || err != nil {
		t.Errorf("Dispatch after Breakloop = %d, %v", n, err)
	}
	if n, _ := r.Dispatch(-1, func(Pkthdr, []byte) {}); n != 5 {
		t.Errorf("the following Dispatch handled %d, want 5", n)
	}
}

func TestBreakloopFromAnotherGoroutineEndsALiveWait(t *testing.T) {
	r, err := OpenLive("lo", 65535, false, 0)
	if err != nil {
		t.Skipf("cannot capture on lo: %v", err)
	}
	defer r.Close()
	if err := r.SetFilter("udp port 9"); err != nil { // nothing will come
		t.Fatal(err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		r.Breakloop()
	}()
	start := time.Now()
	if err := r.Loop(-1, func(Pkthdr, []byte) {}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Loop returned %v after Breakloop", took)
	}
}
