package gopcapy

// pcapng for byte-range reading (columns_range.go): the section header and
// interface blocks at the start of the file, packet blocks in a range.

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// pcapng block types.
const (
	ngSHB = 0x0a0d0d0a // section header
	ngIDB = 1          // interface description
	ngPB  = 2          // packet (obsolete)
	ngSPB = 3          // simple packet
	ngEPB = 6          // enhanced packet
)

// ngKnownBlock lists the block types Boundary accepts in a run of blocks.
func ngKnownBlock(t uint32) bool {
	return t >= 1 && t <= 10 || t == 0xbad || t == 0x40000bad || t == ngSHB
}

// ngInterface is what packet blocks need of an interface.
type ngInterface struct {
	linkType int    // DLT_*
	snaplen  int    // as libpcap adjusts it
	units    uint64 // timestamp units per second (if_tsresol)
	offset   int64  // seconds added to timestamps (if_tsoffset)
}

// ngLayout reads the section header and the blocks up to the first packet
// block, which is where the records begin.
func (r *rangeReader) ngLayout() error {
	r.ng = true
	h, err := r.probe.at(0, 12)
	if err != nil {
		return r.headerErr(err, "file too short for a pcapng section header")
	}
	switch binary.LittleEndian.Uint32(h[8:]) {
	case 0x1a2b3c4d:
		r.order = binary.LittleEndian
	case 0x4d3c2b1a:
		r.order, r.big = binary.BigEndian, true
	default:
		return pcapErr(r.path + ": pcapng section header with an unknown byte-order magic")
	}
	pos := int64(0)
	for pos < r.w.size {
		h, err := r.probe.at(pos, 8)
		if err != nil {
			return r.headerErr(err, "pcapng block header cut short")
		}
		typ, size := r.order.Uint32(h), int64(r.order.Uint32(h[4:]))
		if size < 12 || size%4 != 0 {
			return pcapErr(fmt.Sprintf("%s: pcapng block at byte %d has a bad length %d", r.path, pos, size))
		}
		if typ == ngEPB || typ == ngPB || typ == ngSPB {
			break
		}
		if typ == ngSHB && pos > 0 {
			return pcapErr(r.path + ": a second pcapng section before any packet: read the file whole")
		}
		if typ == ngIDB {
			if size > maxBlock {
				return pcapErr(fmt.Sprintf("%s: pcapng interface block at byte %d is too long (%d bytes)", r.path, pos, size))
			}
			b, err := r.probe.at(pos, int(size))
			if err != nil {
				return r.headerErr(err, "pcapng interface block cut short")
			}
			iface, err := r.ngInterface(b)
			if err != nil {
				return err
			}
			r.ifaces = append(r.ifaces, iface)
		}
		pos += size
	}
	r.dataStart = pos
	if len(r.ifaces) > 0 {
		r.linkType, r.snaplen = r.ifaces[0].linkType, r.ifaces[0].snaplen
	} else {
		r.snaplen = maxSnaplen
	}
	return nil
}

// ngInterface parses an interface description block.
func (r *rangeReader) ngInterface(b []byte) (ngInterface, error) {
	if len(b) < 20 {
		return ngInterface{}, pcapErr(r.path + ": pcapng interface block too short")
	}
	iface := ngInterface{
		linkType: dltOfLinkType(int(r.order.Uint16(b[8:]))),
		snaplen:  adjustSnaplen(r.order.Uint32(b[12:])),
		units:    1_000_000,
	}
	opts := b[16 : len(b)-4]
	for len(opts) >= 4 {
		code, n := r.order.Uint16(opts), int(r.order.Uint16(opts[2:]))
		if code == 0 || 4+n > len(opts) {
			break
		}
		v := opts[4 : 4+n]
		switch {
		case code == 9 && n >= 1: // if_tsresol
			exp := uint(v[0] & 0x7f)
			if v[0]&0x80 != 0 {
				if exp > 63 {
					return iface, pcapErr(r.path + ": pcapng if_tsresol out of range")
				}
				iface.units = 1 << exp
			} else {
				if exp > 19 {
					return iface, pcapErr(r.path + ": pcapng if_tsresol out of range")
				}
				iface.units = 1
				for range exp {
					iface.units *= 10
				}
			}
		case code == 14 && n >= 8: // if_tsoffset
			iface.offset = int64(r.order.Uint64(v))
		}
		next := 4 + (n+3)&^3
		if next > len(opts) { // the last option's padding is missing
			break
		}
		opts = opts[next:]
	}
	return iface, nil
}

// plausibleBlock returns the size of the block at q, 0 when it does not
// look like a block: a known type, the same length at both ends, and for a
// packet block an interface and a capture length that fit.
func (r *rangeReader) plausibleBlock(q int64) (int64, error) {
	h, err := r.probe.at(q, 8)
	if err != nil {
		return 0, err
	}
	typ, size := r.order.Uint32(h), int64(r.order.Uint32(h[4:]))
	if !ngKnownBlock(typ) || size < 12 || size%4 != 0 || size > maxBlock || q+size > r.w.size {
		return 0, nil
	}
	if typ == ngEPB {
		b, err := r.probe.at(q, 28)
		if err != nil {
			return 0, err
		}
		if int(r.order.Uint32(b[8:])) >= len(r.ifaces) || 32+int64(r.order.Uint32(b[20:])) > size {
			return 0, nil
		}
	}
	t, err := r.probe.at(q+size-4, 4)
	if err != nil {
		return 0, err
	}
	if int64(r.order.Uint32(t)) != size {
		return 0, nil
	}
	return size, nil
}

