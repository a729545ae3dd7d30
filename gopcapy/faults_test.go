package gopcapy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

func TestOpenDumperOnAFullDeviceFailsWithTheErrno(t *testing.T) {
	// The file header is flushed at open, so a full device fails there.
	_, err := OpenDumper("/dev/full", 1, 65535, Micro)
	var pe *Error
	if !errors.As(err, &pe) || pe.Msg != "/dev/full: No space left on device" {
		t.Fatalf("OpenDumper(/dev/full) = %v, want *Error \"/dev/full: No space left on device\"", err)
	}
}

func TestDumperWriteFailureIsReturnedThenSticky(t *testing.T) {
	signal.Ignore(syscall.SIGPIPE) // as Python does: a closed pipe is EPIPE
	defer signal.Reset(syscall.SIGPIPE)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	path := fmt.Sprintf("/dev/fd/%d", pw.Fd())
	d, err := OpenDumper(path, 1, 65535, Micro)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(pr, make([]byte, 24)); err != nil { // the header came at once
		t.Fatal(err)
	}
	pr.Close()
	want := path + ": Broken pipe"
	rec := mixed(1)[0]
	h := Pkthdr{Sec: 1, Caplen: uint32(len(rec.data)), Len: uint32(len(rec.data))}
	for i := 0; i < 2; i++ { // the failing write, then a later one
		var pe *Error
		if err := d.WritePacket(h, rec.data); !errors.As(err, &pe) || pe.Msg != want {
			t.Fatalf("write %d = %v, want %q", i, err, want)
		}
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close after a reported failure = %v, want nil", err)
	}
}

// eventfds counts this process's eventfd descriptors.
func eventfds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.Contains(l, "eventfd") {
			n++
		}
	}
	return n
}

func TestCreateAndCloseWithoutActivateLeaksNoDescriptor(t *testing.T) {
	// libpcap up to 1.10.4 makes an eventfd in pcap_create that only an
	// activated handle's cleanup closes.
	before := eventfds(t)
	for i := 0; i < 50; i++ {
		r, err := Create("lo")
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		r, err = Create("no-such-device0")
		if err != nil {
			t.Fatal(err)
		}
		if rc := r.Activate(); rc >= 0 {
			t.Fatalf("Activate(no-such-device0) = %d", rc)
		}
		r.Close()
	}
	if after := eventfds(t); after != before {
		t.Errorf("%d eventfds after 100 create/close, %d before", after, before)
	}
}
