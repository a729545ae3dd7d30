package gopcapy

// Batches in C (see libpcap.go for the other libpcap calls): reading packets
// with one cgo call per batch into the batch record layout, whose one
// definition is GP_REC_* below; the savefile offsets SetFilter and
// ReadPacketAt rely on; and dumping records of that layout to a savefile
// (which is why dumping lives here: cgo preambles are per file, and the
// layout is defined once).

/*
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <pcap.h>

// The batch record layout, its one definition (Go reads it through cgo as
// recordSize/recSec/..., Python through pybridge.BatchLayout): per packet,
// sec int64, frac uint32, caplen uint32, len uint32, start and end uint32
// (where its bytes lie in the batch), native byte order.
#define GP_REC_SIZE 28
#define GP_REC_SEC 0
#define GP_REC_FRAC 8
#define GP_REC_CAPLEN 12
#define GP_REC_LEN 16
#define GP_REC_START 20
#define GP_REC_END 24

// gp_pending keeps a packet pcap_next_ex returned that did not fit into the
// caller's buffer; libpcap keeps its bytes valid until the next read.
typedef struct {
	int has;
	struct pcap_pkthdr hdr;
	const u_char *data;
	int64_t start; // savefile offset before it (and before what a filter dropped ahead of it)
} gp_pending;

static void gp_put_record(unsigned char *meta, const struct pcap_pkthdr *h,
		uint32_t off, uint32_t frac_div) {
	int64_t sec = (int64_t)h->ts.tv_sec;
	uint32_t frac = (uint32_t)h->ts.tv_usec / frac_div;
	uint32_t caplen = h->caplen, len = h->len;
	uint32_t end = off + caplen;
	memcpy(meta + GP_REC_SEC, &sec, 8);
	memcpy(meta + GP_REC_FRAC, &frac, 4);
	memcpy(meta + GP_REC_CAPLEN, &caplen, 4);
	memcpy(meta + GP_REC_LEN, &len, 4);
	memcpy(meta + GP_REC_START, &off, 4);
	memcpy(meta + GP_REC_END, &end, 4);
}

// gp_tell_fast is ftello for gp_read_batch's offset per packet: under glibc,
// the same sum glibc's ftello makes (the offset stdio keeps for the stream
// minus what it buffered ahead), without its lock and call (10% of a read of
// small packets). Only for a stream in its main get area (not after ungetc:
// _IO_IN_BACKUP, 0x100) whose offset stdio knows; else ftello.
static inline int64_t gp_tell_fast(FILE *f) {
#ifdef __GLIBC__
	if (f->_offset >= 0 && !(f->_flags & 0x100) && f->_IO_read_ptr != NULL)
		return (int64_t)(f->_offset - (f->_IO_read_end - f->_IO_read_ptr));
#endif
	return (int64_t)ftello(f);
}

// gp_batch is a gp_read_batch in progress.
typedef struct {
	gp_pending *pend;
	unsigned char *buf;
	int n;
	uint32_t off, cap, frac_div, prefix;
	int64_t *start, *pos;
	FILE *f;
} gp_batch;

// gp_take copies packet (h, d) into the batch; 0 when it does not fit (then
// it becomes the pending packet, unless it already is).
static int gp_take(gp_batch *b, const struct pcap_pkthdr *h, const u_char *d) {
	gp_pending *pend = b->pend;
	uint32_t take = b->prefix > 0 && h->caplen > b->prefix ? b->prefix : h->caplen;
	if (take > b->cap - b->off) {
		if (!pend->has) {
			pend->hdr = *h;
			pend->data = d;
			// Where the previous packet ended: a rewind there lets a new
			// filter see what the old one dropped before this packet.
			pend->start = b->pos ? (b->n > 0 ? b->pos[b->n - 1] : *b->start) : -1;
			pend->has = 1;
		}
		return 0;
	}
	memcpy(b->buf + b->off, d, take);
	unsigned char *rec = b->buf + (size_t)b->n * GP_REC_SIZE;
	gp_put_record(rec, h, b->off, b->frac_div);
	if (take != h->caplen) {
		uint32_t end = b->off + take;
		memcpy(rec + GP_REC_END, &end, 4);
	}
	if (b->pos) b->pos[b->n] = b->f ? gp_tell_fast(b->f) : -1;
	b->off += take;
	pend->has = 0;
	b->n++;
	return 1;
}

static void gp_take_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *d) {
	gp_take((gp_batch *)user, h, d); // always fits: pcap_dispatch's count said so
}

// gp_read_batch reads up to maxn packets with pcap_next_ex into one buffer:
// maxn records (GP_REC_*: sec, frac, caplen, len, start, end) at buf, packet bytes
// from data_start on. It stops at the first non-packet result and reports it
// in *status (0 timeout / nothing ready, -1 error, -2 end of file, 2 buffer
// full). One cgo call per batch instead of one per packet. With pos, it
// records the savefile offset after each packet (see Reader.setFilter); *end
// is the offset after the last packet read (-1: not a savefile). With
// prefix > 0 it copies at most prefix bytes of each packet (the record keeps
// the caplen; its end says what was copied), and reads a savefile with
// pcap_dispatch (libpcap's loop, cheaper per packet than pcap_next_ex) as
// many packets at a time as surely fit.
static int gp_read_batch(pcap_t *p, gp_pending *pend, unsigned char *buf,
		int maxn, uint32_t data_start, uint32_t cap, uint32_t frac_div, uint32_t prefix,
		int64_t *start, int64_t *pos, int64_t *end, uint32_t *used, int *status) {
	gp_batch b = { pend, buf, 0, data_start, cap, frac_div, prefix, start, pos, pcap_file(p) };
	*status = 1;
	if (pos) *start = pend->has ? pend->start : (b.f ? (int64_t)ftello(b.f) : -1);
	if (pend->has && !gp_take(&b, &pend->hdr, pend->data)) {
		*status = 2;
	}
	while (*status == 1 && b.n < maxn && b.f != NULL && prefix > 0 && (cap - b.off) / prefix > 0) {
		uint32_t fit = (cap - b.off) / prefix;
		int want = maxn - b.n < (int)fit ? maxn - b.n : (int)fit;
		int r = pcap_dispatch(p, want, gp_take_cb, (u_char *)&b);
		if (r < 0) {
			*status = r; // -1 error, -2 pcap_breakloop (as pcap_next_ex reports it)
		} else if (r < want) {
			*status = -2; // the end of the file
		}
	}
	while (*status == 1 && b.n < maxn) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int r = pcap_next_ex(p, &h, &d);
		if (r != 1) {
			*status = r;
		} else if (!gp_take(&b, h, d)) {
			*status = 2;
		}
	}
	*used = b.off;
	*end = b.f ? gp_tell_fast(b.f) : -1;
	return b.n;
}

// gp_fetch_at reads a packet of a savefile whole into dst (room for caplen
// bytes): the packet after offset before, ending at offset after. When the
// file is pcap (not pcapng, not the 24-byte-header variant) and exactly one
// record, a 16-byte header and caplen bytes, lies between the two (no packet
// a filter dropped, no bytes libpcap skipped), the bytes are the caplen
// before after: one pread, the stream untouched. Otherwise it moves the
// stream to before, reads the packet and moves it back. 0, or -1 when that
// fails or finds another packet.
static int gp_fetch_at(pcap_t *p, int64_t before, int64_t after, unsigned char *dst, uint32_t caplen) {
	FILE *f = pcap_file(p);
	if (f == NULL) return -1;
	uint32_t magic;
	int fd = fileno(f);
	if (after - before == 16 + (int64_t)caplen && pread(fd, &magic, 4, 0) == 4 &&
			(magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d || magic == 0x4d3cb2a1) &&
			pread(fd, dst, caplen, (off_t)(after - caplen)) == (ssize_t)caplen)
		return 0;
	off_t back = ftello(f);
	if (back < 0 || fseeko(f, (off_t)before, SEEK_SET) != 0) return -1;
	struct pcap_pkthdr *h;
	const u_char *d;
	int r = pcap_next_ex(p, &h, &d);
	int ok = r == 1 && h->caplen == caplen;
	if (ok) memcpy(dst, d, caplen);
	if (fseeko(f, back, SEEK_SET) != 0) return -1;
	return ok ? 0 : -1;
}

// gp_tell and gp_seek give and set a savefile's read position (-1: not a
// seekable savefile, e.g. stdin).
static int64_t gp_tell(pcap_t *p) {
	FILE *f = pcap_file(p);
	return f ? (int64_t)ftello(f) : -1;
}

static int gp_seek(pcap_t *p, int64_t off) {
	FILE *f = pcap_file(p);
	return f ? fseeko(f, (off_t)off, SEEK_SET) : -1;
}

// gp_file_fd is the descriptor of a savefile's stream, -1 when there is none.
static int gp_file_fd(pcap_t *p) {
	FILE *f = pcap_file(p);
	return f ? fileno(f) : -1;
}

// gp_file_buffer gives a capture file's stdio stream a buffer of size bytes
// (stdio's default is 4 KiB: a read() per 3 large packets) and returns it, or
// NULL when the stream is not a regular file (a pipe cannot be repositioned)
// or anything fails; the caller frees it after closing the stream. libpcap has
// already read the file header, so the stream is first repositioned where
// libpcap stands (fseek drops what stdio buffered), then given the buffer,
// then positioned again: glibc forgets the file offset in setvbuf, and without
// it every ftello (gp_read_batch's positions) costs an lseek system call.
static char *gp_file_buffer(pcap_t *p, size_t size) {
	FILE *f = pcap_file(p);
	struct stat st;
	if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	off_t pos = ftello(f);
	if (pos < 0 || fseeko(f, pos, SEEK_SET) != 0)
		return NULL;
	char *buf = malloc(size);
	if (buf == NULL)
		return NULL;
	if (setvbuf(f, buf, _IOFBF, size) != 0) {
		free(buf);
		return NULL;
	}
	fseeko(f, pos, SEEK_SET);
	return buf;
}

// gp_dump_records writes records in the batch layout (GP_REC_* records, then
// data at their offsets) to a dumper, with µs or ns fractions as given, and
// flushes them. It returns 0 or the errno of the first failed write: stdio
// only remembers a failure in the stream's error flag (a later fflush can
// succeed), so the flag is checked after every record and writing stops there.
static int gp_dump_records(pcap_dumper_t *d, const unsigned char *buf, int n) {
	FILE *f = pcap_dump_file(d);
	for (int i = 0; i < n; i++) {
		const unsigned char *m = buf + (size_t)i * GP_REC_SIZE;
		struct pcap_pkthdr h;
		int64_t sec; uint32_t frac, off, caplen, len;
		memcpy(&sec, m + GP_REC_SEC, 8); memcpy(&frac, m + GP_REC_FRAC, 4);
		memcpy(&caplen, m + GP_REC_CAPLEN, 4); memcpy(&len, m + GP_REC_LEN, 4);
		memcpy(&off, m + GP_REC_START, 4);
		h.ts.tv_sec = sec;
		h.ts.tv_usec = frac;
		h.caplen = caplen;
		h.len = len;
		errno = 0;
		pcap_dump((u_char *)d, &h, buf + off);
		if (ferror(f)) return errno ? errno : EIO;
	}
	errno = 0;
	if (fflush(f) != 0 || ferror(f)) return errno ? errno : EIO;
	return 0;
}

// gp_dump_flush flushes a dumper's file: 0 or the errno of the failure.
static int gp_dump_flush(pcap_dumper_t *d) {
	FILE *f = pcap_dump_file(d);
	errno = 0;
	if (fflush(f) != 0 || ferror(f)) return errno ? errno : EIO;
	return 0;
}

// gp_dump_close flushes and closes a dumper's file, returning 0 or the errno
// of the failure: pcap_dump_close is fclose with the result thrown away.
static int gp_dump_close(pcap_dumper_t *d) {
	FILE *f = pcap_dump_file(d);
	errno = 0;
	int bad = fflush(f) != 0 || ferror(f);
	int err = errno;
	if (fclose(f) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	return bad ? (err ? err : EIO) : 0;
}
*/
import "C"

