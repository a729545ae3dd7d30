/* pcapy-ng's next_batch layout, made from a batch Go read (part of the
 * extension pcapy._gopcapy._hotpath, see _hotpath.c).
 *
 * For a capture file, Go reads the packets into next_batch's own buffer
 * (gopcapy/pybridge/pybuffer.go: ReadInto): a plain pcap file where they
 * lie in the file, pcap record headers between them; pcapng and libpcap's
 * reads back to back; a batch that did not fit comes as a copy out of Go
 * memory (BatchBytes). ng_batch then copies each packet once, straight into
 * the bytes object it returns, writing pcapy-ng's 16-byte record as it
 * goes. Nothing else touches the packets' bytes: no compaction pass, no
 * copy out of an intermediate buffer.
 *
 * Safety: every record's start, end and caplen are checked against the
 * buffer before anything is copied, so a bad record is a ValueError, not a
 * crash; the copies are bounded by the size the check found, so even a
 * buffer changed in between (it is not: the reader's lock is held) could
 * not write past the bytes object.
 */
#include "_hotpath.h"

/* ng_batch(buffer, n, base, nano): pcapy-ng's next_batch (data, meta) of
 * the n packets of a batch in buffer: data their bytes back to back, meta a
 * 16-byte record (sec, usec, offset, caplen: native uint32) per packet,
 * offsets counted from base (modulo 2**32, as pcapy-ng's uint32 offsets),
 * usec the record's fraction divided by 1000 for a reader in nanoseconds.
 * The bytes are allocated at their final size (the records say it), so
 * they are never resized. */
PyObject *hot_ng_batch(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "ng_batch() takes 4 arguments");
        return NULL;
    }
    if (rec_size == 0) {
        PyErr_SetString(PyExc_RuntimeError, "_hotpath.configure() was not called");
        return NULL;
    }
    Py_ssize_t n = PyLong_AsSsize_t(args[1]);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    unsigned long long base = PyLong_AsUnsignedLongLongMask(args[2]);
    if (base == (unsigned long long)-1 && PyErr_Occurred())
        return NULL;
    int nano = PyObject_IsTrue(args[3]);
    if (nano < 0)
        return NULL;
    uint32_t div = nano ? 1000 : 1;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *data = NULL, *meta = NULL, *out = NULL;
    const char *mem = (const char *)view.buf;
    if (n < 0 || n > view.len / rec_size) {
        PyErr_SetString(PyExc_ValueError, "batch count out of the buffer");
        goto done;
    }
    /* First the size (every record checked), then the copies. */
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        const char *r = mem + i * rec_size;
        uint32_t start = get_u32(r + off_start), end = get_u32(r + off_end);
        if (start > end || (Py_ssize_t)end > view.len || get_u32(r + off_caplen) != end - start) {
            PyErr_SetString(PyExc_ValueError, "batch record out of the buffer");
            goto done;
        }
        if (total > PY_SSIZE_T_MAX - (Py_ssize_t)(end - start)) {
            PyErr_SetString(PyExc_OverflowError, "batch too large");
            goto done;
        }
        total += end - start;
    }
    data = PyBytes_FromStringAndSize(NULL, total);
    meta = PyBytes_FromStringAndSize(NULL, n * 16);
    if (data == NULL || meta == NULL)
        goto done;
    char *d = PyBytes_AS_STRING(data), *m = PyBytes_AS_STRING(meta);
    Py_ssize_t room = total;
    uint32_t off = (uint32_t)base;
    for (Py_ssize_t i = 0; i < n; i++, m += 16) {
        const char *r = mem + i * rec_size;
        uint32_t start = get_u32(r + off_start), len = get_u32(r + off_end) - start;
        if ((Py_ssize_t)len > room || (Py_ssize_t)start + len > view.len) {
            PyErr_SetString(PyExc_RuntimeError, "batch changed while read");
            goto done;
        }
        room -= len;
        uint32_t rec[4] = {(uint32_t)get_i64(r + off_sec), get_u32(r + off_frac) / div, off, len};
        memcpy(m, rec, 16);
        memcpy(d, mem + start, len);
        d += len;
        off += len;
    }
    out = PyTuple_Pack(2, data, meta);
done:
    Py_XDECREF(data);
    Py_XDECREF(meta);
    PyBuffer_Release(&view);
    return out;
}
