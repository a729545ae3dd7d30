package gopcapy

import (
	"errors"
	"io"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// A *Reader is a gopacket packet source:
//
//	src := gopacket.NewPacketSource(r, r.LinkType())
//
// ReadPacketData and ZeroCopyReadPacketData follow gopacket's pcap.Handle:
// io.EOF at the end of a file and once the Reader is closed (so a
// PacketSource's Packets channel closes), ErrTimeout when a live capture's
// wait expired (PacketSource retries).
var (
	_ gopacket.PacketDataSource         = (*Reader)(nil)
	_ gopacket.ZeroCopyPacketDataSource = (*Reader)(nil)
)

// LinkType returns the link type as gopacket's layers.LinkType, the
// decoder NewPacketSource wants; LinkTypeNull (0) before activation or once
// closed. (Reader.Datalink gives the DLT_* number and an error, as pcapy.)
func (r *Reader) LinkType() layers.LinkType {
	dlt, err := r.Datalink()
	if err != nil || dlt < 0 {
		return layers.LinkTypeNull
	}
	return layers.LinkType(dlt)
}

// ReadPacketData returns the next packet as a copy the caller keeps.
func (r *Reader) ReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	h, data, err := r.Next()
	if err != nil {
		return nil, gopacket.CaptureInfo{}, sourceErr(err)
	}
	return data, r.captureInfo(h), nil
}

// ZeroCopyReadPacketData returns the next packet without copying it: the
// data is valid only until the next call on r (gopacket's contract), and
// like gopacket's sources it must not be called concurrently.
func (r *Reader) ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	if err := r.lock(); err != nil {
		return nil, gopacket.CaptureInfo{}, sourceErr(err)
	}
	defer r.mu.Unlock()
	if r.pos >= r.batch.n {
		r.pos = 0
		if _, err := r.readLocked(&r.batch, 256, r.liveWait()); err != nil {
			return nil, gopacket.CaptureInfo{}, sourceErr(err)
		}
	}
	h, data := r.batch.Packet(r.pos)
	r.pos++
	return data, r.captureInfoLocked(h), nil
}

// captureInfo is h in gopacket's terms: Frac in the Reader's precision
// becomes the timestamp's nanoseconds.
func (r *Reader) captureInfo(h Pkthdr) gopacket.CaptureInfo {
	return captureInfo(h, r.Precision())
}

func (r *Reader) captureInfoLocked(h Pkthdr) gopacket.CaptureInfo {
	return captureInfo(h, r.prec)
}

func captureInfo(h Pkthdr, prec Precision) gopacket.CaptureInfo {
	nsec := int64(h.Frac)
	if prec != Nano {
		nsec *= 1000
	}
	return gopacket.CaptureInfo{
		Timestamp:     time.Unix(h.Sec, nsec),
		CaptureLength: int(h.Caplen),
		Length:        int(h.Len),
	}
}

// sourceErr maps ErrClosed to io.EOF: gopacket's PacketSource stops on
// io.EOF and retries anything it does not know.
func sourceErr(err error) error {
	if errors.Is(err, ErrClosed) {
		return io.EOF
	}
	return err
}
