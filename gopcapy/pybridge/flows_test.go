package pybridge

import (
	"path/filepath"
	"strings"
	"testing"
)

// Unknown stream and flow-table handles are errors, never panics (Python
// never holds dead ones, but a bug must not kill the interpreter).
func TestUnknownStreamAndFlowHandles(t *testing.T) {
	for _, id := range []int{0, -1, 9999} {
		if _, err := StreamColumns(id, 10, "ts"); err == nil || !strings.HasPrefix(err.Error(), "ValueError: the stream is closed") {
			t.Errorf("StreamColumns(%d): %v", id, err)
		}
		if _, err := StreamClose(id); err != nil {
			t.Errorf("StreamClose(%d): %v", id, err)
		}
		for name, call := range map[string]func() error{
			"FlowsFromStream":  func() error { _, err := FlowsFromStream(id, id, 10); return err },
			"FlowsFromColumns": func() error { _, err := FlowsFromColumns(id, id); return err },
			"FlowsDamage":      func() error { _, err := FlowsDamage(id); return err },
			"FlowsRows":        func() error { _, err := FlowsRows(id); return err },
			"FlowsAddresses":   func() error { _, err := FlowsAddresses(id); return err },
			"FlowsExport":      func() error { _, err := FlowsExport(id, "src", 0, 0); return err },
		} {
			if err := call(); err == nil || !strings.HasPrefix(err.Error(), "InternalError: no such flow table") {
				t.Errorf("%s(%d): %v", name, id, err)
			}
		}
		if _, err := FlowsFree(id); err != nil {
			t.Errorf("FlowsFree(%d): %v", id, err)
		}
	}
}

// A stream and a flow table over a capture: rows, flows, errors as Python sees them.
func TestStreamAndFlowsBridge(t *testing.T) {
	path := writeCapture(t, 5)
	s, _ := StreamOpen(path+"\n"+path, "", 7)
	defer StreamClose(s)
	if _, err := StreamColumns(s, 0, "ts"); err == nil || !strings.HasPrefix(err.Error(), "ValueError") {
		t.Errorf("chunk of 0 rows: %v", err)
	}
	if _, err := StreamColumns(s, 3, "nope"); err == nil || !strings.HasPrefix(err.Error(), "ValueError: ") {
		t.Errorf("unknown field: %v", err)
	}
	var sizes []int
	for {
		job, err := StreamColumns(s, 3, "ts\nsrc")
		if err != nil {
			t.Fatal(err)
		}
		n, _ := ColumnsRows(job)
		ColumnsFree(job)
		if n == 0 {
			break
		}
		sizes = append(sizes, n)
	}
	if len(sizes) != 3 || sizes[0] != 3 || sizes[2] != 1 {
		t.Errorf("chunk sizes %v, want [3 3 1]", sizes)
	}
	table, _ := FlowsNew(0, 0, true)
	defer FlowsFree(table)
	missing, _ := StreamOpen(filepath.Join(t.TempDir(), "missing.pcap"), "", 0)
	if _, err := FlowsFromStream(table, missing, 10); err == nil || !strings.HasPrefix(err.Error(), "PcapError: ") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := FlowsExport(table, "nope", 0, 0); err == nil || !strings.HasPrefix(err.Error(), "ValueError: ") {
		t.Errorf("unknown flow column: %v", err)
	}
}
