// Package pybridge is the surface gopy binds for the Python package pcapy:
// plain functions over integer handles, so Python never holds a Go pointer
// that could go stale. Every function recovers panics (a Go panic would kill
// the Python process) and reports errors as "Kind: message", which
// pcapy/_errors.py maps to Python exception types.
package pybridge

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// registry maps the integers Python holds to Go objects.
type registry[T any] struct {
	mu   sync.Mutex
	next int
	m    map[int]T
}

func (r *registry[T]) add(v T) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[int]T{}
	}
	r.next++
	r.m[r.next] = v
	return r.next
}

func (r *registry[T]) get(id int) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[id]
	return v, ok
}

func (r *registry[T]) remove(id int) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[id]
	delete(r.m, id)
	return v, ok
}

// reader is a Reader with the batch last handed to Python.
type reader struct {
	r     *gopcapy.Reader
	mu    sync.Mutex // guards batch between a read (ReadInto, ReadNgInto) and BatchBytes
	batch gopcapy.Batch
}

var (
	readers  registry[*reader]
	dumpers  registry[*gopcapy.Dumper]
	programs registry[*gopcapy.BPFProgram]
)

var errClosed = gopcapy.ErrClosed

func getReader(h int) (*reader, error) {
	rd, ok := readers.get(h)
	if !ok || rd.r.Closed() {
		return nil, errClosed
	}
	return rd, nil
}

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
		return errors.New("ValueError: " + err.Error())
	case errors.As(err, &pe):
		return errors.New("PcapError: " + pe.Msg)
	case errors.As(err, &be):
		return errors.New("BPFError: " + be.Msg)
	case errors.As(err, &ve):
		return errors.New("ValueError: " + ve.Msg)
	case errors.Is(err, io.EOF):
		return errors.New("PcapError: unexpected end of file")
	case errors.As(err, &errno):
		// Python's OSError(errno, strerror): "OSError: 24 too many open files".
		return fmt.Errorf("OSError: %d %s", int(errno), err.Error())
	}
	return errors.New("InternalError: " + err.Error())
}

// guard turns a panic into an error; use as `defer guard(&err)`.
func guard(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("InternalError: panic: %v", p)
	}
}

// guardInt turns a panic into the status -1 for functions without an error.
func guardInt(rc *int) {
	if recover() != nil {
		*rc = -1
	}
}
