package pybridge

// Streaming reads for pcapy.iter_columns / to_parquet: capture files read
// chunk by chunk, each chunk handed to Python as a column job (see
// columns.go) that it exports and frees, so memory stays bounded by a chunk.

import (
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// openStream is a Stream with the lock that serialises Python's calls on it.
type openStream struct {
	mu    sync.Mutex
	s     *gopcapy.Stream
	ended bool
}

var streams registry[*openStream]

// chunkReserve is the most rows StreamColumns allocates before reading: a
// small file read with a big chunk_rows should not cost a big allocation.
const chunkReserve = 1 << 16

// StreamOpen starts reading capture files (paths separated by "\n") in
// order, keeping the packets matching filter ("": all), at most count in
// all (<= 0: all). Nothing is read before StreamColumns or FlowsFromStream.
func StreamOpen(paths, filter string, count int) (id int, err error) {
	defer guard(&err)
	return streams.add(&openStream{s: gopcapy.NewStream(strings.Split(paths, "\n"), filter, count)}), nil
}

func getStream(id int) (*openStream, error) {
	st, ok := streams.get(id)
	if !ok {
		return nil, valueError("the stream is closed")
	}
	return st, nil
}

// read runs one Read of the stream under its lock. It returns the packets
// read, the message of a damaged file ("" when none) and a fatal error;
// ended tells that nothing more will come.
func (st *openStream) read(n int, fn gopcapy.PacketFunc) (k int, damage string, ended bool, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended {
		return 0, "", true, nil
	}
	k, err = st.s.Read(n, fn)
	var re *gopcapy.ReadError
	switch {
	case err == nil:
	case err == io.EOF:
		st.ended = true
		err = nil
	case errors.As(err, &re):
		damage, err = re.Error(), nil
	default:
		st.ended = true
		st.s.Close()
		err = kinded(err)
	}
	return k, damage, st.ended, err
}

// StreamColumns reads up to n packets of a stream into a new column job
// keeping the columns named in fields ("\n" separated), and returns the job
// (free it with ColumnsFree). Its ColumnsRows is less than n only at the end
// of the files or after a damaged file, whose message ColumnsDamage returns;
// 0 rows without damage: the stream is at its end.
func StreamColumns(stream, n int, fields string) (job int, err error) {
	defer guard(&err)
	names, err := fieldList(fields)
	if err != nil {
		return 0, err
	}
	st, err := getStream(stream)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, valueError("chunk_rows must be positive")
	}
	c := &gopcapy.Columns{}
	_ = c.Select(names)
	c.Reserve(min(n, chunkReserve))
	k, damage, _, err := st.read(n, c.AppendRow)
	if err != nil {
		return 0, err
	}
	j := &colJob{parts: []*gopcapy.Columns{c}, errs: []error{nil}, finished: true, rows: k}
	if damage != "" {
		j.damage = []string{damage}
	}
	return colJobs.add(j), nil
}

// StreamClose closes a stream's file and forgets it.
func StreamClose(stream int) (rc int, err error) {
	defer guard(&err)
	if st, ok := streams.remove(stream); ok {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.s.Close()
		st.ended = true
	}
	return 0, nil
}
