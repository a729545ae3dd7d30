package gopcapy

import "errors"

// ErrClosed is returned by every method of a closed Reader or Dumper.
var ErrClosed = errors.New("pcap is closed")

// ErrTimeout is returned by Next and ReadBatch on a live capture when no
// packet arrived within the wait (libpcap's "timeout expired").
var ErrTimeout = errors.New("timeout expired")

// Error is an error reported by libpcap, with libpcap's own message.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// BPFError is returned when a filter program cannot be built.
type BPFError struct{ Msg string }

func (e *BPFError) Error() string { return e.Msg }

func pcapErr(msg string) error { return &Error{Msg: msg} }

// RangeError reports a value the result cannot represent (a timestamp beyond
// the int64 nanoseconds of a ts column); Python raises ValueError.
type RangeError struct{ Msg string }

func (e *RangeError) Error() string { return e.Msg }
