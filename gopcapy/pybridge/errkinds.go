package pybridge

import "errors"

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
