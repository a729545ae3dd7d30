//go:build linux

package gopcapy

// Linux's eventfd: the descriptor that lets Close end a live wait at once
// (newWakeFd, wakeUp), and the listing that finds the eventfd libpcap's
// pcap_create makes (libpcapEventfds, see newInactiveHandle). Other systems
// get eventfd_other.go: no wake descriptor (a wait runs to the end of its
// slice) and no listing.

/*
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/eventfd.h>

// gp_list_eventfds writes up to max descriptors that are eventfds opened
// without close-on-exec (as libpcap makes them) and returns their number, or
// -1 when /proc/self/fd cannot be read (e.g. no descriptor is free).
static int gp_list_eventfds(int *out, int max) {
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL) return -1;
	int n = 0;
	struct dirent *e;
	char path[64], link[64];
	while ((e = readdir(d)) != NULL && n < max) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
		int fd = atoi(e->d_name);
		if (fd == dirfd(d)) continue;
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		ssize_t l = readlink(path, link, sizeof link - 1);
		if (l < 0) continue;
		link[l] = 0;
		if (strcmp(link, "anon_inode:[eventfd]") != 0) continue;
		int fl = fcntl(fd, F_GETFD);
		if (fl < 0 || (fl & FD_CLOEXEC)) continue;
		out[n++] = fd;
	}
	closedir(d);
	return n;
}

static void gp_wake(int fd) {
	uint64_t one = 1;
	if (write(fd, &one, sizeof one) < 0) return; // full: already awake
}
*/
import "C"

// libpcapEventfds lists the eventfds without close-on-exec; ok is false when
// they cannot be listed.
func libpcapEventfds() (fds map[int]bool, ok bool) {
	var buf [1024]C.int
	n := int(C.gp_list_eventfds(&buf[0], C.int(len(buf))))
	if n < 0 || n == len(buf) {
		return nil, false
	}
	fds = make(map[int]bool, n)
	for _, fd := range buf[:n] {
		fds[int(fd)] = true
	}
	return fds, true
}

// newWakeFd returns an eventfd for wakeUp, or -1 if none can be made (then a
// wait just runs to its end: at most one slice of ReadBatch).
func newWakeFd() int { return int(C.eventfd(0, C.EFD_NONBLOCK|C.EFD_CLOEXEC)) }

// wakeUp ends every waitReadable on wake (-1: none).
func wakeUp(wake int) {
	if wake >= 0 {
		C.gp_wake(C.int(wake))
	}
}
