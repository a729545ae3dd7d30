package pybridge

import (
	"os"
	"sync"
	"syscall"
)

// The Go runtime starts its network poller (an epoll descriptor and an
// eventfd) the first time anything needs it: os.Open of a file, a pipe, a
// timer. If no descriptor is free at that moment the runtime does not return
// an error: it aborts the process ("runtime: netpollinit failed", exit 134).
// Python loads this extension on first use and calls Init at once, which
// starts the poller only after checking that descriptors are free, so the
// descriptor limit becomes an OSError instead of an abort, and later calls
// never start the poller themselves.
var poller struct {
	mu      sync.Mutex
	started bool
}

// pollerFds is how many descriptors starting the poller through os.Pipe
// takes at its peak: the pipe's two, the epoll and its eventfd.
const pollerFds = 4

// Init prepares the runtime for Python; it fails with OSError (EMFILE) when
// too few descriptors are free, and may then be called again.
func Init() (rc int, err error) {
	defer guard(&err)
	poller.mu.Lock()
	defer poller.mu.Unlock()
	if poller.started {
		return 0, nil
	}
	if err := reserveFds(pollerFds); err != nil {
		return 0, kinded(err)
	}
	r, w, err := os.Pipe() // registers with the poller: starts it
	if err != nil {
		return 0, kinded(err)
	}
	r.Close()
	w.Close()
	poller.started = true
	return 0, nil
}

// reserveFds checks that n descriptors can be opened, with plain system
// calls that never touch the poller.
func reserveFds(n int) error {
	var fds []int
	defer func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}()
	for len(fds) < n {
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			return err
		}
		fds = append(fds, p[0], p[1])
	}
	return nil
}
