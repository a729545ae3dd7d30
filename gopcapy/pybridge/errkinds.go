package pybridge

import (
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// Errors cross to Python as gopy's RuntimeError("Kind: message"); Python's
// pcapy._errors.translate raises the exception the kind names (its _KINDS
// table, checked against these by errkinds_test.go). An unknown kind, and
// InternalError (a bug or a recovered panic), stays a RuntimeError.
const (
	kindPcap     = "PcapError"     // pcapy.PcapError: libpcap's message, verbatim
	kindBPF      = "BPFError"      // pcapy.BPFError: a BPFProgram that cannot be built
	kindValue    = "ValueError"    // a bad argument value, or a closed object
	kindType     = "TypeError"     // a bad argument type
	kindOS       = "OSError"       // "OSError: <errno> <text>", a failed system call
	kindInternal = "InternalError" // a bug: must be loud
)

// kindError is the error Python turns into the exception of kind.
func kindError(kind, msg string) error { return errors.New(kind + ": " + msg) }

// pcapError, valueError and internalError are kindError of their kind.
func pcapError(msg string) error     { return kindError(kindPcap, msg) }
func valueError(msg string) error    { return kindError(kindValue, msg) }
func internalError(msg string) error { return kindError(kindInternal, msg) }

// kinded gives an error the "Kind: message" form Python maps to a type.
func kinded(err error) error {
	var pe *gopcapy.Error
	var be *gopcapy.BPFError
	var errno syscall.Errno
	var ve *gopcapy.RangeError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gopcapy.ErrClosed):
		return valueError(err.Error())
	case errors.As(err, &pe):
		return pcapError(pe.Msg)
	case errors.As(err, &be):
		return kindError(kindBPF, be.Msg)
	case errors.As(err, &ve):
		return valueError(ve.Msg)
	case errors.Is(err, io.EOF):
		return pcapError("unexpected end of file")
	case errors.As(err, &errno):
		// Python's OSError(errno, strerror): "OSError: 24 too many open files".
		return kindError(kindOS, fmt.Sprintf("%d %s", int(errno), err.Error()))
	}
	return internalError(err.Error())
}

// guard turns a panic into an error; use as `defer guard(&err)`.
func guard(err *error) {
	if p := recover(); p != nil {
		*err = internalError(fmt.Sprintf("panic: %v", p))
	}
}

// guardInt turns a panic into the status -1 for functions without an error.
func guardInt(rc *int) {
	if recover() != nil {
		*rc = -1
	}
}
