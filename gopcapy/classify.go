package gopcapy

import (
	"encoding/binary"
	"errors"
)

// Classification: sorting packets into a few classes as they are read, so a
// program gets only the classes it wants (pcapy-ng 2.1.0's loop_filtered).
// A stateless BPF filter cannot do either of the two things that matter here:
// remember flows (the first packets of each connection) and test membership
// in a large address set. The classes, their precedence and the flow table's
// hashing follow pcapy-ng exactly, so both give the same packets.

// Profile selects the set of classes a Classifier sorts packets into.
type Profile int

const (
	// ProfileGeneric sorts packets into ClassOther, ClassFlowHead and ClassSetMatch.
	ProfileGeneric Profile = 0
	// ProfileSecurity sorts packets into ClassDNS ... ClassSYN, the triage of a
	// security monitor (Maltrail).
	ProfileSecurity Profile = 1
)

// Class indexes of ProfileGeneric, in precedence order SetMatch > FlowHead > Other.
const (
	ClassOther    = 0 // matched nothing below
	ClassFlowHead = 1 // among the first FlowCutoff packets of its TCP/UDP flow
	ClassSetMatch = 2 // IPv4 source or destination in AddrSet
)

// Class indexes of ProfileSecurity. The class id a callback sees is
// SecurityClassBase + index; AdmitMask and the counters use the index.
const (
	ClassDNS       = 0 // TCP or UDP on DNSPort
	ClassHTTP      = 1 // TCP with payload on one of DPIPorts
	ClassNoise     = 2 // none of the others
	ClassAddr      = 3 // noise whose IPv4 source or destination is in AddrSet
	ClassHandshake = 4 // noise among the first FlowCutoff packets of a flow on TLSPorts
	ClassSYN       = 5 // a bare TCP SYN
)

// SecurityClassBase is added to ProfileSecurity's class indexes to make the
// class ids handed to callbacks (100 ... 105), apart from the generic 0 ... 2.
const SecurityClassBase = 100

// MaxClasses is the most classes a profile has.
const MaxClasses = 6

// Default port lists of ProfileSecurity (pcapy-ng's).
var (
	DefaultDPIPorts = []uint16{80, 8080, 3128, 8000, 8118, 1080}
	DefaultTLSPorts = []uint16{443}
)

// ClassifierConfig says how to classify and which classes to admit.
type ClassifierConfig struct {
	AdmitMask  int      // bit i admits class index i (negative: all)
	AddrSet    []byte   // IPv4 addresses, 4 bytes each in network order; 0.0.0.0 never matches
	FlowCutoff int      // packets per directional flow counted as its head (<= 0: no flow table)
	DPIPorts   []uint16 // ProfileSecurity's HTTP ports; nil: DefaultDPIPorts (empty: none)
	TLSPorts   []uint16 // ProfileSecurity's handshake ports; nil: DefaultTLSPorts
	DNSPort    uint16
	L2Offset   int // where the IPv4 header starts: 14 Ethernet, 16 Linux SLL, 0 raw IP
	Profile    Profile
}

// DefaultClassifierConfig is pcapy-ng's default: every generic class
// admitted, Ethernet, DNS on port 53.
func DefaultClassifierConfig() ClassifierConfig {
	return ClassifierConfig{AdmitMask: 7, DNSPort: 53, L2Offset: 14}
}

// MaxL2Offset is the largest ClassifierConfig.L2Offset.
const MaxL2Offset = 64

// ClassifyPrefix is how many leading bytes of a packet decide its class: the
// deepest byte Classify reads or compares a length with is below
// MaxL2Offset + two VLAN tags (8) + the longest IPv4 header (60) + the
// longest TCP header (60) = 192. A packet cut to ClassifyPrefix bytes gets
// the class of the whole packet.
const ClassifyPrefix = 256

// AdmitsNone reports whether the classifier admits no class of its profile
// (profiling only: packets are counted, never handed out).
func (c *Classifier) AdmitsNone() bool {
	return c.cfg.AdmitMask&(1<<c.NumClasses()-1) == 0
}

// Errors of NewClassifier (pcapy-ng's ValueError messages).
var (
	ErrL2Offset = errors.New("l2_offset out of range [0,64]")
	ErrProfile  = errors.New("profile must be 0 (generic) or 1 (security)")
)

// Classifier sorts packets into the classes of its profile. It keeps flow
// state, so one Classifier serves one stream of packets; not safe for
// concurrent use.
type Classifier struct {
	cfg   ClassifierConfig
	set   *ipSet
	flows *flowTable
}

// NewClassifier returns a Classifier for cfg. With FlowCutoff > 0 it
// allocates a 16 MB flow table.
func NewClassifier(cfg ClassifierConfig) (*Classifier, error) {
	if cfg.L2Offset < 0 || cfg.L2Offset > MaxL2Offset {
		return nil, ErrL2Offset
	}
	if cfg.Profile != ProfileGeneric && cfg.Profile != ProfileSecurity {
		return nil, ErrProfile
	}
	if cfg.DPIPorts == nil {
		cfg.DPIPorts = DefaultDPIPorts
	}
	if cfg.TLSPorts == nil {
		cfg.TLSPorts = DefaultTLSPorts
	}
	c := &Classifier{cfg: cfg}
	if len(cfg.AddrSet) >= 4 {
		c.set = newIPSet(cfg.AddrSet)
	}
	c.cfg.AddrSet = nil // built into c.set; the caller may reuse its memory
	if cfg.FlowCutoff > 0 {
		c.flows = newFlowTable(flowTableBits)
	}
	return c, nil
}

