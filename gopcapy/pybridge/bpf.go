package pybridge

import (
	"encoding/binary"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// Compile compiles a filter like pcap_compile on a dead handle.
func Compile(linkType, snaplen int, expr string, optimize bool, netmask int) (p int, err error) {
	defer guard(&err)
	prog, err := gopcapy.Compile(linkType, snaplen, expr, optimize, uint32(netmask))
	if err != nil {
		return 0, kinded(err)
	}
	return programs.add(prog), nil
}

// NewBPF compiles a filter as pcapy's BPFProgram constructor does.
func NewBPF(expr string, linkType int) (p int, err error) {
	defer guard(&err)
	prog, err := gopcapy.NewBPFProgram(expr, linkType)
	if err != nil {
		return 0, kinded(err)
	}
	return programs.add(prog), nil
}

// BPFFilter runs a program on a packet.
func BPFFilter(p int, pkt []byte) (v int, err error) {
	defer guard(&err)
	prog, ok := programs.get(p)
	if !ok {
		return 0, kinded(errClosed)
	}
	return int(prog.Filter(pkt)), nil
}

// BPFInstructions returns the program as 8-byte records (code uint16,
// jt uint8, jf uint8, k uint32; native order), never empty.
func BPFInstructions(p int) (b []byte, err error) {
	defer guard(&err)
	prog, ok := programs.get(p)
	if !ok {
		return nil, kinded(errClosed)
	}
	insns := prog.Instructions()
	b = make([]byte, 8*len(insns), 8*len(insns)+1)
	for i, in := range insns {
		binary.NativeEndian.PutUint16(b[8*i:], in.Code)
		b[8*i+2], b[8*i+3] = in.Jt, in.Jf
		binary.NativeEndian.PutUint32(b[8*i+4:], in.K)
	}
	if len(b) == 0 {
		b = append(b, 0) // gopy cannot return an empty slice
	}
	return b, nil
}

// BPFFree forgets a program.
func BPFFree(p int) (rc int, err error) {
	defer guard(&err)
	programs.remove(p)
	return 0, nil
}
