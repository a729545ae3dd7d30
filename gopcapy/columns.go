package gopcapy

// Columnar decoding: a capture's packets decoded into one slice per field,
// for analysis (pcapy.read_columns / read_dataframe on the Python side).
// The decoder is in decode.go; where the packets come from: an open Reader
// (columns_reader.go), files (columns_file.go, through cursor.go), byte
// ranges of a file (columns_range.go), streams of files (stream.go).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"
)

// Columns holds decoded packets column by column: row i of every slice is
// the i-th packet. Fields' comments say what each value means. Addresses
// are dictionary-encoded: Src[i] and Dst[i] index Addrs (-1 without IP),
// which lists the distinct addresses in order of first appearance.
type Columns struct {
	TS         []int64  // timestamp, nanoseconds since the epoch
	Caplen     []uint32 // bytes captured
	Len        []uint32 // bytes on the wire
	LinkType   []uint16 // DLT_*
	EthType    []int32
	VLAN       []int16
	IPVersion  []uint8
	Src, Dst   []int32
	Addrs      []netip.Addr
	Proto      []int16
	Sport      []int32
	Dport      []int32
	TCPFlags   []int16
	PayloadLen []int32

	// Addrs' indexes. IPv4 addresses have their own map: a uint32 key
	// hashes faster than 16 bytes.
	v4 map[uint32]int32
	v6 map[[16]byte]int32
	// v4recent caches recent IPv4 lookups, direct-mapped by a hash of the
	// address: most packets repeat an address seen moments ago, and this
	// is several times cheaper than the map. An entry is (address, code+1).
	v4recent [256]struct {
		key  uint32
		code int32
	}

	rows     int
	attached bool   // the columns are in caller-owned memory (Attach)
	skip     uint32 // bit i: ColumnNames[i] is not kept
	err      error  // a *RangeError: the first row whose timestamp does not fit TS (int64 ns)
}

// tsNs is sec and nsec (in [0, 1e9)) as nanoseconds since the epoch; ok is
// false when that does not fit in an int64.
func tsNs(sec, nsec int64) (ns int64, ok bool) {
	const maxSec, maxNsec = math.MaxInt64 / 1_000_000_000, math.MaxInt64 % 1_000_000_000
	switch {
	case sec > maxSec || sec < -maxSec-1,
		sec == maxSec && nsec > maxNsec,
		sec == -maxSec-1 && nsec < 1_000_000_000-maxNsec-1: // MinInt64 is -(maxSec+1) s + that
		return 0, false
	}
	return sec*1_000_000_000 + nsec, true
}

// timestamp is a row's TS value; one that does not fit sets c.err.
func (c *Columns) timestamp(sec, nsec int64) int64 {
	ns, ok := tsNs(sec, nsec)
	if !ok && c.err == nil {
		c.err = &RangeError{Msg: fmt.Sprintf("packet %d: timestamp %d s is outside the ts column's "+
			"int64 nanoseconds (years 1677-2262); read it with next() or leave out the ts column (fields=)",
			c.rows, sec)}
	}
	return ns
}

// Bits of Columns.skip, in the order of columnSpecs (column_spec.go).
const (
	fldTS = 1 << iota
	fldCaplen
	fldLen
	fldLinkType
	fldEthType
	fldVLAN
	fldIPVersion
	fldSrc
	fldDst
	fldProto
	fldSport
	fldDport
	fldTCPFlags
	fldPayloadLen
)

// Select makes c keep only the named columns (nil: all of them); the other
// slices stay empty. Less memory to fill makes reading faster. It must be
// called before any row is added.
func (c *Columns) Select(names []string) error {
	if c.rows > 0 {
		return errors.New("gopcapy: Select on columns that have rows")
	}
	if names == nil {
		c.skip = 0
		return nil
	}
	c.skip = 1<<len(ColumnNames) - 1
	for _, name := range names {
		i := slices.Index(ColumnNames, name)
		if i < 0 {
			return fmt.Errorf("gopcapy: no column %q", name)
		}
		c.skip &^= 1 << i
	}
	return nil
}

