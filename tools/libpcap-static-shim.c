/*
 * Linked with Debian's static libpcap.a into the wheels' extension
 * (tools/wheels.py builds that archive). Two needs:
 *
 * 1. No D-Bus. Debian's libpcap.a is built with D-Bus support, which would drag
 *    libdbus (and through it libsystemd, libgcrypt...) into every wheel.
 *    Capturing D-Bus messages is not something pcapy users do: these stand in
 *    for libpcap's D-Bus module (pcap-dbus.o, left out of the archive), so the
 *    "dbus-system"/"dbus-session" pseudo-devices are not listed, and opening
 *    them fails like any unknown device. Same signatures as libpcap 1.10's
 *    pcap-dbus.h (pcap_if_list_t is opaque here).
 *
 * 2. stdin/stdout/stderr. libpcap.a is compiled for executables: it reaches
 *    libc's stdin/stdout/stderr with PC-relative relocations, which a shared
 *    object cannot use for data in another library. tools/wheels.py renames
 *    those references to the hidden pointers below, filled from libc's own
 *    when the extension is loaded (before any libpcap call).
 */
#include <stddef.h>
#include <stdio.h>

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN FILE *gopcapy_libpcap_stdin;
HIDDEN FILE *gopcapy_libpcap_stdout;
HIDDEN FILE *gopcapy_libpcap_stderr;

__attribute__((constructor)) static void gopcapy_libpcap_stdio(void)
{
	gopcapy_libpcap_stdin = stdin;
	gopcapy_libpcap_stdout = stdout;
	gopcapy_libpcap_stderr = stderr;
}

typedef struct pcap pcap_t;

HIDDEN int dbus_findalldevs(void *devlistp, char *errbuf)
{
	(void)devlistp;
	(void)errbuf;
	return 0; /* success, no devices added */
}

HIDDEN pcap_t *dbus_create(const char *device, char *ebuf, int *is_ours)
{
	(void)device;
	(void)ebuf;
	*is_ours = 0; /* not a D-Bus device: libpcap tries its other modules */
	return NULL;
}
