package pybridge

import (
	"strconv"
	"strings"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// ListDatalinks returns the capture's link types separated by spaces.
func ListDatalinks(h int) (s string, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return "", kinded(err)
	}
	dlts, err := rd.r.ListDatalinks()
	if err != nil {
		return "", kinded(err)
	}
	parts := make([]string, len(dlts))
	for i, d := range dlts {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, " "), nil
}

// SetDatalink selects a link type the capture supports.
func SetDatalink(h, dlt int) (rc int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	return 0, kinded(rd.r.SetDatalink(dlt))
}

// DatalinkName returns libpcap's name of a link type, "" if unknown.
func DatalinkName(dlt int) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	return gopcapy.DatalinkName(dlt)
}

// DatalinkDescription returns libpcap's description of a link type, "" if unknown.
func DatalinkDescription(dlt int) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	return gopcapy.DatalinkDescription(dlt)
}

// DatalinkValue returns the link type of a name, -1 if unknown.
func DatalinkValue(name string) (v int) {
	defer guardInt(&v)
	return gopcapy.DatalinkValue(name)
}