import (
	"errors"
	"syscall"
	"unsafe"
)

// The batch record layout (GP_REC_* above): its size and each field's offset.
const (
	recordSize = C.GP_REC_SIZE
	recSec     = C.GP_REC_SEC
	recFrac    = C.GP_REC_FRAC
	recCaplen  = C.GP_REC_CAPLEN
	recLen     = C.GP_REC_LEN
	recStart   = C.GP_REC_START
	recEnd     = C.GP_REC_END
)

// The statuses gp_read_batch reports that Go acts on: pcap_next_ex's -1
// and -2, and its own "buffer full" (0, a timeout, needs no case).
const (
	readError   = -1
	readEOF     = -2
	readBufFull = 2
)

// pending is C memory so libpcap-owned pointers never sit in Go memory.
type pending = *C.gp_pending

func newPending() pending {
	return (*C.gp_pending)(C.calloc(1, C.size_t(unsafe.Sizeof(C.gp_pending{}))))
}
func freePending(p pending) { C.free(unsafe.Pointer(p)) }
func pendingCaplen(p pending) int {
	if p.has == 0 {
		return 0
	}
	return int(p.hdr.caplen)
}
func clearPending(p pending) { p.has = 0 }

// pendingPacket returns the kept-aside packet's wire length and data (C
// memory, valid until the next read); ok is false when there is none.
func pendingPacket(p pending) (wireLen int, data []byte, ok bool) {
	if p.has == 0 {
		return 0, nil, false
	}
	return int(p.hdr.len), unsafe.Slice((*byte)(unsafe.Pointer(p.data)), int(p.hdr.caplen)), true
}

