package gopcapy_test

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// frame returns a 42-byte Ethernet/IPv4 frame of the given IP protocol.
func frame(proto byte) []byte {
	f := make([]byte, 42)
	f[12], f[13] = 0x08, 0x00 // IPv4
	f[14], f[22], f[23] = 0x45, 64, proto
	return f
}

// exampleCapture writes a capture of ICMP, UDP, ICMP, UDP, ICMP packets one
// and a half seconds apart and returns its path.
func exampleCapture() string {
	dir, err := os.MkdirTemp("", "gopcapy-example")
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, "example.pcap")
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		data := frame(1) // ICMP
		if i%2 == 1 {
			data = frame(17) // UDP
		}
		ts := time.Unix(1700000000, 123456789).Add(time.Duration(i) * 1500 * time.Millisecond)
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			log.Fatal(err)
		}
	}
	return path
}

// exampleReader opens exampleCapture's file as ExampleOpenOffline does; done
// closes the reader and removes the file.
func exampleReader() (r *gopcapy.Reader, done func()) {
	path := exampleCapture()
	r, err := gopcapy.OpenOffline(path)
	if err != nil {
		log.Fatal(err)
	}
	return r, func() {
		r.Close()
		os.RemoveAll(filepath.Dir(path))
	}
}

func ExampleOpenOffline() {
	path := exampleCapture()
	defer os.RemoveAll(filepath.Dir(path))

	r, err := gopcapy.OpenOffline(path)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for {
		h, data, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d.%06d %d/%d bytes, IP protocol %d\n", h.Sec, h.Frac, h.Caplen, h.Len, data[23])
	}
	// Output:
	// 1700000000.123456 42/42 bytes, IP protocol 1
	// 1700000001.623456 42/42 bytes, IP protocol 17
	// 1700000003.123456 42/42 bytes, IP protocol 1
	// 1700000004.623456 42/42 bytes, IP protocol 17
	// 1700000006.123456 42/42 bytes, IP protocol 1
}

func ExampleOpenOfflinePrecision() {
	path := exampleCapture()
	defer os.RemoveAll(filepath.Dir(path))

	r, err := gopcapy.OpenOfflinePrecision(path, gopcapy.Nano)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	h, _, err := r.Next()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d.%09d\n", h.Sec, h.Frac)
	// Output: 1700000000.123456789
}

func ExampleReader_ReadBatch() {
	r, done := exampleReader()
	defer done()
	var b gopcapy.Batch
	for {
		n, err := r.ReadBatch(&b, 2, 0)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		h, _ := b.Packet(n - 1)
		fmt.Printf("%d packets, last at %d\n", n, h.Sec)
	}
	// Output:
	// 2 packets, last at 1700000001
	// 2 packets, last at 1700000004
	// 1 packets, last at 1700000006
}

func ExampleReader_Dispatch() {
	r, done := exampleReader()
	defer done()
	for {
		n, err := r.Dispatch(3, func(h gopcapy.Pkthdr, data []byte) {})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("handled", n)
		if n == 0 {
			break
		}
	}
	// Output:
	// handled 3
	// handled 2
	// handled 0
}

func ExampleReader_SetFilter() {
	r, done := exampleReader()
	defer done()
	if err := r.SetFilter("udp"); err != nil {
		log.Fatal(err)
	}
	err := r.Loop(0, func(h gopcapy.Pkthdr, data []byte) {
		fmt.Println("UDP at", h.Sec)
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.SetFilter("udp and"))
	// Output:
	// UDP at 1700000001
	// UDP at 1700000004
	// can't parse filter expression: syntax error
}

func ExampleCompile() {
	prog, err := gopcapy.Compile(1 /* DLT_EN10MB */, 262144, "icmp", true, 0)
	if err != nil {
		log.Fatal(err)
	}
	// The same as `tcpdump -ddd -y EN10MB icmp`.
	for _, in := range prog.Instructions() {
		fmt.Println(in.Code, in.Jt, in.Jf, in.K)
	}
	// Output:
	// 40 0 0 12
	// 21 0 3 2048
	// 48 0 0 23
	// 21 0 1 1
	// 6 0 0 262144
	// 6 0 0 0
}

func ExampleBPFProgram_Filter() {
	prog, err := gopcapy.NewBPFProgram("icmp", 1 /* DLT_EN10MB */)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(prog.Filter(frame(1)), prog.Filter(frame(17)))
	_, err = gopcapy.NewBPFProgram("icmp and", 1)
	fmt.Println(err)
	// Output:
	// 65536 0
	// Couldn't compile BPF program
}

func ExampleOpenDumper() {
	dir, err := os.MkdirTemp("", "gopcapy-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "out.pcap")

	d, err := gopcapy.OpenDumper(path, 1 /* DLT_EN10MB */, 65535, gopcapy.Micro)
	if err != nil {
		log.Fatal(err)
	}
	data := frame(17)
	h := gopcapy.Pkthdr{Sec: 1700000000, Frac: 250000, Caplen: uint32(len(data)), Len: 60}
	if err := d.WritePacket(h, data); err != nil {
		log.Fatal(err)
	}
	d.Close()

	r, err := gopcapy.OpenOffline(path)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	got, _, err := r.Next()
	fmt.Printf("%+v %v\n", got, err)
	_, _, err = r.Next()
	fmt.Println(err)
	// Output:
	// {Sec:1700000000 Frac:250000 Caplen:42 Len:60} <nil>
	// EOF
}

func ExampleReader_Close() {
	r, done := exampleReader()
	defer done()
	r.Close()
	r.Close() // idempotent
	_, _, err := r.Next()
	fmt.Println(err, err == gopcapy.ErrClosed)
	// Output: pcap is closed true
}
