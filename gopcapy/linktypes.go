package gopcapy

// Link-layer header types: a capture's own (ListDatalinks, SetDatalink) and
// libpcap's names for DLT_ values (DatalinkName, DatalinkValue).

import "github.com/google/gopacket/pcap"

// ListDatalinks returns the link types the capture can deliver; a capture
// file has just its own.
func (r *Reader) ListDatalinks() ([]int, error) {
	if err := r.lock(); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	dlts, err := listDatalinks(r.p)
	if err != nil {
		return nil, pcapErr(err.Error())
	}
	return dlts, nil
}

// SetDatalink switches an activated live capture to another link type it
// supports (see ListDatalinks); an unsupported one is an *Error.
func (r *Reader) SetDatalink(dlt int) error {
	if err := r.lock(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	if err := setDatalink(r.p, dlt); err != nil {
		return pcapErr(err.Error())
	}
	return nil
}

// DatalinkName returns libpcap's name of a link type ("EN10MB"), "" if unknown.
func DatalinkName(dlt int) string { return pcap.DatalinkValToName(dlt) }

// DatalinkDescription returns libpcap's description of a link type ("Ethernet").
func DatalinkDescription(dlt int) string { return pcap.DatalinkValToDescription(dlt) }

// DatalinkValue returns the link type of a name ("EN10MB" → 1), -1 if unknown.
func DatalinkValue(name string) int { return pcap.DatalinkNameToVal(name) }
