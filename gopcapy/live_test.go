package gopcapy

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// libpcap status codes.
const (
	pcapErrorActivated    = -4
	pcapErrorNoSuchDevice = -5
	pcapDIn               = 1 // PCAP_D_IN
)

// matchNothing is a filter no loopback traffic matches.
const matchNothing = "ether proto 0x88b5" // IEEE local experimental

func TestCreateUnknownDeviceFailsToActivate(t *testing.T) {
	r, err := Create("nonexistent0")
	if err != nil {
		t.Fatalf("Create accepts any name until Activate: %v", err)
	}
	defer r.Close()
	if lt, err := r.Datalink(); lt != -3 || err != nil {
		t.Errorf("LinkType before Activate = %d, %v; want -3 (PCAP_ERROR_NOT_ACTIVATED)", lt, err)
	}
	for name, rc := range map[string]int{
		"SetSnaplen":       r.SetSnaplen(128),
		"SetPromisc":       r.SetPromisc(0),
		"SetBufferSize":    r.SetBufferSize(1 << 20),
		"SetImmediateMode": r.SetImmediateMode(1),
		"SetTimeout":       r.SetTimeout(50),
		"SetPrecision":     r.SetPrecision(Nano),
	} {
		if rc != 0 {
			t.Errorf("%s on a created handle = %d, want 0", name, rc)
		}
	}
	if r.Timeout() != 50*time.Millisecond || r.Precision() != Nano || !r.Live() {
		t.Errorf("Timeout %v, Precision %v, Live %v; want 50ms, Nano, true", r.Timeout(), r.Precision(), r.Live())
	}
	wantPcapError(t, r.SetFilter("icmp"), "not-yet-activated pcap_t passed to pcap_compile")
	dump := filepath.Join(t.TempDir(), "d.pcap")
	_, err = r.DumpOpen(dump)
	wantPcapError(t, err, dump+": not-yet-activated pcap_t passed to pcap_dump_open")
	if rc := r.Activate(); rc != pcapErrorNoSuchDevice {
		t.Errorf("Activate() = %d, want %d (PCAP_ERROR_NO_SUCH_DEVICE)", rc, pcapErrorNoSuchDevice)
	}
	if lt, _ := r.Datalink(); lt != -3 {
		t.Errorf("LinkType after a failed Activate = %d, want -3", lt)
	}
}

// openLo opens the loopback device, skipping when this process may not capture.
func openLo(t *testing.T, timeout time.Duration) *Reader {
	t.Helper()
	r, err := OpenLive("lo", 65535, false, timeout)
	if err != nil {
		t.Skipf("cannot capture on lo here: %v", err)
	}
	t.Cleanup(r.Close)
	return r
}

