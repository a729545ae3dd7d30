package pybridge

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// bridge lists every function gopy exports, so the tests below can call
// each one through reflection: a new function must be added here (see
// TestBridgeListsEveryExportedFunction), a changed signature needs nothing.
var bridge = map[string]any{
	"Activate": Activate, "BPFFilter": BPFFilter, "BPFFree": BPFFree,
	"BPFInstructions": BPFInstructions, "BatchBytes": BatchBytes, "BatchLayout": BatchLayout,
	"BufferSize": BufferSize, "Close": Close,
	"Compile": Compile, "Create": Create, "Datalink": Datalink,
	"DatalinkDescription": DatalinkDescription, "DatalinkName": DatalinkName,
	"DatalinkValue": DatalinkValue, "DumpClose": DumpClose, "DumpOpen": DumpOpen,
	"DumpWrite": DumpWrite, "Fd": Fd, "FindAllDevs": FindAllDevs,
	"GetNonblock": GetNonblock, "Interfaces": Interfaces,
	"LibVersion": LibVersion, "LookupDev": LookupDev, "NetMask": NetMask,
	"NewBPF": NewBPF, "OpenLive": OpenLive, "OpenOffline": OpenOffline,
	"ReadInto":   ReadInto,
	"SendPacket": SendPacket, "SetDirection": SetDirection, "SetFanout": SetFanout,
	"SetFilter": SetFilter, "SetNonblock": SetNonblock, "State": State, "Setting": Setting,
	"Stats":            Stats,
	"ColumnsAddresses": ColumnsAddresses, "ColumnsAppendRecords": ColumnsAppendRecords,
	"ColumnsDamage": ColumnsDamage, "ColumnsExport": ColumnsExport, "ColumnsFree": ColumnsFree,
	"ColumnsFromReader": ColumnsFromReader, "ColumnsNew": ColumnsNew,
	"ColumnsProgress": ColumnsProgress, "ColumnsReadFiles": ColumnsReadFiles,
	"ColumnsRows": ColumnsRows, "ColumnsWait": ColumnsWait,
	"ColumnsReadRange": ColumnsReadRange, "ColumnsReadRangeMemory": ColumnsReadRangeMemory,
	"ColumnsRangeLookback": ColumnsRangeLookback, "ColumnsRangeTimes": ColumnsRangeTimes,
	"ColumnsOpenFile": ColumnsOpenFile, "ColumnsMaxRows": ColumnsMaxRows, "ColumnsFill": ColumnsFill,
	"ColumnsSpec":   ColumnsSpec,
	"ListDatalinks": ListDatalinks, "SetDatalink": SetDatalink,
	"TstampTypes": TstampTypes, "SetTstampType": SetTstampType, "Init": Init,
	"FilterStart": FilterStart, "FilterEnd": FilterEnd, "FilterRead": FilterRead,
	"FilterUnread": FilterUnread, "FilterToBuffer": FilterToBuffer, "FilterSideSize": FilterSideSize,
	"StreamOpen": StreamOpen, "StreamColumns": StreamColumns, "StreamClose": StreamClose,
	"FlowsNew": FlowsNew, "FlowsFromStream": FlowsFromStream, "FlowsFromColumns": FlowsFromColumns,
	"FlowsDamage": FlowsDamage, "FlowsRows": FlowsRows, "FlowsAddresses": FlowsAddresses,
	"FlowsExport": FlowsExport, "FlowsFree": FlowsFree,
}

// exportedFuncs maps each exported function to what its first parameter
// names: a reader ("h"), a dumper ("d"), a BPF program ("p"), a column job
// ("job"); "" for functions without a handle.
func exportedFuncs(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	funcs := map[string]string{}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !fd.Name.IsExported() {
				continue
			}
			kind := ""
			if ps := fd.Type.Params.List; len(ps) > 0 && len(ps[0].Names) > 0 {
				if id, ok := ps[0].Type.(*ast.Ident); ok && id.Name == "int" {
					switch n := ps[0].Names[0].Name; n {
					case "h", "d", "p", "job":
						kind = n
					}
				}
			}
			funcs[fd.Name.Name] = kind
		}
	}
	return funcs
}

