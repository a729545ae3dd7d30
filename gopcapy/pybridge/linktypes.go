package pybridge

import (
	"errors"
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

// TstampTypes returns the time stamp source names separated by newlines.
func TstampTypes(h int) (s string, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return "", kinded(err)
	}
	names, err := rd.r.TstampTypes()
	if err != nil {
		return "", kinded(err)
	}
	return strings.Join(names, "\n"), nil
}

// SetTstampType chooses a created handle's time stamp source; libpcap's status.
func SetTstampType(h int, name string) (rc int, err error) {
	defer guard(&err)
	rd, err := getReader(h)
	if err != nil {
		return 0, kinded(err)
	}
	if gopcapy.TstampTypeValue(name) < 0 {
		return 0, errors.New("ValueError: unknown time stamp type " + strconv.Quote(name))
	}
	rc, err = rd.r.SetTstampType(name)
	return rc, kinded(err)
}
