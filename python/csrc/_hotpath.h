/* What the files of pcapy's C part (python/csrc, one extension:
 * pcapy._gopcapy._hotpath) share. */
#ifndef PCAPY_HOTPATH_H
#define PCAPY_HOTPATH_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* The batch record layout, set once by configure() (_hotpath.c) from Go's
 * own constants (pybridge.BatchLayout): record size (0 until configured)
 * and the offset of each field. */
extern Py_ssize_t rec_size;
extern Py_ssize_t off_sec, off_frac, off_caplen, off_len, off_start, off_end;

static inline int64_t get_i64(const char *p) { int64_t v; memcpy(&v, p, 8); return v; }
static inline uint32_t get_u32(const char *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* _ngbatch.c */
PyObject *hot_ng_batch(PyObject *mod, PyObject *const *args, Py_ssize_t nargs);
/* _addresses.c */
PyObject *hot_fill_objects(PyObject *mod, PyObject *const *args, Py_ssize_t nargs);

#endif
