package pybridge

// Flow tables for pcapy.read_flows: packets of a stream (files) or of
// column jobs (a Reader's packets) aggregated in Go; Python exports the
// finished table column by column into numpy arrays, as for read_columns.

import (
	"strings"
	"sync"
	"unsafe"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// flowJob is one read_flows call.
type flowJob struct {
	mu     sync.Mutex
	t      *gopcapy.FlowTable
	damage []string
}

var flowJobs registry[*flowJob]

func getFlows(h int) (*flowJob, error) {
	j, ok := flowJobs.get(h)
	if !ok {
		return nil, internalError("no such flow table")
	}
	return j, nil
}

// flowsWith returns a flow table and the stream or column job (got with
// get) it counts packets from.
func flowsWith[T any](table, h int, get func(int) (T, error)) (*flowJob, T, error) {
	var from T
	j, err := getFlows(table)
	if err != nil {
		return nil, from, err
	}
	if from, err = get(h); err != nil {
		return nil, from, err
	}
	return j, from, nil
}

// FlowsNew makes an empty flow table; timeouts in nanoseconds (<= 0: none).
func FlowsNew(idleNs, activeNs int, bidirectional bool) (table int, err error) {
	defer guard(&err)
	t := gopcapy.NewFlowTable(gopcapy.FlowOptions{
		IdleTimeout: int64(idleNs), ActiveTimeout: int64(activeNs), Bidirectional: bidirectional})
	return flowJobs.add(&flowJob{t: t}), nil
}

// FlowsFromStream counts up to n packets of stream s into the flow table and
// returns how many were read, -1 when the stream has ended. A damaged file's
// message is kept for FlowsDamage; reading goes on with the next file.
func FlowsFromStream(table, stream, n int) (k int, err error) {
	defer guard(&err)
	j, st, err := flowsWith(table, stream, getStream)
	if err != nil {
		return 0, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	k, damage, ended, err := st.read(n, j.t.Add)
	if err != nil {
		return 0, err
	}
	if damage != "" {
		j.damage = append(j.damage, damage)
	}
	if ended && k == 0 {
		return -1, nil
	}
	return k, nil
}

// FlowsFromColumns counts the rows of a column job (which keeps
// gopcapy.FlowColumns) into the flow table.
func FlowsFromColumns(table, job int) (rc int, err error) {
	defer guard(&err)
	j, cj, err := flowsWith(table, job, getJob)
	if err != nil {
		return 0, err
	}
	cj.mu.Lock()
	defer cj.mu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cj.parts {
		for _, name := range gopcapy.FlowColumns {
			if !c.Has(name) {
				return 0, internalError("column " + name + " was not kept")
			}
		}
		j.t.AddColumns(c)
	}
	return 0, nil
}

// FlowsDamage returns the messages of the damaged files read, one per line.
func FlowsDamage(table int) (s string, err error) {
	defer guard(&err)
	j, err := getFlows(table)
	if err != nil {
		return "", err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return strings.Join(j.damage, "\n"), nil
}

// FlowsRows returns the number of flows.
func FlowsRows(table int) (n int, err error) {
	defer guard(&err)
	j, err := getFlows(table)
	if err != nil {
		return 0, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.t.Flows), nil
}

// FlowsAddresses returns the table's addresses, one per line; the "src" and
// "dst" columns are indexes into it.
func FlowsAddresses(table int) (s string, err error) {
	defer guard(&err)
	j, err := getFlows(table)
	if err != nil {
		return "", err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	names := make([]string, len(j.t.Addrs))
	for i, a := range j.t.Addrs {
		names[i] = a.String()
	}
	return strings.Join(names, "\n"), nil
}

// flowColumn writes one column of flows into Python memory: width bytes a row.
type flowColumn struct {
	width int
	fill  func(dst []byte, flows []gopcapy.Flow)
}

// column makes a flowColumn of values of type T.
func column[T any](get func(*gopcapy.Flow) T) flowColumn {
	var zero T
	return flowColumn{int(unsafe.Sizeof(zero)), func(dst []byte, flows []gopcapy.Flow) {
		out := unsafe.Slice((*T)(unsafe.Pointer(&dst[0])), len(flows))
		for i := range flows {
			out[i] = get(&flows[i])
		}
	}}
}

// flowColumns are the columns FlowsExport knows; _flows.py has their types.
var flowColumns = map[string]flowColumn{
	"src":                   column(func(f *gopcapy.Flow) int32 { return f.Src }),
	"dst":                   column(func(f *gopcapy.Flow) int32 { return f.Dst }),
	"src_port":              column(func(f *gopcapy.Flow) int32 { return f.SrcPort }),
	"dst_port":              column(func(f *gopcapy.Flow) int32 { return f.DstPort }),
	"protocol":              column(func(f *gopcapy.Flow) int16 { return f.Proto }),
	"ip_version":            column(func(f *gopcapy.Flow) uint8 { return f.IPVersion }),
	"vlan_id":               column(func(f *gopcapy.Flow) int16 { return f.VLAN }),
	"first":                 column(func(f *gopcapy.Flow) int64 { return f.First }),
	"last":                  column(func(f *gopcapy.Flow) int64 { return f.Last }),
	"src2dst_packets":       column(func(f *gopcapy.Flow) uint64 { return f.Packets[0] }),
	"dst2src_packets":       column(func(f *gopcapy.Flow) uint64 { return f.Packets[1] }),
	"src2dst_bytes":         column(func(f *gopcapy.Flow) uint64 { return f.Bytes[0] }),
	"dst2src_bytes":         column(func(f *gopcapy.Flow) uint64 { return f.Bytes[1] }),
	"src2dst_payload_bytes": column(func(f *gopcapy.Flow) uint64 { return f.Payload[0] }),
	"dst2src_payload_bytes": column(func(f *gopcapy.Flow) uint64 { return f.Payload[1] }),
	"src2dst_tcp_flags":     column(func(f *gopcapy.Flow) uint8 { return f.TCPFlags[0] }),
	"dst2src_tcp_flags":     column(func(f *gopcapy.Flow) uint8 { return f.TCPFlags[1] }),
}

// FlowsExport writes column name of flow table `table` into size bytes of Python
// memory at addr (a numpy array of the column's type, FlowsRows long).
func FlowsExport(table int, name string, addr, size int) (rc int, err error) {
	defer guard(&err)
	j, err := getFlows(table)
	if err != nil {
		return 0, err
	}
	col, ok := flowColumns[name]
	if !ok {
		return 0, valueError("no flow column " + name)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	flows := j.t.Flows
	if size != col.width*len(flows) || (len(flows) > 0 && addr == 0) {
		return 0, internalError("flow column buffer does not match the table")
	}
	if len(flows) > 0 {
		col.fill(pyMemory(addr, size), flows)
	}
	return 0, nil
}

// FlowsFree forgets a flow table.
func FlowsFree(table int) (rc int, err error) {
	defer guard(&err)
	flowJobs.remove(table)
	return 0, nil
}
