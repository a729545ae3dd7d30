package pybridge

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"

	"github.com/gopcapy/gopcapy/gopcapy"
)

func TestGuardTurnsAPanicIntoAnInternalError(t *testing.T) {
	tests := []struct {
		name  string
		panic func()
		want  string
	}{
		{"string", func() { panic("boom") }, "InternalError: panic: boom"},
		{"error", func() { panic(errors.New("bad")) }, "InternalError: panic: bad"},
		{"runtime error", func() { var s []byte; _ = s[3] }, "InternalError: panic: runtime error: index out of range [3] with length 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := func() (err error) {
				defer guard(&err)
				tt.panic()
				return nil
			}()
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("no panic keeps the error", func(t *testing.T) {
		want := errors.New("PcapError: x")
		err := func() (err error) {
			defer guard(&err)
			return want
		}()
		if err != want {
			t.Errorf("error = %v, want %v", err, want)
		}
	})
}

func TestGuardIntTurnsAPanicIntoMinusOne(t *testing.T) {
	rc := func() (rc int) {
		defer guardInt(&rc)
		panic("boom")
	}()
	if rc != -1 {
		t.Errorf("rc = %d, want -1", rc)
	}
	rc = func() (rc int) {
		defer guardInt(&rc)
		return 7
	}()
	if rc != 7 {
		t.Errorf("rc = %d, want 7 when nothing panics", rc)
	}
}

func TestKindedNamesThePythonException(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{gopcapy.ErrClosed, "ValueError: pcap is closed"},
		{fmt.Errorf("reading: %w", gopcapy.ErrClosed), "ValueError: reading: pcap is closed"},
		{&gopcapy.Error{Msg: "unknown file format"}, "PcapError: unknown file format"},
		{&gopcapy.BPFError{Msg: "Couldn't compile BPF program"}, "BPFError: Couldn't compile BPF program"},
		{io.EOF, "PcapError: unexpected end of file"},
		{syscall.EMFILE, "OSError: 24 too many open files"},
		{&os.PathError{Op: "pipe2", Path: "", Err: syscall.EMFILE}, "OSError: 24 pipe2 : too many open files"},
		{errors.New("surprise"), "InternalError: surprise"},
	}
	for _, tt := range tests {
		if got := kinded(tt.err); got == nil || got.Error() != tt.want {
			t.Errorf("kinded(%v) = %v, want %q", tt.err, got, tt.want)
		}
	}
	if kinded(nil) != nil {
		t.Error("kinded(nil) must be nil")
	}
}

func TestInitStartsThePollerOnce(t *testing.T) {
	for i := 0; i < 2; i++ {
		if _, err := Init(); err != nil {
			t.Fatalf("Init #%d: %v", i+1, err)
		}
	}
	if !poller.started {
		t.Error("poller not marked started")
	}
}