// loUDPPort returns a free UDP port on 127.0.0.1 and a func sending to it.
func loUDPPort(t *testing.T) (int, func(payload []byte)) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	addr := c.LocalAddr().(*net.UDPAddr)
	return addr.Port, func(payload []byte) {
		if _, err := c.WriteToUDP(payload, addr); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLiveCaptureOnLoopback(t *testing.T) {
	r := openLo(t, 100*time.Millisecond)
	if lt, _ := r.Datalink(); lt != dltEthernet {
		t.Errorf("LinkType(lo) = %d, want %d", lt, dltEthernet)
	}
	if !r.Live() || r.Timeout() != 100*time.Millisecond {
		t.Errorf("Live %v, Timeout %v; want true, 100ms", r.Live(), r.Timeout())
	}
	if n, m, err := r.Net(); byte(n) != 127 || byte(m) != 255 || err != nil {
		t.Errorf("Net() = %#x, %#x, %v; want 127.0.0.0/255.0.0.0 (first octet in the low byte)", n, m, err)
	}
	if fd, err := r.Fd(); fd < 0 || err != nil {
		t.Errorf("Fd() = %d, %v", fd, err)
	}
	port, send := loUDPPort(t)
	if err := r.SetFilter("udp port " + strconv.Itoa(port)); err != nil {
		t.Fatal(err)
	}

	t.Run("a sent datagram is captured", func(t *testing.T) {
		payload := []byte("gopcapy live test")
		send(payload)
		var b Batch
		n, err := r.ReadBatch(&b, 10, 5*time.Second)
		if n < 1 || err != nil {
			t.Fatalf("ReadBatch = %d, %v; want the datagram", n, err)
		}
		h, data := b.Packet(0)
		if !bytes.HasSuffix(data, payload) || h.Len != uint32(len(data)) || h.Sec < time.Now().Unix()-60 {
			t.Errorf("captured %+v %x, want a fresh frame ending in the payload", h, data)
		}
	})
	t.Run("nothing more: ReadBatch waits, then ErrTimeout", func(t *testing.T) {
		var b Batch
		start := time.Now()
		n, err := r.ReadBatch(&b, 10, 150*time.Millisecond)
		for err == nil { // a duplicate of the datagram may still come
			n, err = r.ReadBatch(&b, 10, 150*time.Millisecond)
		}
		if n != 0 || err != ErrTimeout {
			t.Errorf("ReadBatch = %d, %v; want 0, ErrTimeout", n, err)
		}
		if waited := time.Since(start); waited < 100*time.Millisecond {
			t.Errorf("ReadBatch returned after %v, before the wait", waited)
		}
	})
	t.Run("Next times out after the capture's timeout", func(t *testing.T) {
		start := time.Now()
		_, _, err := r.Next()
		if err != ErrTimeout || time.Since(start) > 2*time.Second {
			t.Errorf("Next = %v after %v, want ErrTimeout after about 100ms", err, time.Since(start))
		}
	})
	t.Run("Dispatch returns when nothing came", func(t *testing.T) {
		if n, err := r.Dispatch(-1, func(Pkthdr, []byte) {}); n != 0 || err != nil {
			t.Errorf("Dispatch = %d, %v; want 0, nil", n, err)
		}
	})
	t.Run("non-blocking mode returns at once", func(t *testing.T) {
		if err := r.SetNonblock(true); err != nil {
			t.Fatal(err)
		}
		defer r.SetNonblock(false)
		if on, err := r.Nonblock(); !on || err != nil {
			t.Errorf("Nonblock() = %v, %v; want true", on, err)
		}
		var b Batch
		start := time.Now()
		if _, err := r.ReadBatch(&b, 10, 5*time.Second); err != ErrTimeout || time.Since(start) > time.Second {
			t.Errorf("ReadBatch = %v after %v, want ErrTimeout at once", err, time.Since(start))
		}
	})
	t.Run("stats, direction, fanout and send work", func(t *testing.T) {
		if _, _, _, err := r.Stats(); err != nil {
			t.Errorf("Stats() = %v", err)
		}
		if err := r.SetDirection(pcapDIn); err != nil {
			t.Errorf("SetDirection(PCAP_D_IN) = %v", err)
		}
		if err := r.SetFanout(int(os.Getpid()&0xffff), 0); err != nil {
			t.Errorf("SetFanout = %v", err)
		}
		if err := r.SendPacket(icmpFrame()); err != nil {
			t.Errorf("SendPacket = %v", err)
		}
	})
}

func TestCreateSetActivateOnLoopback(t *testing.T) {
	r, err := Create("lo")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.SetSnaplen(200)
	r.SetTimeout(100)
	r.SetImmediateMode(1)
	r.SetPrecision(Nano)
	if rc := r.Activate(); rc != 0 {
		t.Skipf("cannot activate lo here: status %d", rc)
	}
	if n, _ := r.Snaplen(); n != 200 {
		t.Errorf("Snaplen() = %d, want 200", n)
	}
	if lt, _ := r.Datalink(); lt != dltEthernet {
		t.Errorf("Datalink() = %d, want %d", lt, dltEthernet)
	}
	if rc := r.Activate(); rc != pcapErrorActivated {
		t.Errorf("second Activate() = %d, want %d (PCAP_ERROR_ACTIVATED)", rc, pcapErrorActivated)
	}
	if rc := r.SetSnaplen(100); rc != pcapErrorActivated {
		t.Errorf("SetSnaplen after Activate = %d, want %d", rc, pcapErrorActivated)
	}
	port, send := loUDPPort(t)
	if err := r.SetFilter("udp port " + strconv.Itoa(port)); err != nil {
		t.Fatal(err)
	}
	send(make([]byte, 1000))
	before := time.Now()
	h, data, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if h.Caplen != 200 || len(data) != 200 || h.Len != 1042 {
		t.Errorf("captured %+v with %d bytes, want caplen 200 of 1042", h, len(data))
	}
	if h.Frac >= 1e9 || h.Sec < before.Unix()-60 {
		t.Errorf("header %+v is not a fresh nanosecond timestamp", h)
	}
}

func TestCloseEndsABlockedLiveReadWithErrClosed(t *testing.T) {
	r := openLo(t, 0) // 0: wait forever
	if err := r.SetFilter(matchNothing); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := r.Next(); done <- err }()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	r.Close()
	select {
	case err := <-done:
		if err != ErrClosed {
			t.Errorf("Next ended by Close returned %v, want ErrClosed", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Close took %v to end the read", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocked Next")
	}
}

func TestSettingsRaceWithReads(t *testing.T) {
	// Run with -race: settings and reads share the reader's fields.
	r, err := Create("nonexistent0")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 1000; i++ {
			r.SetTimeout(i)
			r.SetPrecision(Precision(i % 2))
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 1000; i++ {
			_, _, _ = r.Next() // reads r.timeout under the lock
			_, _ = r.DumpOpen(os.DevNull)
		}
	}()
	wg.Wait()
}
