//go:build !linux

package gopcapy

// SetFanout needs Linux's PACKET_FANOUT (fanout_linux.go); elsewhere it is an
// *Error, as for a capture without a packet socket.
func (r *Reader) SetFanout(group, kind int) error {
	if err := r.lock(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	return pcapErr("PACKET_FANOUT is only available on Linux")
}
