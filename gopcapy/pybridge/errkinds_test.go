package pybridge

import (
	"os"
	"regexp"
	"testing"
)

// Every kind Python must turn into an exception has its entry in
// python/pcapy/_errors.py's _KINDS (OSError is parsed there by hand and
// InternalError stays a RuntimeError on purpose).
func TestErrorKindsAreKnownToPython(t *testing.T) {
	src, err := os.ReadFile("../../python/pcapy/_errors.py")
	if err != nil {
		t.Skipf("Python package not beside the Go one: %v", err)
	}
	table := regexp.MustCompile(`(?s)_KINDS[^{]*\{(.*?)\}`).FindSubmatch(src)
	if table == nil {
		t.Fatal("no _KINDS table in _errors.py")
	}
	for _, kind := range []string{kindPcap, kindBPF, kindValue, kindType} {
		if !regexp.MustCompile(`"` + kind + `":`).Match(table[1]) {
			t.Errorf("_errors.py's _KINDS lacks %q", kind)
		}
	}
	if !regexp.MustCompile(`"` + kindOS + `"`).Match(src) {
		t.Errorf("_errors.py does not parse %q", kindOS)
	}
	if regexp.MustCompile(`"` + kindInternal + `":`).Match(table[1]) {
		t.Errorf("%q must stay a RuntimeError", kindInternal)
	}
}
