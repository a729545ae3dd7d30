package gopcapy

// Filters in C (see libpcap.go): pcap_compile with the optimize flag and
// netmask, pcap_setfilter, and bpf_filter's return value.

/*
#include <stdlib.h>
#include <pcap.h>

static int gp_compile(pcap_t *p, struct bpf_program *prog, const char *expr,
		int optimize, bpf_u_int32 netmask) {
	return pcap_compile(p, prog, expr, optimize, netmask);
}

// One packet of gp_filter_many: where it starts in the buffer, its
// captured and wire lengths (Go's filterRec).
typedef struct { unsigned int off, caplen, wire; } gp_filter_rec;

static void gp_filter_many(const struct bpf_insn *insns, const u_char *buf,
		const gp_filter_rec *recs, int n, unsigned char *match) {
	for (int i = 0; i < n; i++)
		match[i] = bpf_filter(insns, buf + recs[i].off, recs[i].wire, recs[i].caplen) != 0;
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// compile runs pcap_compile on p and returns the program's instructions.
func compile(p pcapT, expr string, optimize bool, netmask uint32) ([]BPFInstruction, error) {
	cexpr := C.CString(expr)
	defer C.free(unsafe.Pointer(cexpr))
	var prog C.struct_bpf_program
	opt := C.int(0)
	if optimize {
		opt = 1
	}
	if C.gp_compile(cp(p), &prog, cexpr, opt, C.bpf_u_int32(netmask)) < 0 {
		return nil, errors.New(geterr(p))
	}
	defer C.pcap_freecode(&prog)
	insns := make([]BPFInstruction, int(prog.bf_len))
	copy(insns, unsafe.Slice((*BPFInstruction)(unsafe.Pointer(prog.bf_insns)), int(prog.bf_len)))
	return insns, nil
}

// compileDead compiles for a link type without a capture (pcap_open_dead).
func compileDead(linkType, snaplen int, expr string, optimize bool, netmask uint32) ([]BPFInstruction, error) {
	p := C.pcap_open_dead(C.int(linkType), C.int(snaplen))
	if p == nil {
		return nil, errors.New("pcap_open_dead failed")
	}
	defer C.pcap_close(p)
	return compile(pcapT(p), expr, optimize, netmask)
}

// setFilter installs instructions as p's filter.
func setFilter(p pcapT, insns []BPFInstruction) error {
	prog := C.struct_bpf_program{bf_len: C.u_int(len(insns))}
	// libpcap copies the program, so pointing at C copy of Go memory is enough.
	cins := C.malloc(C.size_t(len(insns)*8 + 8))
	defer C.free(cins)
	copy(unsafe.Slice((*BPFInstruction)(cins), len(insns)), insns)
	prog.bf_insns = (*C.struct_bpf_insn)(cins)
	if C.pcap_setfilter(cp(p), &prog) < 0 {
		return errors.New(geterr(p))
	}
	return nil
}

// filterRec is one packet of bpfFilterMany's buffer: its offset, captured
// and wire lengths (C's gp_filter_rec).
type filterRec struct{ off, caplen, wire uint32 }

// bpfFilterMany runs a program on the packets recs places in buf (each
// within it), setting match[i] for those it accepts: one cgo call for
// many packets (a call costs more than a short filter).
func bpfFilterMany(insns []BPFInstruction, buf []byte, recs []filterRec, match []bool) {
	if len(recs) == 0 || len(buf) == 0 || len(match) < len(recs) {
		return
	}
	if len(insns) == 0 {
		clear(match[:len(recs)])
		return
	}
	C.gp_filter_many((*C.struct_bpf_insn)(unsafe.Pointer(&insns[0])), (*C.u_char)(unsafe.Pointer(&buf[0])),
		(*C.gp_filter_rec)(unsafe.Pointer(&recs[0])), C.int(len(recs)), (*C.uchar)(unsafe.Pointer(&match[0])))
}

// bpfFilter runs a program on a packet and returns bpf_filter's result.
func bpfFilter(insns []BPFInstruction, pkt []byte, wireLen int) uint32 {
	if len(insns) == 0 {
		return 0
	}
	var one [1]byte
	ptr := &one[0]
	if len(pkt) > 0 {
		ptr = &pkt[0]
	}
	return uint32(C.bpf_filter((*C.struct_bpf_insn)(unsafe.Pointer(&insns[0])),
		(*C.u_char)(unsafe.Pointer(ptr)), C.u_int(wireLen), C.u_int(len(pkt))))
}