// readBatch fills buf (records for maxn packets, then data) and returns the
// packet count, bytes used and the status that stopped it.
// pos, when not nil (len >= maxn), receives the savefile offset after each
// packet, end the one after the last; prefix > 0 copies at most that many
// bytes of each packet.
func readBatch(p pcapT, pend pending, buf []byte, maxn int, fracDiv uint32, prefix int, pos []int64) (n, used, status int, start, end int64) {
	var cused C.uint32_t
	var cstatus C.int
	var cstart, cend C.int64_t = -1, -1
	var cpos *C.int64_t
	if pos != nil {
		cpos = (*C.int64_t)(unsafe.Pointer(&pos[0]))
	}
	dataStart := maxn * recordSize
	cn := C.gp_read_batch(cp(p), pend, (*C.uchar)(unsafe.Pointer(&buf[0])), C.int(maxn),
		C.uint32_t(dataStart), C.uint32_t(len(buf)), C.uint32_t(fracDiv), C.uint32_t(prefix), &cstart, cpos, &cend, &cused, &cstatus)
	return int(cn), int(cused), int(cstatus), int64(cstart), int64(cend)
}

// fetchAt copies the packet between savefile offsets before and after
// (caplen len(dst)) into dst and leaves the file where it was.
func fetchAt(p pcapT, before, after int64, dst []byte) bool {
	return C.gp_fetch_at(cp(p), C.int64_t(before), C.int64_t(after),
		(*C.uchar)(unsafe.Pointer(&dst[0])), C.uint32_t(len(dst))) == 0
}