// ngBlock appends the packet of the block at pos, if it holds one, and
// returns the block's size.
func (r *rangeReader) ngBlock(c *Columns, prog *BPFProgram, pos int64) (int64, error) {
	h := r.w.rest(pos) // most blocks lie in the window whole: one look
	if len(h) < 8 {
		var err error
		if h, err = r.w.at(pos, 8); err != nil {
			return 0, r.damage(err, pos, "truncated pcapng block header")
		}
	}
	typ, size := r.u32(h), int64(r.u32(h[4:]))
	if size < 12 || size%4 != 0 {
		return 0, fmt.Errorf("pcapng block at byte %d has a bad length %d", pos, size)
	}
	if size > maxReadBlock {
		return 0, fmt.Errorf("pcapng block size %d > maximum %d (at byte %d)", size, maxReadBlock, pos)
	}
	b := h
	if int64(len(b)) < size {
		var err error
		if b, err = r.w.at(pos, int(size)); err != nil {
			return 0, r.damage(err, pos, fmt.Sprintf("truncated pcapng block of %d bytes", size))
		}
	}
	b = b[:size]
	if int64(r.u32(b[size-4:])) != size {
		return 0, fmt.Errorf("pcapng block at byte %d: block total length in header and trailer don't match", pos)
	}
	var ifid int
	var ts uint64
	var caplen, wire uint32
	var data []byte
	switch typ {
	case ngEPB, ngPB:
		if size < 32 {
			return 0, fmt.Errorf("pcapng packet block at byte %d too short", pos)
		}
		if typ == ngEPB {
			ifid = int(r.u32(b[8:]))
		} else {
			ifid = int(r.order.Uint16(b[8:]))
		}
		ts = uint64(r.u32(b[12:]))<<32 | uint64(r.u32(b[16:]))
		caplen, wire = r.u32(b[20:]), r.u32(b[24:])
		if 32+int64(caplen) > size {
			return 0, fmt.Errorf("pcapng packet block at byte %d: capture length %d beyond the block", pos, caplen)
		}
		data = b[28 : 28+caplen]
	case ngSPB:
		if size < 16 {
			return 0, fmt.Errorf("pcapng simple packet block at byte %d too short", pos)
		}
		wire = r.u32(b[8:])
		data = b[12 : 12+min(int64(wire), size-16)]
	case ngSHB, ngIDB:
		return 0, pcapErr(fmt.Sprintf("%s: pcapng section or interface block at byte %d after the first "+
			"packet: such a file cannot be read in byte ranges, read it whole", r.path, pos))
	default:
		return size, nil // statistics, name resolution, custom blocks...
	}
	if ifid >= len(r.ifaces) {
		return 0, fmt.Errorf("pcapng packet block at byte %d names interface %d, of %d", pos, ifid, len(r.ifaces))
	}
	if len(data) > r.snaplen { // libpcap's pcapng reader refuses these, its pcap reader cuts them
		return 0, fmt.Errorf("invalid packet capture length %d, bigger than snaplen of %d (at byte %d)",
			len(data), r.snaplen, pos)
	}
	iface := r.ifaces[ifid]
	if iface.linkType != r.linkType {
		return 0, fmt.Errorf("an interface has a type %d different from the type of the first interface",
			iface.linkType)
	}
	sec, nsec := ngTime(ts, iface.units)
	r.appendPacket(c, prog, int64(sec)+iface.offset, int64(nsec), data, wire)
	return size, nil
}

// ngTime splits a timestamp of units per second into seconds and
// nanoseconds; the common resolutions divide by constants (a multiply,
// not a division per packet).
func ngTime(ts, units uint64) (sec, nsec uint64) {
	switch units {
	case 1_000_000:
		return ts / 1_000_000, ts % 1_000_000 * 1000
	case 1_000_000_000:
		return ts / 1_000_000_000, ts % 1_000_000_000
	}
	sec, rem := ts/units, ts%units
	hi, lo := bits.Mul64(rem, 1_000_000_000)
	nsec, _ = bits.Div64(hi, lo, units)
	return sec, nsec
}

// ngRun reads, in one loop, the blocks from pos on that are the common
// case: enhanced packet blocks lying whole in the window, of a known
// interface of the file's link type, within the snapshot length. It stops
// before any other block (for ngBlock, which says what is wrong with it or
// reads it the slow way), at limit, before c has stop rows, after most
// blocks, or after a row that set c.err. It returns where it stopped and
// how many blocks it read. The rows are ngBlock's.
func (r *rangeReader) ngRun(c *Columns, prog *BPFProgram, pos, limit int64, stop, most int) (int64, int) {
	win := r.w.rest(pos)
	k := 0
	for ; k < most && pos < limit && c.rows < stop && len(win) >= 32; k++ {
		size := int64(r.u32(win[4:]))
		if r.u32(win) != ngEPB || size < 32 || size%4 != 0 || size > int64(len(win)) || size > maxReadBlock {
			break
		}
		b := win[:size]
		ifid, caplen, wire := r.u32(b[8:]), r.u32(b[20:]), r.u32(b[24:])
		if int64(r.u32(b[size-4:])) != size || 32+int64(caplen) > size || int64(ifid) >= int64(len(r.ifaces)) ||
			int64(caplen) > int64(r.snaplen) {
			break
		}
		iface := &r.ifaces[ifid]
		if iface.linkType != r.linkType {
			break
		}
		sec, nsec := ngTime(uint64(r.u32(b[12:]))<<32|uint64(r.u32(b[16:])), iface.units)
		data := b[28 : 28+caplen]
		if prog == nil || prog.Matches(data, int(wire)) {
			c.appendNs(Pkthdr{Sec: int64(sec) + iface.offset, Caplen: caplen, Len: wire}, int64(nsec), r.linkType, data)
		}
		pos, win = pos+size, win[size:]
		if c.err != nil {
			return pos, k + 1
		}
	}
	return pos, k
}
