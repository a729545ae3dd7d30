/*
Package gopcapy reads and writes packet captures with libpcap: capture files
(pcap and pcapng) and live network devices, with BPF filters. It is the Go
core of the Python package pcapy, which reaches it through the gopy bridge in
gopcapy/pybridge; Go programs can use it directly.

# Reading Capture Files

OpenOffline opens a pcap or pcapng file ("-" is standard input) with
microsecond timestamps; OpenOfflinePrecision chooses Micro or Nano, which sets
the unit of Pkthdr.Frac. Reading a nanosecond file with Micro truncates
(Frac = nanoseconds / 1000); reading a microsecond file with Nano is exact.

Next returns one packet at a time, with a copy of its data, and io.EOF at the
end of the file:

	r, err := gopcapy.OpenOffline("ping.pcap")
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
			log.Fatal(err) // a damaged file: *gopcapy.Error
		}
		fmt.Println(h.Sec, h.Frac, h.Caplen, h.Len, len(data))
	}

Dispatch and Loop call a function for each packet, as pcap_dispatch and
pcap_loop do. The data passed to the callback is only valid during the call.
On a file, Dispatch(cnt) handles up to cnt packets (the rest of the file when
cnt <= 0) and returns how many; it returns 0 at the end. Loop(cnt) handles cnt
packets, or all of them when cnt <= 0:

	n, err := r.Dispatch(50, func(h gopcapy.Pkthdr, data []byte) {
		count++
	})

ReadBatch is the fast path: one call into libpcap reads up to maxN packets
into a Batch, whose buffer is reused by the next read. Batch.Len is the
number of packets, Batch.Packet(i) the header and data of one (the data
aliases the batch), and Batch.Bytes the whole batch as one byte slice, the
form the Python side decodes without a loop per packet:

	[0, n*RecordSize)  n records of RecordSize (28) bytes, native byte order:
	                   seconds int64, fraction uint32, caplen uint32,
	                   len uint32, data start uint32, data end uint32
	[start, end)       each packet's data, after the records, in order

Readers go by each record's start and end offsets: there may be room between
the records and the first packet. The field offsets are the Record*
constants (RecordLayout lists them); ParseRecord and PutRecord read and
write one record.

	var b gopcapy.Batch
	for {
		n, err := r.ReadBatch(&b, 256, 0)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		for i := 0; i < n; i++ {
			h, data := b.Packet(i)
			use(h, data)
		}
	}

Next, ReadBatch, Dispatch and Loop share the reader's position, so they can
be mixed: packets one of them read ahead are handed out by the next call.

# With gopacket

A *Reader is a gopacket PacketDataSource and ZeroCopyPacketDataSource
(gopacket_source.go), so gopacket decodes what it reads:

	src := gopacket.NewPacketSource(r, r.LinkType())
	for pkt := range src.Packets() {
		if ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			fmt.Println(pkt.Metadata().Timestamp, ip.SrcIP, ip.DstIP)
		}
	}

ZeroCopyReadPacketData's data is valid until the next call; a closed reader
reads as io.EOF, which ends the Packets channel.

# Filters

SetFilter compiles a filter expression (tcpdump's syntax, optimized, with the
capture's netmask) and applies it to every packet not yet handed out,
including those the reader has already read ahead:

	if err := r.SetFilter("icmp or udp port 53"); err != nil {
		log.Fatal(err) // can't parse filter expression: syntax error
	}

SetFilterKeep is SetFilter for a caller that still holds the last packets of
its last ReadBatch: those come back, filtered, from the next ReadBatch.

Compile builds a program without a capture, for a link type and snapshot
length, as pcap_compile on a pcap_open_dead handle; NewBPFProgram compiles as
pcapy's BPFProgram does (snapshot length 65536, no optimization). A program
runs on packets in memory: Filter returns bpf_filter's result (0 when the
packet does not match, else the number of bytes to keep), Matches takes the
packet's wire length for expressions such as "greater 1000", and
Instructions lists the program as `tcpdump -ddd` does:

	prog, err := gopcapy.NewBPFProgram("icmp", 1) // DLT_EN10MB
	if err != nil {
		log.Fatal(err) // *gopcapy.BPFError
	}
	if prog.Filter(frame) != 0 {
		fmt.Println("ICMP")
	}

# Writing Capture Files

DumpOpen creates a pcap file for a reader's link type, snapshot length and
precision; OpenDumper takes them as arguments. WritePacket writes one packet
(data must hold at least Caplen bytes); WriteBatch writes packets in the Batch
layout, checking every record before anything is written; each write is
flushed to the file before it returns (the file header at DumpOpen). Close
closes the file; writes after it fail. A failed write (full disk, I/O error,
closed pipe) returns an *Error "<path>: <strerror>" from the call that met
it, and from every later write; the file then holds the packets written
before the failure, the last possibly cut short. Close returns an error only
for a failure no write returned.

	d, err := r.DumpOpen("copy.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	err = r.Loop(0, func(h gopcapy.Pkthdr, data []byte) {
		if err := d.WritePacket(h, data); err != nil {
			log.Fatal(err)
		}
	})

# Live Capture

OpenLive opens a device as pcap_open_live does, with a snapshot length,
promiscuous mode and a packet buffer timeout (0 waits forever). Create makes
a handle that is configured first, with SetSnaplen, SetPromisc, SetTimeout,
SetBufferSize, SetImmediateMode, SetRfmon and SetPrecision (each returns
libpcap's status), and then activated; Activate returns 0, a positive warning
or a negative error such as -5 (no such device). Before activation Datalink
returns -3.

	r, err := gopcapy.Create("eth0")
	if err != nil {
		log.Fatal(err)
	}
	r.SetSnaplen(256)
	r.SetTimeout(100) // milliseconds
	r.SetImmediateMode(1)
	if rc := r.Activate(); rc < 0 {
		log.Fatalf("activate: %d", rc)
	}

On a live capture, Next waits up to the capture's timeout and ReadBatch up to
its wait argument for the first packet, then return ErrTimeout; Dispatch
returns after one batch or when the timeout expires. A negative timeout, or
SetNonblock(true), makes reads return at once when nothing is ready.

The timeout given is the read timeout; libpcap's own packet buffer timeout is
kept at most 100 ms (10 ms when the read timeout is 0), because on Linux
captured packets become readable only when the kernel hands over a block,
when it is full or that timeout expires: a long one delays every packet of a
quiet capture, and none (libpcap's choice for 0) never delivers them on fast
links. It is not shorter because blocks handed over by the timeout are partly
empty, and a program that reads late loses packets once libpcap's 8 blocks
are used: 800 ms of a slow stream at 100 ms.

Reads never block inside libpcap: the handle is non-blocking, and the reader
waits on its selectable descriptor itself, in short slices, and on a wake-up
descriptor that Close signals. That is why Close from another goroutine ends
even a read that waits forever at once; the read returns ErrClosed. Stats,
SendPacket, SetDirection, SetFanout and Fd work on live captures;
FindAllDevs, Interfaces and LookupDev list devices.

What is Linux's own lives in *_linux.go files behind build tags: the eventfd
that Close signals (eventfd_linux.go) and PACKET_FANOUT (fanout_linux.go).
Elsewhere *_other.go stand in (a wait runs to the end of its slice; SetFanout
is an *Error); a port adds its own files.

# Devices, Link Types and Time Stamps

Beyond what pcapy offers, libpcap's device and time stamp calls:

	ifs, _ := gopcapy.Interfaces() // names, descriptions, IPv4/IPv6 addresses
	gopcapy.DatalinkName(1)        // "EN10MB"; DatalinkValue("EN10MB") == 1

	r, _ := gopcapy.Create("eth0")
	names, _ := r.TstampTypes()   // e.g. ["host", "adapter"]
	r.SetTstampType("adapter")    // libpcap's status
	r.SetPrecision(gopcapy.Nano)  // Pkthdr.Frac in nanoseconds
	r.Activate()
	dlts, _ := r.ListDatalinks()  // e.g. [1 143]
	r.SetDatalink(143)

Breakloop, from fn or another goroutine, makes a running Loop or Dispatch
return after the packet being handled (the packets not handled stay for the
next read); called when none runs, the next one returns at once.

# Errors

The end of a capture file is io.EOF, on every call after it too. A damaged
file delivers the packets before the damage, then a *Error with libpcap's
message ("truncated dump file; tried to read 98 captured bytes, only got
88"), then io.EOF.

Errors from libpcap are *Error values holding libpcap's own message:
"unknown file format" for a file that is not a capture, "<path>: No such file
or directory", "can't parse filter expression: syntax error", "Statistics
aren't available from savefiles". NewBPFProgram reports a bad expression as
a *BPFError, as pcapy does.

ErrTimeout means a live capture's wait expired with no packet. ErrClosed is
returned by every method of a closed Reader (methods returning a libpcap
status return -1); a closed Dumper returns ErrDumperClosed.

# Concurrency

All methods of Reader and Dumper are safe for concurrent use; each takes the
object's lock for its duration. Close may be called at any time, from any
goroutine, and more than once: a read in progress in another goroutine ends
first (a live read waiting for packets returns ErrClosed), and every later
call returns ErrClosed.

	go func() {
		<-stop
		r.Close() // ends the loop below
	}()
	for {
		h, data, err := r.Next()
		if err == gopcapy.ErrClosed || err == io.EOF {
			return
		}
		...
	}

# Classifying Packets

A Classifier sorts packets into classes as they are read, for the two things
a BPF filter cannot do: remember flows and test membership in a large set of
addresses. LoopFiltered calls a function only for the classes the
configuration admits and counts every packet; the classes and their rules are
pcapy-ng 2.1.0's (loop_filtered), so Go and Python programs see the same.

	cfg := gopcapy.DefaultClassifierConfig()          // Ethernet, every class admitted
	cfg.AdmitMask = 1<<gopcapy.ClassFlowHead | 1<<gopcapy.ClassSetMatch
	cfg.FlowCutoff = 3                                // the first 3 packets of each flow
	cfg.AddrSet = watchlist                           // packed IPv4 addresses, any number
	c, err := gopcapy.NewClassifier(cfg)
	...
	counts, err := r.LoopFiltered(-1, c, func(h gopcapy.Pkthdr, data []byte, class int) {
		...
	})

A Classifier decides on a packet's first ClassifyPrefix (256) bytes. A loop
of its own can so read with ReadBatchPrefix, which copies only those bytes of
each packet, and fetch the admitted packets whole with ReadPacketAt (pcapy's
loop_filtered and loop_to_buffer do: the packets they drop are never copied).

ProfileSecurity swaps the classes for a security monitor's triage: DNS, HTTP,
TLS/QUIC handshakes, TCP SYNs and watched addresses (class ids 100 to 105).
Only IPv4 is classified; ClassifierConfig.L2Offset says where its header
starts (14 for Ethernet, 16 for Linux SLL, 0 for raw IP), VLAN tags skipped.
*/
package gopcapy