// NumClasses returns the number of classes of the profile (3 or 6).
func (c *Classifier) NumClasses() int {
	if c.cfg.Profile == ProfileSecurity {
		return 6
	}
	return 3
}

// Admits reports whether AdmitMask admits class index idx.
func (c *Classifier) Admits(idx int) bool { return (c.cfg.AdmitMask>>idx)&1 == 1 }

// ClassID returns the class id callbacks see for class index idx.
func (c *Classifier) ClassID(idx int) int {
	if c.cfg.Profile == ProfileSecurity {
		return SecurityClassBase + idx
	}
	return idx
}

// Classify returns the class index of a packet (its captured bytes) and
// updates the flow table.
func (c *Classifier) Classify(pkt []byte) int {
	if c.cfg.Profile == ProfileSecurity {
		return c.classifySecurity(pkt)
	}
	return c.classifyGeneric(pkt)
}

// findIPv4 returns the offset of the IPv4 header at or after l2, skipping up
// to two 802.1Q/802.1ad tags, or -1. The version nibble decides, whatever the
// link type, and a full 20-byte header must be captured.
func findIPv4(pkt []byte, l2 int) int {
	for tags := 0; ; tags++ {
		if len(pkt) < l2+20 {
			return -1
		}
		if pkt[l2]>>4 == 4 {
			return l2
		}
		if tags >= 2 || l2 < 2 {
			return -1
		}
		tpid := uint16(pkt[l2-2])<<8 | uint16(pkt[l2-1])
		if tpid != 0x8100 && tpid != 0x88a8 {
			return -1
		}
		l2 += 4
	}
}

// addrs returns the source and destination of the IPv4 header at l3 as
// words whose bytes in memory are the address's (the set's key).
func addrs(pkt []byte, l3 int) (src, dst uint32) {
	return binary.NativeEndian.Uint32(pkt[l3+12:]), binary.NativeEndian.Uint32(pkt[l3+16:])
}

// ports returns the TCP/UDP ports and the transport header's offset of the
// IPv4 packet at l3, ok false when it is neither TCP nor UDP, the header
// length is invalid or the ports were not captured.
func ports(pkt []byte, l3 int) (proto, l4 int, sport, dport uint16, ok bool) {
	proto = int(pkt[l3+9])
	ihl := int(pkt[l3]&0x0f) * 4
	l4 = l3 + ihl
	if (proto != 6 && proto != 17) || ihl < 20 || len(pkt) < l4+4 {
		return proto, l4, 0, 0, false
	}
	return proto, l4, binary.BigEndian.Uint16(pkt[l4:]), binary.BigEndian.Uint16(pkt[l4+2:]), true
}

func (c *Classifier) classifyGeneric(pkt []byte) int {
	l3 := findIPv4(pkt, c.cfg.L2Offset)
	if l3 < 0 {
		return ClassOther
	}
	src, dst := addrs(pkt, l3)
	if c.set.has(src) || c.set.has(dst) {
		return ClassSetMatch
	}
	if c.flows != nil {
		if proto, _, sport, dport, ok := ports(pkt, l3); ok &&
			c.flows.seen(flowHash(src, dst, sport, dport, proto)) < uint32(c.cfg.FlowCutoff) {
			return ClassFlowHead
		}
	}
	return ClassOther
}

func (c *Classifier) classifySecurity(pkt []byte) int {
	l3 := findIPv4(pkt, c.cfg.L2Offset)
	if l3 < 0 {
		return ClassNoise
	}
	proto, l4, sport, dport, ok := ports(pkt, l3)
	if ok {
		if cls := c.triage(pkt, proto, l4, sport, dport); cls != ClassNoise {
			return cls
		}
	}
	if c.set == nil && c.flows == nil {
		return ClassNoise
	}
	src, dst := addrs(pkt, l3)
	if c.set.has(src) || c.set.has(dst) {
		return ClassAddr // any protocol, ICMP too
	}
	if ok && c.flows != nil && (hasPort(c.cfg.TLSPorts, sport) || hasPort(c.cfg.TLSPorts, dport)) &&
		c.flows.seen(flowHash(src, dst, sport, dport, proto)) < uint32(c.cfg.FlowCutoff) {
		return ClassHandshake
	}
	return ClassNoise
}

// triage sorts a TCP/UDP packet by its ports and TCP header: DNS, SYN, HTTP
// or noise.
func (c *Classifier) triage(pkt []byte, proto, l4 int, sport, dport uint16) int {
	if sport == c.cfg.DNSPort || dport == c.cfg.DNSPort {
		return ClassDNS
	}
	if proto != 6 || len(pkt) < l4+14 {
		return ClassNoise
	}
	if pkt[l4+13] == 0x02 { // SYN and no other flag
		return ClassSYN
	}
	// Requests and responses alike: any segment with payload, PSH or not.
	if hl := int(pkt[l4+12]>>4) * 4; hl >= 20 && len(pkt) > l4+hl &&
		(hasPort(c.cfg.DPIPorts, sport) || hasPort(c.cfg.DPIPorts, dport)) {
		return ClassHTTP
	}
	return ClassNoise
}

func hasPort(list []uint16, port uint16) bool {
	for _, p := range list {
		if p == port {
			return true
		}
	}
	return false
}
