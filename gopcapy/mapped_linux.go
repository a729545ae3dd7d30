package gopcapy

import (
	"os"
	"syscall"
)

// mapFile maps size bytes of file read-only, and keeps the file (unmap
// closes it); nil when it cannot be (the caller reads the file instead and
// still owns it).
func mapFile(file *os.File, size int64) *mapping {
	if size <= 0 || int64(int(size)) != size {
		return nil
	}
	data, err := syscall.Mmap(int(file.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	return &mapping{data: data, file: file}
}

// unmap ends the mapping and closes the file; nothing may read it after.
func (m *mapping) unmap() {
	if m != nil && m.data != nil {
		_ = syscall.Munmap(m.data)
		_ = m.file.Close()
		m.data = nil
	}
}

func (m *mapping) release(from, to int64) {
	_ = syscall.Madvise(m.data[from:to], syscall.MADV_DONTNEED)
}
