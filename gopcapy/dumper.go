package gopcapy

import (
	"encoding/binary"
	"sync"
	"syscall"
	"unsafe"
)

// Dumper writes packets to a pcap file (libpcap's pcap_dump).
//
// A failed write (full disk, I/O error, closed pipe) is returned by the call
// that met it as an *Error "<path>: <strerror>"; the Dumper then writes
// nothing more and every later WriteBatch returns the same error. The file
// holds the packets written before the failure, the last one possibly cut
// short (stdio writes in buffer-sized pieces).
type Dumper struct {
	mu     sync.Mutex
	d      unsafe.Pointer
	closed bool
	prec   Precision
	path   string
	err    error // the first write failure, returned by every later write
}

// ErrDumperClosed is returned by a closed Dumper's writes.
var ErrDumperClosed = pcapErr("Dumper is already closed.")

// DumpOpen creates a pcap file ("-" is standard output) for packets of the
// reader's link type, snapshot length and timestamp precision.
func (r *Reader) DumpOpen(path string) (*Dumper, error) {
	if err := r.lock(); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	if !r.active {
		return nil, pcapErr(path + ": not-yet-activated pcap_t passed to pcap_dump_open") // libpcap's words
	}
	return OpenDumper(path, datalink(r.p), snapshot(r.p), r.prec)
}

// OpenDumper creates a pcap file for the given link type and snapshot length.
func OpenDumper(path string, linkType, snaplen int, prec Precision) (*Dumper, error) {
	d, err := dumpOpenDead(path, linkType, snaplen, int(prec))
	if err != nil {
		return nil, pcapErr(err.Error())
	}
	return &Dumper{d: d, prec: prec, path: path}, nil
}

// WritePacket writes one packet; data must hold at least h.Caplen bytes.
func (d *Dumper) WritePacket(h Pkthdr, data []byte) error {
	if int(h.Caplen) > len(data) {
		return pcapErr("caplen is larger than the data")
	}
	var b Batch
	b.grow(recordSize + int(h.Caplen))
	PutRecord(b.buf, h, recordSize)
	copy(b.buf[recordSize:], data[:h.Caplen])
	b.n, b.used = 1, recordSize+int(h.Caplen)
	return d.WriteBatch(b.Bytes(), 1)
}

// WriteBatch writes n packets given in the Batch layout (records, then data).
// Every record is checked against the buffer before anything is written.
func (d *Dumper) WriteBatch(buf []byte, n int) error {
	if n < 0 || n > len(buf)/recordSize {
		return pcapErr("bad record count")
	}
	b := Batch{buf: buf, n: n, used: len(buf)}
	for i := 0; i < n; i++ {
		m := buf[i*recordSize:]
		off := int(binary.NativeEndian.Uint32(m[recStart:]))
		caplen := int(b.header(i).Caplen)
		if off < n*recordSize || off+caplen > len(buf) || caplen < 0 {
			return pcapErr("record data out of range")
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrDumperClosed
	}
	if d.err != nil {
		return d.err
	}
	if err := dumpRecords(d.d, buf, n); err != nil {
		d.err = d.failure(err)
		return d.err
	}
	return nil
}

// failure words a write error as libpcap words file errors: "<path>: <strerror>".
func (d *Dumper) failure(err error) error {
	if e, ok := err.(syscall.Errno); ok {
		return pcapErr(d.path + ": " + errnoText(e))
	}
	return pcapErr(d.path + ": " + err.Error())
}

// Close flushes and closes the file; it is idempotent. It returns an error
// only when this flush or close failed and no earlier write had failed (an
// earlier failure was returned by the write that met it).
func (d *Dumper) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	err := dumpClose(d.d)
	d.d = nil
	if err != nil && d.err == nil {
		d.err = d.failure(err)
		return d.err
	}
	return nil
}
