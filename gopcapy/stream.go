package gopcapy

// Streaming reads: capture files' packets handed to a function chunk by
// chunk, in file order, with memory bounded by the chunk rather than by the
// file. pcapy.iter_columns, to_parquet and read_flows read through a Stream;
// each file is read by a fileCursor (cursor.go).

import "io"

// Stream reads capture files one after the other.
type Stream struct {
	paths  []string
	filter string
	count  int // packets wanted in all (<= 0: all)
	done   int // packets handed out
	next   int // index in paths of the next file to open
	cur    *fileCursor
}

// NewStream makes a Stream over the files, in order, keeping the packets
// matching filter ("": all), at most count in all (<= 0: all).
func NewStream(paths []string, filter string, count int) *Stream {
	return &Stream{paths: paths, filter: filter, count: count}
}

// Read hands up to n packets (n > 0) to fn and returns how many. It returns
// fewer only when the files are read (then err is io.EOF, possibly with
// packets), or with a *ReadError for a file damaged midway: the packets
// before the damage were handed out, and the next Read goes on with the next
// file. Any other error (a file that cannot be opened, a filter that does
// not compile) ends the stream.
func (s *Stream) Read(n int, fn PacketFunc) (int, error) {
	got := 0
	for got < n {
		if s.count > 0 && s.done >= s.count {
			s.Close()
			return got, io.EOF
		}
		if s.cur == nil {
			if s.next >= len(s.paths) {
				return got, io.EOF
			}
			cur, err := openCursor(s.paths[s.next], s.filter, nil)
			s.next++
			if err != nil {
				s.next = len(s.paths)
				return got, err
			}
			s.cur = cur
		}
		want := n - got
		if s.count > 0 {
			want = min(want, s.count-s.done)
		}
		k, err := s.cur.read(want, fn)
		got += k
		s.done += k
		if err != nil {
			path, packets := s.cur.path, s.cur.packets
			s.cur.close()
			s.cur = nil
			if err != io.EOF {
				return got, &ReadError{Path: path, Packets: packets, Err: err}
			}
		}
	}
	return got, nil
}

// Close releases the file being read; Read then goes on with the next one.
func (s *Stream) Close() {
	if s.cur != nil {
		s.cur.close()
		s.cur = nil
	}
	s.next = len(s.paths)
}

// ReadColumns appends up to n rows to c; see Read.
func (s *Stream) ReadColumns(c *Columns, n int) (int, error) {
	return s.Read(n, c.AppendRow)
}