// Has reports whether c keeps the named column.
func (c *Columns) Has(name string) bool {
	i := slices.Index(ColumnNames, name)
	return i >= 0 && c.skip&(1<<i) == 0
}

// Rows returns the number of rows.
func (c *Columns) Rows() int { return c.rows }

// Append decodes one packet and adds it as a row. Frac is in units of prec.
func (c *Columns) Append(h Pkthdr, prec Precision, linkType int, data []byte) {
	frac := int64(h.Frac)
	if prec == Micro {
		frac *= 1000
	}
	c.appendNs(h, frac, linkType, data)
}

func (c *Columns) appendNs(h Pkthdr, nsec int64, linkType int, data []byte) {
	c.rows++
	skip := c.skip
	if skip == 0 { // all columns: the common case without a branch per column
		f := DecodeFields(linkType, data, int(h.Len))
		src, dst := int32(-1), int32(-1)
		if f.IPVersion != 0 {
			src, dst = c.addr(f.IPVersion, &f.Src), c.addr(f.IPVersion, &f.Dst)
		}
		c.TS = append(c.TS, c.timestamp(h.Sec, nsec))
		c.Caplen = append(c.Caplen, h.Caplen)
		c.Len = append(c.Len, h.Len)
		c.LinkType = append(c.LinkType, uint16(linkType))
		c.EthType = append(c.EthType, f.EthType)
		c.VLAN = append(c.VLAN, f.VLAN)
		c.IPVersion = append(c.IPVersion, f.IPVersion)
		c.Src = append(c.Src, src)
		c.Dst = append(c.Dst, dst)
		c.Proto = append(c.Proto, f.Proto)
		c.Sport = append(c.Sport, f.Sport)
		c.Dport = append(c.Dport, f.Dport)
		c.TCPFlags = append(c.TCPFlags, f.TCPFlags)
		c.PayloadLen = append(c.PayloadLen, f.PayloadLen)
		return
	}
	if skip&fldTS == 0 {
		c.TS = append(c.TS, c.timestamp(h.Sec, nsec))
	}
	if skip&fldCaplen == 0 {
		c.Caplen = append(c.Caplen, h.Caplen)
	}
	if skip&fldLen == 0 {
		c.Len = append(c.Len, h.Len)
	}
	if skip&fldLinkType == 0 {
		c.LinkType = append(c.LinkType, uint16(linkType))
	}
	const decoded = fldEthType | fldVLAN | fldIPVersion | fldSrc | fldDst | fldProto | fldSport | fldDport | fldTCPFlags | fldPayloadLen
	if skip&decoded == decoded {
		return
	}
	f := DecodeFields(linkType, data, int(h.Len))
	if skip&fldEthType == 0 {
		c.EthType = append(c.EthType, f.EthType)
	}
	if skip&fldVLAN == 0 {
		c.VLAN = append(c.VLAN, f.VLAN)
	}
	if skip&fldIPVersion == 0 {
		c.IPVersion = append(c.IPVersion, f.IPVersion)
	}
	if skip&fldSrc == 0 {
		c.Src = append(c.Src, c.addrCode(f.IPVersion, &f.Src))
	}
	if skip&fldDst == 0 {
		c.Dst = append(c.Dst, c.addrCode(f.IPVersion, &f.Dst))
	}
	if skip&fldProto == 0 {
		c.Proto = append(c.Proto, f.Proto)
	}
	if skip&fldSport == 0 {
		c.Sport = append(c.Sport, f.Sport)
	}
	if skip&fldDport == 0 {
		c.Dport = append(c.Dport, f.Dport)
	}
	if skip&fldTCPFlags == 0 {
		c.TCPFlags = append(c.TCPFlags, f.TCPFlags)
	}
	if skip&fldPayloadLen == 0 {
		c.PayloadLen = append(c.PayloadLen, f.PayloadLen)
	}
}

// addrCode is an address's code in the address table, -1 without IP.
func (c *Columns) addrCode(ipVersion uint8, a *[16]byte) int32 {
	if ipVersion == 0 {
		return -1
	}
	return c.addr(ipVersion, a)
}

