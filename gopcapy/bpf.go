package gopcapy

// BPFInstruction is one classic BPF instruction, laid out like struct bpf_insn.
type BPFInstruction struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}

// BPFProgram is a compiled filter that can be run on packets in memory.
type BPFProgram struct {
	insns []BPFInstruction
}

// Compile compiles a filter expression for a link type and snapshot length,
// like pcap_compile on a pcap_open_dead handle. netmask is in the byte order
// pcap_lookupnet returns (0 when unknown).
func Compile(linkType, snaplen int, expr string, optimize bool, netmask uint32) (*BPFProgram, error) {
	insns, err := compileDead(linkType, snaplen, expr, optimize, netmask)
	if err != nil {
		return nil, pcapErr(err.Error())
	}
	return &BPFProgram{insns: insns}, nil
}

// NewBPFProgram compiles expr as pcapy's BPFProgram does: snaplen 65536, no
// optimization, netmask 0. Failure is a *BPFError.
func NewBPFProgram(expr string, linkType int) (*BPFProgram, error) {
	insns, err := compileDead(linkType, 65536, expr, false, 0)
	if err != nil {
		return nil, &BPFError{Msg: "Couldn't compile BPF program"}
	}
	return &BPFProgram{insns: insns}, nil
}

// Filter runs the program on a packet (its wire length taken as len(pkt)) and
// returns the program's result: 0 when it does not match, else the number of
// bytes to keep (the snapshot length).
func (p *BPFProgram) Filter(pkt []byte) uint32 {
	return bpfFilter(p.insns, pkt, len(pkt))
}

// Matches reports whether the program accepts a packet of wire length wireLen.
func (p *BPFProgram) Matches(pkt []byte, wireLen int) bool {
	return bpfFilter(p.insns, pkt, wireLen) != 0
}

// matchMany is Matches for the packets recs places in buf (see
// bpfFilterMany): match[i] for recs[i].
func (p *BPFProgram) matchMany(buf []byte, recs []filterRec, match []bool) {
	bpfFilterMany(p.insns, buf, recs, match)
}

// Instructions returns a copy of the program, as `tcpdump -ddd` lists it.
func (p *BPFProgram) Instructions() []BPFInstruction {
	return append([]BPFInstruction(nil), p.insns...)
}
