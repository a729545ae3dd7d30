//go:build !linux

package gopcapy

import "os"

// mapFile: files are mapped on Linux only; elsewhere they are read.
func mapFile(*os.File, int64) *mapping { return nil }

func (m *mapping) unmap() {}

func (m *mapping) release(int64, int64) {}