func TestBridgeListsEveryExportedFunction(t *testing.T) {
	funcs := exportedFuncs(t)
	var missing, stale []string
	for name := range funcs {
		if bridge[name] == nil {
			missing = append(missing, name)
		}
	}
	for name := range bridge {
		if _, ok := funcs[name]; !ok {
			stale = append(stale, name)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing)+len(stale) > 0 {
		t.Errorf("update the bridge table in handles_test.go: missing %v, gone %v", missing, stale)
	}
}

// call invokes fn with handle as its first argument and harmless values for
// the rest, and returns its results.
func call(fn any, handle int) []reflect.Value {
	v := reflect.ValueOf(fn)
	ty := v.Type()
	args := make([]reflect.Value, ty.NumIn())
	for i := range args {
		switch in := ty.In(i); in.Kind() {
		case reflect.Int:
			args[i] = reflect.ValueOf(1)
			if i == 0 {
				args[i] = reflect.ValueOf(handle)
			}
		case reflect.String:
			args[i] = reflect.ValueOf("icmp")
		case reflect.Bool:
			args[i] = reflect.ValueOf(false)
		case reflect.Slice:
			args[i] = reflect.ValueOf(make([]byte, 64))
		default:
			args[i] = reflect.Zero(in)
		}
	}
	return v.Call(args)
}

// checkDeadHandle calls every handle function with handle and checks the
// documented answer: "ValueError: pcap is closed" (a dumper's is pcapy's
// "Dumper is already closed.", a column job's an InternalError, since Python
// never holds a dead one), -1 for status functions, nil for the functions
// that free a handle, which ignore unknown ones.
func checkDeadHandle(t *testing.T, kind string, handle int) {
	t.Helper()
	ignores := map[string]bool{"Close": true, "DumpClose": true, "BPFFree": true, "ColumnsFree": true, "FilterEnd": true}
	for name, k := range exportedFuncs(t) {
		fn := bridge[name]
		if k != kind || fn == nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("%s(%d) panicked: %v", name, handle, p)
				}
			}()
			out := call(fn, handle)
			last := out[len(out)-1]
			if last.Type() != reflect.TypeOf((*error)(nil)).Elem() {
				if rc := last.Int(); rc != -1 {
					t.Errorf("%s(%d) = %d, want -1", name, handle, rc)
				}
				return
			}
			err, _ := last.Interface().(error)
			switch {
			case ignores[name]:
				if err != nil {
					t.Errorf("%s(%d) = %v, want nil (unknown handles are ignored)", name, handle, err)
				}
			case kind == "job":
				if err == nil || err.Error() != "InternalError: no such column job" {
					t.Errorf("%s(%d) error = %v, want InternalError: no such column job", name, handle, err)
				}
			case kind == "d":
				if err == nil || err.Error() != "PcapError: Dumper is already closed." {
					t.Errorf("%s(%d) error = %v, want PcapError: Dumper is already closed.", name, handle, err)
				}
			default:
				if err == nil || !strings.HasPrefix(err.Error(), "ValueError: pcap is closed") {
					t.Errorf("%s(%d) error = %v, want ValueError: pcap is closed", name, handle, err)
				}
			}
		})
	}
}

func TestUnknownHandlesAreErrorsNotPanics(t *testing.T) {
	for _, kind := range []string{"h", "d", "p", "job"} {
		for _, handle := range []int{9999, 0, -1} {
			t.Run(kind+"="+strconv.Itoa(handle), func(t *testing.T) { checkDeadHandle(t, kind, handle) })
		}
	}
}

func TestClosedHandlesAreErrorsNotPanics(t *testing.T) {
	path := writeCapture(t, 3)
	h, err := OpenOffline(path, false)
	if err != nil {
		t.Fatal(err)
	}
	d, err := DumpOpen(h, filepath.Join(t.TempDir(), "d.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewBPF("icmp", 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // closing twice is harmless
		if _, err := Close(h); err != nil {
			t.Fatal(err)
		}
		if _, err := DumpClose(d); err != nil {
			t.Fatal(err)
		}
		if _, err := BPFFree(p); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("reader", func(t *testing.T) { checkDeadHandle(t, "h", h) })
	t.Run("dumper", func(t *testing.T) { checkDeadHandle(t, "d", d) })
	t.Run("program", func(t *testing.T) { checkDeadHandle(t, "p", p) })
}
