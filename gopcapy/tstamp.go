package gopcapy

// Time stamp sources of a created live capture (pcap_set_tstamp_type).

// TstampTypes returns the names of the time stamp sources a created handle
// can use ("host", "adapter", ...), for SetTstampType before Activate.
func (r *Reader) TstampTypes() ([]string, error) {
	if err := r.lock(); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	names, err := listTstampTypes(r.p)
	if err != nil {
		return nil, pcapErr(err.Error())
	}
	return names, nil
}

// SetTstampType chooses the time stamp source of a created handle before
// Activate and returns libpcap's status (0, a positive warning such as 3 for
// "not supported by this device", -4 once activated); an unknown name is an
// *Error.
func (r *Reader) SetTstampType(name string) (int, error) {
	v := TstampTypeValue(name)
	if v < 0 {
		return 0, pcapErr("unknown time stamp type " + name)
	}
	if err := r.lock(); err != nil {
		return 0, err
	}
	defer r.mu.Unlock()
	return setTstampType(r.p, v), nil
}

// TstampTypeValue returns libpcap's value of a time stamp source name
// ("host" → 0, case-insensitive), -1 if unknown.
func TstampTypeValue(name string) int { return tstampTypeValue(name) }
