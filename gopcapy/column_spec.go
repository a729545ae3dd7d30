package gopcapy

// The column spec: the one list of the columns, their order and their
// types. The bridge exports columns from it (Columns.Raw) and gives it to
// pcapy (pybridge ColumnsSpec), whose DTYPES a test checks against it. To
// add a column: a field of Fields (decode.go), a slice and a fld bit in
// Columns (columns.go, same order as here), its append and grow lines, and
// a row here.

import (
	"errors"
	"slices"
	"unsafe"
)

// ColumnSpec is one column: its name and its type as a numpy type code in
// native byte order ("i8", "u4"...: the letter is the kind, the digit the
// bytes per row).
type ColumnSpec struct {
	Name, Type string
	col        func(c *Columns) column
}

// Width is the bytes per row of the column.
func (s ColumnSpec) Width() int { return int(s.Type[1] - '0') }

// columnSpecs is in the order of Columns' fields and fld bits. src and dst
// are int32 codes into Addrs.
var columnSpecs = []ColumnSpec{
	{"ts", "i8", func(c *Columns) column { return col(&c.TS) }}, // nanoseconds since the epoch
	{"caplen", "u4", func(c *Columns) column { return col(&c.Caplen) }},
	{"len", "u4", func(c *Columns) column { return col(&c.Len) }},
	{"linktype", "u2", func(c *Columns) column { return col(&c.LinkType) }},
	{"eth_type", "i4", func(c *Columns) column { return col(&c.EthType) }},
	{"vlan", "i2", func(c *Columns) column { return col(&c.VLAN) }},
	{"ip_version", "u1", func(c *Columns) column { return col(&c.IPVersion) }},
	{"src", "i4", func(c *Columns) column { return col(&c.Src) }},
	{"dst", "i4", func(c *Columns) column { return col(&c.Dst) }},
	{"proto", "i2", func(c *Columns) column { return col(&c.Proto) }},
	{"sport", "i4", func(c *Columns) column { return col(&c.Sport) }},
	{"dport", "i4", func(c *Columns) column { return col(&c.Dport) }},
	{"tcp_flags", "i2", func(c *Columns) column { return col(&c.TCPFlags) }},
	{"payload_len", "i4", func(c *Columns) column { return col(&c.PayloadLen) }},
}

// column is what the spec needs of one of Columns' slices, whatever its type.
type column interface {
	raw() []byte // the rows as raw native-order bytes
	grow(n int)  // room for n more rows
	release()    // forget the rows
	truncate()   // no rows, the memory kept
	// attach makes the slice the first rows of room for capRows rows at
	// mem (caller-owned, aligned for the type).
	attach(mem unsafe.Pointer, rows, capRows int)
	// view makes dst (a column of the same type) the rows rows from row
	// from of this column's memory, with the room after them.
	view(dst column, from, rows int)
	// appendRows appends the n rows at row from of the column's memory
	// (past its rows, within its room).
	appendRows(from, n int)
	// moveRows moves the n rows at row from of the column's memory to row
	// to (both past its rows, within its room).
	moveRows(from, to, n int)
	room() int // the rows the memory holds (its capacity)
}

type colSlice[T any] struct{ s *[]T }

func col[T any](s *[]T) column { return colSlice[T]{s} }

func (c colSlice[T]) raw() []byte { return rawBytes(*c.s) }

func (c colSlice[T]) grow(n int) {
	if cap(*c.s)-len(*c.s) < n {
		*c.s = slices.Grow(*c.s, n)
	}
}

func (c colSlice[T]) release() { *c.s = nil }

func (c colSlice[T]) truncate() { *c.s = (*c.s)[:0] }

func (c colSlice[T]) attach(mem unsafe.Pointer, rows, capRows int) {
	*c.s = unsafe.Slice((*T)(mem), capRows)[:rows]
}

func (c colSlice[T]) view(dst column, from, rows int) {
	*dst.(colSlice[T]).s = (*c.s)[from : from+rows : cap(*c.s)]
}

func (c colSlice[T]) room() int { return cap(*c.s) }

func (c colSlice[T]) moveRows(from, to, n int) {
	all := (*c.s)[:cap(*c.s)]
	copy(all[to:to+n], all[from:from+n]) // a memmove: the rows may overlap
}

func (c colSlice[T]) appendRows(from, n int) {
	*c.s = append(*c.s, (*c.s)[from:from+n]...) // a memmove: the rows may overlap
}

// ColumnNames are the names of the columns, in their order; Select takes them.
var ColumnNames = func() []string {
	names := make([]string, len(columnSpecs))
	for i, s := range columnSpecs {
		names[i] = s.Name
	}
	return names
}()

// ColumnSpecs returns the columns' specs, in order.
func ColumnSpecs() []ColumnSpec { return slices.Clone(columnSpecs) }

// ColumnSpecOf returns the spec of the named column.
func ColumnSpecOf(name string) (ColumnSpec, bool) {
	i := slices.Index(ColumnNames, name)
	if i < 0 {
		return ColumnSpec{}, false
	}
	return columnSpecs[i], true
}

// Raw returns the rows of the named column as raw native-order bytes (nil
// for a column not kept, released or unknown): what the bridge copies into
// numpy arrays of the spec's type.
func (c *Columns) Raw(name string) []byte {
	if s, ok := ColumnSpecOf(name); ok && c.Has(name) {
		return s.col(c).raw()
	}
	return nil
}

// Release forgets the named column's rows, so that their memory can be
// freed once they have been copied elsewhere; Raw then gives nil.
func (c *Columns) Release(name string) {
	if s, ok := ColumnSpecOf(name); ok {
		s.col(c).release()
	}
}

// Attach makes the kept columns write in place into caller-owned memory:
// mem[k] is room for capRows rows of the k-th kept column (in the order of
// ColumnNames), aligned for its type, and holds rows rows already. The
// caller adds no more than capRows rows, and calls Detach before the
// memory goes: Columns then keeps nothing of it. The address table stays
// Columns' own.
func (c *Columns) Attach(mem []unsafe.Pointer, rows, capRows int) error {
	k := 0
	for i, s := range columnSpecs {
		if c.skip&(1<<i) == 0 {
			if k >= len(mem) || mem[k] == nil {
				return errors.New("gopcapy: Attach: no memory for column " + s.Name)
			}
			s.col(c).attach(mem[k], rows, capRows)
			k++
		}
	}
	c.rows, c.attached = rows, true
	return nil
}

// reset drops every row and the address table, keeping the memory.
func (c *Columns) reset() {
	for _, s := range columnSpecs {
		s.col(c).truncate()
	}
	c.Addrs, c.v4, c.v6, c.v4recent = c.Addrs[:0], nil, nil, [256]struct {
		key  uint32
		code int32
	}{}
	c.rows, c.err = 0, nil
}

// Detach forgets the memory Attach gave (the rows stay counted).
func (c *Columns) Detach() {
	for _, s := range columnSpecs {
		s.col(c).release()
	}
	c.attached = false
}

// grow reserves room for about n more rows (at most limit when limit > 0)
// in the kept columns.
func (c *Columns) grow(n, limit int) {
	if limit > 0 {
		n = min(n, limit)
	}
	n = min(n, 1<<24)
	if c.attached { // the caller's memory has room for every row
		return
	}
	for i, s := range columnSpecs {
		if c.skip&(1<<i) == 0 {
			s.col(c).grow(n)
		}
	}
}

func rawBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}