// tell returns a savefile's read offset, -1 when it has none (stdin, live).
func tell(p pcapT) int64 { return int64(C.gp_tell(cp(p))) }

// seek moves a savefile's read offset back to one tell or readBatch gave.
func seek(p pcapT, off int64) bool { return C.gp_seek(cp(p), C.int64_t(off)) == 0 }

// fileFd returns the descriptor of a capture file's stream (-1: none).
func fileFd(p pcapT) int { return int(C.gp_file_fd(cp(p))) }

// fileBuffer gives an offline handle's file a stdio buffer of size bytes;
// free the result with freeFileBuffer after closing the handle (nil: none).
func fileBuffer(p pcapT, size int) unsafe.Pointer {
	return unsafe.Pointer(C.gp_file_buffer(cp(p), C.size_t(size)))
}

func freeFileBuffer(b unsafe.Pointer) { C.free(b) }

// dumpOpenDead opens a savefile ("-" is stdout) through a pcap_open_dead
// handle, so the file's precision is the caller's, not the reader's.
func dumpOpenDead(path string, linkType, snaplen, precision int) (unsafe.Pointer, error) {
	p := C.pcap_open_dead_with_tstamp_precision(C.int(linkType), C.int(snaplen), C.u_int(precision))
	if p == nil {
		return nil, errors.New("pcap_open_dead failed")
	}
	defer C.pcap_close(p)
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	d := C.pcap_dump_open(p, cpath)
	if d == nil {
		return nil, errors.New(geterr(pcapT(p)))
	}
	// The file header goes out now, not with the first packets: nothing of a
	// dumper then sits in a stdio buffer between calls, where a fork child's
	// exit would flush a second copy into the file.
	if e := C.gp_dump_flush(d); e != 0 {
		C.gp_dump_close(d)
		return nil, errors.New(path + ": " + errnoText(syscall.Errno(e)))
	}
	return unsafe.Pointer(d), nil
}

// dumpRecords writes n records of buf; a failure is the write's errno.
func dumpRecords(d unsafe.Pointer, buf []byte, n int) error {
	if n == 0 {
		return nil
	}
	if e := C.gp_dump_records((*C.pcap_dumper_t)(d), (*C.uchar)(unsafe.Pointer(&buf[0])), C.int(n)); e != 0 {
		return syscall.Errno(e)
	}
	return nil
}

// dumpClose flushes and closes a dumper's file; a failure is its errno.
func dumpClose(d unsafe.Pointer) error {
	if e := C.gp_dump_close((*C.pcap_dumper_t)(d)); e != 0 {
		return syscall.Errno(e)
	}
	return nil
}
