package pybridge

import (
	"strconv"
	"strings"

	"github.com/gopcapy/gopcapy/gopcapy"
)

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
		return 0, valueError("unknown time stamp type " + strconv.Quote(name))
	}
	rc, err = rd.r.SetTstampType(name)
	return rc, kinded(err)
}
