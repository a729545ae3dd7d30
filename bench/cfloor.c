/* The C floor: the fastest a libpcap reader of this file can be, a plain
 * pcap_next_ex loop with no Python at all. Prints the same JSON fields as
 * workloads.py (the "next" workload's results), so the benchmark can check
 * that it read the same packets.
 *
 * usage: cfloor CAPTURE [STDIO_BUFFER_BYTES [FILTER]]
 *
 * With a buffer size, the capture file's stdio stream gets a buffer that big
 * (setvbuf, as this project does) instead of stdio's 4 KiB; with a filter,
 * libpcap applies it to every packet (what a filter itself costs).
 */
#include <pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
	char errbuf[PCAP_ERRBUF_SIZE];
	struct timespec t0, t1;
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long long n = 0, bytes = 0, sink = 0;
	long last_sec = 0, last_usec = 0;
	int r;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: cfloor CAPTURE [STDIO_BUFFER_BYTES [FILTER]]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pcap_t *p = pcap_open_offline(argv[1], errbuf);
	if (!p) {
		fprintf(stderr, "cfloor: %s\n", errbuf);
		return 1;
	}
	if (argc >= 3) {
		/* Reposition first: libpcap has read the header through the old buffer. */
		FILE *f = pcap_file(p);
		size_t size = strtoul(argv[2], NULL, 10);
		long pos = ftell(f);
		fseek(f, pos, SEEK_SET);
		setvbuf(f, malloc(size), _IOFBF, size);
		fseek(f, pos, SEEK_SET);
	}
	if (argc == 4) {
		struct bpf_program prog;
		if (pcap_compile(p, &prog, argv[3], 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
			fprintf(stderr, "cfloor: %s\n", pcap_geterr(p));
			return 1;
		}
		pcap_freecode(&prog);
	}
	while ((r = pcap_next_ex(p, &h, &d)) == 1) {
		n++;
		bytes += h->caplen;
		sink += d[0]; /* touch the data, as the Python workloads do */
		last_sec = h->ts.tv_sec;
		last_usec = h->ts.tv_usec;
	}
	if (r == -1) {
		fprintf(stderr, "cfloor: %s\n", pcap_geterr(p));
		return 1;
	}
	pcap_close(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("{\"module\": \"%s\", \"workload\": \"cfloor\", \"seconds\": %.6f, "
	       "\"packets\": %llu, \"results\": {\"packets\": %llu, \"bytes\": %llu, "
	       "\"caplen\": %llu, \"last_ts\": [%ld, %ld]}, \"sink\": %llu}\n",
	       pcap_lib_version(), s, n, n, bytes, bytes, last_sec, last_usec, sink);
	return 0;
}
