package gopcapy

import "encoding/binary"

// The Classifier's two tables: an IPv4 address set and a flow table. Both
// hash like pcapy-ng's, so the flow table evicts the same flows (which
// decides which packets are flow heads once flows collide).

// ipSet is an open-addressing set of IPv4 addresses, keyed by the word whose
// bytes in memory are the address (0.0.0.0 marks an empty slot).
type ipSet struct {
	slots []uint32
	shift uint32 // 32 - log2(len(slots)): the index is the product's top bits
}

// newIPSet builds the set of the packed addresses in data (4 bytes each; a
// trailing partial address is ignored), with at least twice as many slots.
func newIPSet(data []byte) *ipSet {
	n := len(data) / 4
	size, bits := 16, uint32(4)
	for size < 2*n+1 && bits < 31 {
		size <<= 1
		bits++
	}
	s := &ipSet{slots: make([]uint32, size), shift: 32 - bits}
	mask := uint32(size - 1)
	for i := 0; i < n; i++ {
		ip := binary.NativeEndian.Uint32(data[4*i:])
		if ip == 0 {
			continue
		}
		j := s.slot(ip)
		for s.slots[j] != 0 && s.slots[j] != ip {
			j = (j + 1) & mask
		}
		s.slots[j] = ip
	}
	return s
}

// slot is Fibonacci hashing: the top bits of the product depend on every
// bit of the address (a /24 does not crowd into one slot).
func (s *ipSet) slot(ip uint32) uint32 { return (ip * 2654435761) >> s.shift }

func (s *ipSet) has(ip uint32) bool {
	if s == nil || ip == 0 {
		return false
	}
	mask := uint32(len(s.slots) - 1)
	for j := s.slot(ip); s.slots[j] != 0; j = (j + 1) & mask {
		if s.slots[j] == ip {
			return true
		}
	}
	return false
}

// flowTableBits sizes the flow table: 1M slots, 16 MB.
const flowTableBits = 20

// flowTable counts packets per flow in a direct-mapped table: a flow that
// lands on a slot another flow holds evicts it and starts counting from zero
// (an extra head later, never a missed one: slots keep the full 64-bit key).
// A slot holds key and count together: one cache miss per packet, not two.
type flowTable struct {
	slots []flowSlot
	mask  uint64
}

type flowSlot struct {
	key   uint64
	count uint32
}

func newFlowTable(bits uint) *flowTable {
	return &flowTable{slots: make([]flowSlot, 1<<bits), mask: 1<<bits - 1}
}

// seen returns how many packets of the flow came before this one.
func (f *flowTable) seen(key uint64) uint32 {
	s := &f.slots[key&f.mask]
	if s.key != key {
		s.key, s.count = key, 0
	}
	n := s.count
	s.count++
	return n
}

// flowHash folds a directional 5-tuple into 64 bits with the splitmix64
// finalizer, so that two flows sharing a key is a 2^-64 event.
func flowHash(src, dst uint32, sport, dport uint16, proto int) uint64 {
	a := uint64(src)<<32 | uint64(dst)
	b := uint64(sport)<<48 | uint64(dport)<<32 | uint64(proto&0xff)
	a ^= b * 0x9E3779B97F4A7C15
	a ^= a >> 30
	a *= 0xBF58476D1CE4E5B9
	a ^= a >> 27
	a *= 0x94D049BB133111EB
	a ^= a >> 31
	return a
}
