package gopcapy_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gopcapy/gopcapy/gopcapy"
)

// Flow heads: the first packet of each flow reaches the callback, the rest
// is only counted.
func ExampleReader_LoopFiltered() {
	path := exampleCapture() // ICMP, UDP, ICMP, UDP, ICMP; both UDP packets are one flow
	defer os.RemoveAll(filepath.Dir(path))

	r, err := gopcapy.OpenOffline(path)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	cfg := gopcapy.DefaultClassifierConfig()
	cfg.AdmitMask = 1 << gopcapy.ClassFlowHead
	cfg.FlowCutoff = 1
	c, err := gopcapy.NewClassifier(cfg)
	if err != nil {
		log.Fatal(err)
	}
	counts, err := r.LoopFiltered(-1, c, func(h gopcapy.Pkthdr, data []byte, class int) {
		fmt.Println("flow head at", h.Sec, "class", class)
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("admitted %d, dropped %d, other %d, heads %d\n",
		counts.Admitted, counts.Dropped, counts.Classes[gopcapy.ClassOther], counts.Classes[gopcapy.ClassFlowHead])
	// Output:
	// flow head at 1700000001 class 1
	// admitted 1, dropped 4, other 4, heads 1
}
