package gopcapy

import (
	"bufio"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"
)

// Filter expressions every test below can rely on.
const (
	badExpr       = "tcp and"
	badExprPrefix = "can't parse filter expression: syntax error"
)

func TestSetFilterBeforeReadingKeepsOnlyMatches(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "m.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(20))
	for _, tt := range []struct {
		expr  string
		proto byte
	}{{"udp", protoUDP}, {"icmp", protoICMP}} {
		t.Run(tt.expr, func(t *testing.T) {
			r := open(t, path, Micro)
			if err := r.SetFilter(tt.expr); err != nil {
				t.Fatal(err)
			}
			got, err := readAllNext(t, r)
			wantEOF(t, err)
			if len(got) != 10 {
				t.Errorf("%q kept %d packets, want 10", tt.expr, len(got))
			}
			for _, p := range got {
				if !isProto(p.data, tt.proto) {
					t.Fatalf("%q let through packet at second %d", tt.expr, p.h.Sec)
				}
			}
		})
	}
}

func TestSetFilterInTheMiddleFiltersPacketsAlreadyBuffered(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "m.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(100))
	t.Run("after Next", func(t *testing.T) {
		r := open(t, path, Micro)
		// Next buffers more than one packet; the filter must reach those too.
		if h, _, err := r.Next(); err != nil || h.Sec != 1700000000 {
			t.Fatalf("Next = %+v, %v", h, err)
		}
		if err := r.SetFilter("udp"); err != nil {
			t.Fatal(err)
		}
		got, err := readAllNext(t, r)
		wantEOF(t, err)
		if len(got) != 50 {
			t.Errorf("read %d packets after SetFilter, want the 50 UDP ones", len(got))
		}
		for _, p := range got {
			if !isProto(p.data, protoUDP) {
				t.Fatalf("packet at second %d escaped the filter", p.h.Sec)
			}
		}
	})
	t.Run("SetFilterKeep with unconsumed batch packets", func(t *testing.T) {
		r := open(t, path, Micro)
		var b Batch
		if n, err := r.ReadBatch(&b, 10, 0); n != 10 || err != nil {
			t.Fatalf("ReadBatch = %d, %v", n, err)
		}
		// The caller used 6 packets; the last 4 (seconds 6..9) come back filtered.
		if err := r.SetFilterKeep("udp", &b, 4); err != nil {
			t.Fatal(err)
		}
		var secs []int64
		for {
			n, err := r.ReadBatch(&b, 8, 0)
			for i := 0; i < n; i++ {
				h, data := b.Packet(i)
				if !isProto(data, protoUDP) {
					t.Fatalf("packet at second %d escaped the filter", h.Sec)
				}
				secs = append(secs, h.Sec-1700000000)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(secs) != 47 || secs[0] != 7 || secs[1] != 9 || secs[2] != 11 {
			t.Errorf("after SetFilterKeep got %d packets starting %v, want 47 starting [7 9 11]", len(secs), secs[:min(3, len(secs))])
		}
	})
}

func TestBadFilterIsRejectedAndTheOldOneStays(t *testing.T) {
	path := writePcap(t, filepath.Join(t.TempDir(), "m.pcap"), layers.LinkTypeEthernet, 65535, false, mixed(10))
	r := open(t, path, Micro)
	if err := r.SetFilter("icmp"); err != nil {
		t.Fatal(err)
	}
	wantPcapError(t, r.SetFilter(badExpr), badExprPrefix)
	got, err := readAllNext(t, r)
	wantEOF(t, err)
	if len(got) != 5 {
		t.Errorf("read %d packets, want the 5 ICMP ones", len(got))
	}
}

func TestCompileMatchesTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump is not on PATH")
	}
	for _, expr := range []string{"icmp", "udp port 53 or arp", "tcp[tcpflags] & tcp-syn != 0", "ip6 and not icmp6"} {
		for _, optimize := range []bool{true, false} {
			t.Run(expr+"/optimize="+strconv.FormatBool(optimize), func(t *testing.T) {
				args := []string{"-ddd", "-y", "EN10MB"}
				if !optimize {
					args = append(args, "-O")
				}
				out, err := exec.Command(tcpdump, append(args, expr)...).Output()
				if err != nil {
					t.Skipf("tcpdump %v: %v", args, err)
				}
				want := parseDDD(t, string(out))
				prog, err := Compile(dltEthernet, 262144, expr, optimize, 0)
				if err != nil {
					t.Fatal(err)
				}
				got := prog.Instructions()
				if len(got) != len(want) {
					t.Fatalf("Compile gave %d instructions, tcpdump %d", len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Errorf("instruction %d = %+v, tcpdump says %+v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// parseDDD reads `tcpdump -ddd`: a count, then "code jt jf k" lines.
func parseDDD(t *testing.T, out string) []BPFInstruction {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	var insns []BPFInstruction
	count := -1
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		nums := make([]uint64, len(f))
		for i, s := range f {
			v, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				t.Fatalf("tcpdump -ddd line %q: %v", sc.Text(), err)
			}
			nums[i] = v
		}
		switch {
		case count < 0 && len(nums) == 1:
			count = int(nums[0])
		case len(nums) == 4:
			insns = append(insns, BPFInstruction{Code: uint16(nums[0]), Jt: uint8(nums[1]), Jf: uint8(nums[2]), K: uint32(nums[3])})
		default:
			t.Fatalf("unexpected tcpdump -ddd line %q", sc.Text())
		}
	}
	if count != len(insns) {
		t.Fatalf("tcpdump announced %d instructions and listed %d", count, len(insns))
	}
	return insns
}

func TestCompileAndNewBPFProgramReportBadExpressions(t *testing.T) {
	_, err := Compile(dltEthernet, 65535, badExpr, true, 0)
	wantPcapError(t, err, badExprPrefix)

	_, err = NewBPFProgram(badExpr, dltEthernet)
	var be *BPFError
	if !errors.As(err, &be) || be.Msg != "Couldn't compile BPF program" {
		t.Errorf("NewBPFProgram(%q) error = %v (%T), want *BPFError", badExpr, err, err)
	}
	// A link type without IP cannot take an IP filter.
	if _, err := NewBPFProgram("icmp", 147 /* DLT_USER0 */); !errors.As(err, &be) {
		t.Errorf("NewBPFProgram on DLT_USER0 error = %v, want *BPFError", err)
	}
}

func TestFilterReturnsTheSnapshotLengthOnAMatch(t *testing.T) {
	rawICMP, rawUDP := ipv4(protoICMP, 8), ipv4(protoUDP, 8)
	pcapyStyle, err := NewBPFProgram("icmp", dltRaw)
	if err != nil {
		t.Fatal(err)
	}
	short, err := Compile(dltEthernet, 96, "icmp", true, 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		prog *BPFProgram
		pkt  []byte
		want uint32
	}{
		{"raw ICMP", pcapyStyle, rawICMP, 65536},
		{"raw UDP", pcapyStyle, rawUDP, 0},
		{"empty packet", pcapyStyle, nil, 0},
		{"Ethernet ICMP, snaplen 96", short, icmpFrame(), 96},
		{"Ethernet UDP", short, udpFrame(), 0},
		{"Ethernet header only", short, icmpFrame()[:14], 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.prog.Filter(tt.pkt); got != tt.want {
				t.Errorf("Filter = %d, want %d", got, tt.want)
			}
			if got := tt.prog.Matches(tt.pkt, len(tt.pkt)); got != (tt.want != 0) {
				t.Errorf("Matches = %v, want %v", got, tt.want != 0)
			}
		})
	}
}

func TestMatchesSeesTheWireLength(t *testing.T) {
	prog, err := Compile(dltEthernet, 65535, "greater 1000", true, 0)
	if err != nil {
		t.Fatal(err)
	}
	frame := icmpFrame()
	if prog.Matches(frame, len(frame)) || !prog.Matches(frame, 1500) {
		t.Error(`"greater 1000" must judge the wire length, not the captured bytes`)
	}
}

func TestInstructionsReturnsACopy(t *testing.T) {
	prog, err := NewBPFProgram("icmp", dltEthernet)
	if err != nil {
		t.Fatal(err)
	}
	insns := prog.Instructions()
	if len(insns) == 0 {
		t.Fatal("no instructions")
	}
	for i := range insns {
		insns[i] = BPFInstruction{Code: 6} // ret #0
	}
	if prog.Filter(icmpFrame()) == 0 {
		t.Error("changing Instructions()' result changed the program")
	}
}

func TestEmptyExpressionAcceptsEverything(t *testing.T) {
	prog, err := Compile(dltEthernet, 65535, "", true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(prog.Instructions()); n != 1 {
		t.Errorf("empty filter has %d instructions, want 1 (ret)", n)
	}
	if prog.Filter(udpFrame()) != 65535 {
		t.Error("empty filter rejected a packet")
	}
}
