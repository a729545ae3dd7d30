// Package pybridge is the surface gopy binds for the Python package pcapy:
// plain functions over integer handles, so Python never holds a Go pointer
// that could go stale. Every function recovers panics (a Go panic would kill
// the Python process) and reports errors as "Kind: message", which
// pcapy/_errors.py maps to Python exception types.
package pybridge

import (
	"sync"

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
	mu    sync.Mutex // guards batch between a read (ReadInto) and BatchBytes
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