// addr returns the index of an address in Addrs, adding it when new.
func (c *Columns) addr(version uint8, a *[16]byte) int32 {
	if version == 4 {
		k := binary.BigEndian.Uint32(a[12:])
		slot := &c.v4recent[(k*0x9e3779b1)>>24]
		if slot.key == k && slot.code > 0 {
			return slot.code - 1
		}
		i, ok := c.v4[k]
		if !ok {
			if c.v4 == nil {
				c.v4 = map[uint32]int32{}
			}
			i = int32(len(c.Addrs))
			c.v4[k] = i
			c.Addrs = append(c.Addrs, netip.AddrFrom4([4]byte(a[12:])))
		}
		slot.key, slot.code = k, i+1
		return i
	}
	i, ok := c.v6[*a]
	if !ok {
		if c.v6 == nil {
			c.v6 = map[[16]byte]int32{}
		}
		i = int32(len(c.Addrs))
		c.v6[*a] = i
		c.Addrs = append(c.Addrs, netip.AddrFrom16(*a))
	}
	return i
}

// AppendRow is Columns' PacketFunc: it decodes a packet and adds it as a row.
func (c *Columns) AppendRow(h Pkthdr, nsec int64, linkType int, data []byte) {
	c.appendNs(h, nsec, linkType, data)
}

// Reserve makes room for n more rows in the kept columns, so that a chunk
// of known size is allocated once.
func (c *Columns) Reserve(n int) { c.grow(n, 0) }

// room is how many rows the kept columns have room for.
func (c *Columns) room() int {
	n := math.MaxInt
	for i, s := range columnSpecs {
		if c.skip&(1<<i) == 0 {
			n = min(n, s.col(c).room())
		}
	}
	return n
}

// viewTail makes t (which keeps the same columns) write its rows into c's
// memory from row from on: c must be attached (Attach) with room there.
// t's rows so far are those already there.
func (c *Columns) viewTail(t *Columns, from int) {
	for i, s := range columnSpecs {
		if c.skip&(1<<i) == 0 {
			s.col(c).view(s.col(t), from, t.rows)
		}
	}
	t.attached = true
}

// moveTail moves the rows t wrote into c's memory from row from on
// (viewTail) to row to, further on; t must keep the same columns and be
// detached (viewTail it again from to).
func (c *Columns) moveTail(t *Columns, from, to int) {
	if to < from || to+t.rows > c.room() { // checked: the move would go past the memory
		panic("gopcapy: moveTail outside the columns' memory")
	}
	for i, s := range columnSpecs {
		if c.skip&(1<<i) == 0 {
			s.col(c).moveRows(from, to, t.rows)
		}
	}
}

// spliceTail appends the rows t wrote into c's memory from row from on
// (viewTail), translating their address codes into c's table; t must
// keep the same columns and may be detached.
func (c *Columns) spliceTail(t *Columns, from int) {
	rows, n := c.rows, t.rows
	if from < rows || from+n > c.room() { // checked here: a goroutine's panic could not be recovered
		panic("gopcapy: spliceTail outside the columns' memory")
	}
	// Every other column moved by a goroutine of its own: the move (and the
	// fresh pages it writes) is the one step of a split read only one core
	// would do.
	move := func(parity int) {
		for i, s := range columnSpecs {
			if c.skip&(1<<i) == 0 && i%2 == parity {
				s.col(c).appendRows(from, n)
			}
		}
	}
	var odd sync.WaitGroup
	odd.Go(func() { move(1) })
	move(0)
	odd.Wait()
	c.rows += n
	if len(t.Addrs) == 0 {
		return
	}
	codes := make([]int32, len(t.Addrs)) // t's code -> c's, new addresses in t's order of first appearance
	for i, a := range t.Addrs {
		a16 := a.As16()
		version := uint8(6)
		if a.Is4() {
			version = 4
		}
		codes[i] = c.addr(version, &a16)
	}
	for _, col := range [][]int32{c.Src, c.Dst} {
		if len(col) < rows+n {
			continue // not kept
		}
		for j, code := range col[rows : rows+n] {
			if code >= 0 {
				col[rows+j] = codes[code]
			}
		}
	}
}
