/* pcapy._gopcapy._hotpath: the per-packet work of next(), loop() and
 * dispatch() at C speed.
 *
 * Go (gopcapy/pybridge/pybuffer.go) reads a batch of packets straight into a
 * buffer Python owns: records (the batch layout Go defines and hands over
 * once, see configure()) followed by the packets' bytes. Batch(buffer, n,
 * header_type) iterates over that batch as (Pkthdr, bytes) pairs, making
 * each pair only when it is handed out; run(iterator, callback, cnt) calls
 * callback(hdr, data) for the pairs of any iterator, as
 * starmap(callback, iterator) would, and counts the calls.
 *
 * pcapy-ng's next_batch layout is made from a batch by _ngbatch.c.
 *
 * Built by build.py as its own small extension, from every .c file of
 * python/csrc (not through cgo: the Go package would then need Python's
 * headers for `go test` too).
 *
 * Safety: records come from Go, but every offset is checked against the
 * buffer before it is read, so a bad record is a ValueError, not a crash.
 */
#include "_hotpath.h"

Py_ssize_t rec_size = 0;
Py_ssize_t off_sec, off_frac, off_caplen, off_len, off_start, off_end;


/* The headers of packets read from a capture: tuples (sec, frac, caplen,
 * len) whose methods are in C. Header is Pkthdr's (frac in microseconds),
 * HeaderNs PkthdrNs' (nanoseconds). pcapy._pkthdr registers them as
 * virtual subclasses of its Pkthdr and PkthdrNs, the public classes they
 * pickle as (configure() gives them). */
static PyObject *pkthdr_cls = NULL, *pkthdr_ns_cls = NULL;

#define ITEM(o, k) PyTuple_GET_ITEM((o), (k))

static PyObject *hdr_getts(PyObject *self, PyObject *Py_UNUSED(ignored)) {
    return PyTuple_Pack(2, ITEM(self, 0), ITEM(self, 1));
}

static PyObject *hdr_getcaplen(PyObject *self, PyObject *Py_UNUSED(ignored)) {
    return Py_NewRef(ITEM(self, 2));
}

static PyObject *hdr_getlen(PyObject *self, PyObject *Py_UNUSED(ignored)) {
    return Py_NewRef(ITEM(self, 3));
}

/* sec * 1e9 + frac * frac_ns, in Python ints (no overflow). */
static PyObject *ts_ns(PyObject *self, long frac_ns) {
    PyObject *giga = NULL, *mult = NULL, *a = NULL, *b = NULL, *out = NULL;
    if ((giga = PyLong_FromLong(1000000000L)) == NULL) goto done;
    if ((mult = PyLong_FromLong(frac_ns)) == NULL) goto done;
    if ((a = PyNumber_Multiply(ITEM(self, 0), giga)) == NULL) goto done;
    if ((b = PyNumber_Multiply(ITEM(self, 1), mult)) == NULL) goto done;
    out = PyNumber_Add(a, b);
done:
    Py_XDECREF(giga);
    Py_XDECREF(mult);
    Py_XDECREF(a);
    Py_XDECREF(b);
    return out;
}

static PyObject *hdr_getts_ns(PyObject *self, PyObject *Py_UNUSED(ignored)) {
    return ts_ns(self, 1000);
}

static PyObject *hdr_ns_getts_ns(PyObject *self, PyObject *Py_UNUSED(ignored)) {
    return ts_ns(self, 1);
}

static PyObject *hdr_ns_getts(PyObject *self, PyObject *Py_UNUSED(ignored)) {
    PyObject *thousand = PyLong_FromLong(1000);
    if (thousand == NULL)
        return NULL;
    PyObject *usec = PyNumber_FloorDivide(ITEM(self, 1), thousand);
    Py_DECREF(thousand);
    if (usec == NULL)
        return NULL;
    PyObject *out = PyTuple_Pack(2, ITEM(self, 0), usec);
    Py_DECREF(usec);
    return out;
}

static PyObject *hdr_repr_as(PyObject *self, const char *fmt) {
    return PyUnicode_FromFormat(fmt, ITEM(self, 0), ITEM(self, 1), ITEM(self, 2), ITEM(self, 3));
}

static PyObject *hdr_repr(PyObject *self) {
    return hdr_repr_as(self, "Pkthdr(sec=%R, usec=%R, caplen=%R, len=%R)");
}

static PyObject *hdr_ns_repr(PyObject *self) {
    return hdr_repr_as(self, "PkthdrNs(sec=%R, nsec=%R, caplen=%R, len=%R)");
}

static PyObject *reduce_as(PyObject *self, PyObject *cls) {
    if (cls == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_hotpath.configure() was not called");
        return NULL;
    }
    return Py_BuildValue("(O(OOOO))", cls, ITEM(self, 0), ITEM(self, 1), ITEM(self, 2), ITEM(self, 3));
}

static PyObject *hdr_reduce(PyObject *self, PyObject *Py_UNUSED(ignored)) {
    return reduce_as(self, pkthdr_cls);
}

static PyObject *hdr_ns_reduce(PyObject *self, PyObject *Py_UNUSED(ignored)) {
    return reduce_as(self, pkthdr_ns_cls);
}

static PyMethodDef hdr_methods[] = {
    {"getts", hdr_getts, METH_NOARGS, "Return the timestamp as (seconds, microseconds)."},
    {"getts_ns", hdr_getts_ns, METH_NOARGS, "Return the timestamp in integer nanoseconds since the epoch."},
    {"getcaplen", hdr_getcaplen, METH_NOARGS, "Return the number of bytes captured."},
    {"getlen", hdr_getlen, METH_NOARGS, "Return the packet's length on the wire."},
    {"__reduce__", hdr_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef hdr_ns_methods[] = {
    {"getts", hdr_ns_getts, METH_NOARGS, "Return the timestamp as (seconds, microseconds) (truncated)."},
    {"getts_ns", hdr_ns_getts_ns, METH_NOARGS, "Return the timestamp in integer nanoseconds since the epoch."},
    {"__reduce__", hdr_ns_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

/* Tuple subtypes with tuple's memory layout, allocation and deallocation
 * (inherited): only methods are added. */
static PyTypeObject Header_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapy.Pkthdr",
    .tp_basicsize = 0,  /* tuple's, set in PyInit */
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Header of a packet read from a capture: the tuple (sec, usec, caplen, len).",
    .tp_repr = hdr_repr,
    .tp_methods = hdr_methods,
};

static PyTypeObject HeaderNs_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapy.PkthdrNs",
    .tp_basicsize = 0,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Header of a packet read with nanosecond precision: the tuple (sec, nsec, caplen, len).",
    .tp_repr = hdr_ns_repr,
    .tp_methods = hdr_ns_methods,
};

typedef struct {
    PyObject_HEAD
    Py_buffer buf;      /* the batch's memory, held until the iterator ends */
    int has_buf;
    Py_ssize_t i, n;    /* next packet, packet count */
    PyTypeObject *hdr;  /* the header class: a tuple subclass without slots */
} BatchObject;

static PyTypeObject Batch_Type;

static void batch_release(BatchObject *self) {
    if (self->has_buf) {
        self->has_buf = 0;
        PyBuffer_Release(&self->buf);
    }
}

/* A header class must be a tuple subclass whose instances are plain tuples
 * in memory (no __dict__, no slots): tp_alloc then fills it as tuple's own
 * tuple_subtype_new does. */
static int header_type_ok(PyObject *t) {
    if (!PyType_Check(t) || !PyType_IsSubtype((PyTypeObject *)t, &PyTuple_Type))
        return 0;
    PyTypeObject *tp = (PyTypeObject *)t;
    return tp->tp_basicsize == PyTuple_Type.tp_basicsize &&
           tp->tp_itemsize == PyTuple_Type.tp_itemsize && tp->tp_dictoffset == 0;
}

static PyObject *batch_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    PyObject *src, *hdr;
    Py_ssize_t n;
    if (kwds != NULL && PyDict_GET_SIZE(kwds) != 0) {
        PyErr_SetString(PyExc_TypeError, "Batch() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "OnO:Batch", &src, &n, &hdr))
        return NULL;
    if (rec_size == 0) {
        PyErr_SetString(PyExc_RuntimeError, "_hotpath.configure() was not called");
        return NULL;
    }
    if (!header_type_ok(hdr)) {
        PyErr_SetString(PyExc_TypeError, "header type must be a tuple subclass without slots");
        return NULL;
    }
    BatchObject *self = (BatchObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    if (PyObject_GetBuffer(src, &self->buf, PyBUF_SIMPLE) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    self->has_buf = 1;
    if (n < 0 || n > self->buf.len / rec_size) {
        Py_DECREF(self);
        PyErr_SetString(PyExc_ValueError, "batch count out of the buffer");
        return NULL;
    }
    self->n = n;
    self->i = 0;
    Py_INCREF(hdr);
    self->hdr = (PyTypeObject *)hdr;
    return (PyObject *)self;
}

static void batch_dealloc(BatchObject *self) {
    batch_release(self);
    Py_XDECREF(self->hdr);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Ints are immutable, so headers share them: the lengths of ordinary
 * packets come from a table made as they first appear, and consecutive
 * packets of the same second share its int. Each saves an allocation (and
 * its free) per packet. Held for the process's life; the GIL guards them. */
#define SHARED_LENGTHS 2048
static PyObject *shared_length[SHARED_LENGTHS];
static PyObject *last_sec_int = NULL;
static int64_t last_sec;

/* A new reference to the int length. */
static PyObject *length_int(uint32_t length) {
    if (length >= SHARED_LENGTHS)
        return PyLong_FromUnsignedLong(length);
    PyObject *v = shared_length[length];
    if (v == NULL && (v = shared_length[length] = PyLong_FromUnsignedLong(length)) == NULL)
        return NULL;
    Py_INCREF(v);
    return v;
}

/* A new reference to the int sec. */
static PyObject *sec_int(int64_t sec) {
    if (last_sec_int == NULL || sec != last_sec) {
        PyObject *v = PyLong_FromLongLong(sec);
        if (v == NULL)
            return NULL;
        Py_XSETREF(last_sec_int, v);
        last_sec = sec;
    }
    Py_INCREF(last_sec_int);
    return last_sec_int;
}

/* The header hdr((sec, frac, caplen, len)). */
static PyObject *make_header(PyTypeObject *hdr, int64_t sec, uint32_t frac, uint32_t caplen, uint32_t len) {
    PyObject *h = hdr->tp_alloc(hdr, 4);
    if (h == NULL)
        return NULL;
    PyObject *v;
    if ((v = sec_int(sec)) == NULL) goto fail;
    PyTuple_SET_ITEM(h, 0, v);
    if ((v = PyLong_FromUnsignedLong(frac)) == NULL) goto fail;
    PyTuple_SET_ITEM(h, 1, v);
    if ((v = length_int(caplen)) == NULL) goto fail;
    PyTuple_SET_ITEM(h, 2, v);
    if (len == caplen) {  /* most packets: one int object for both */
        Py_INCREF(v);
    } else if ((v = length_int(len)) == NULL) {
        goto fail;
    }
    PyTuple_SET_ITEM(h, 3, v);
    return h;
fail:
    Py_DECREF(h); /* unset items are NULL: tuple's dealloc skips them */
    return NULL;
}

/* Takes the batch's next packet: 1 with its header and bytes in out[0] and
 * out[1] (new references), 0 at the end, -1 on error. */
static int batch_take(BatchObject *self, PyObject **out) {
    if (self->i >= self->n) {
        batch_release(self);
        return 0;
    }
    /* Taken before anything is allocated: a garbage collection started by
     * an allocation may run Python code that reads from this iterator, and
     * must get the following packet. The buffer stays held meanwhile. */
    Py_ssize_t i = self->i++;
    const char *base = (const char *)self->buf.buf;
    const char *r = base + i * rec_size;
    uint32_t start = get_u32(r + off_start), end = get_u32(r + off_end);
    if (start > end || (Py_ssize_t)end > self->buf.len) {
        PyErr_SetString(PyExc_ValueError, "batch record out of the buffer");
        return -1;
    }
    /* Everything is read from the buffer before the header's allocation,
     * which may start a garbage collection (3.10, 3.11: at once) whose
     * finalizers let another thread run, read the next batch into this
     * buffer once this one is all taken, and so overwrite it. The bytes'
     * allocation starts none (bytes are not tracked). */
    int64_t sec = get_i64(r + off_sec);
    uint32_t frac = get_u32(r + off_frac), caplen = get_u32(r + off_caplen), len = get_u32(r + off_len);
    PyObject *data = PyBytes_FromStringAndSize(base + start, (Py_ssize_t)(end - start));
    if (data == NULL)
        return -1;
    PyObject *h = make_header(self->hdr, sec, frac, caplen, len);
    if (h == NULL) {
        Py_DECREF(data);
        return -1;
    }
    out[0] = h;
    out[1] = data;
    return 1;
}

static PyObject *batch_next(BatchObject *self) {
    PyObject *got[2];
    if (batch_take(self, got) <= 0)
        return NULL;
    PyObject *pair = PyTuple_New(2);
    if (pair == NULL) {
        Py_DECREF(got[0]);
        Py_DECREF(got[1]);
        return NULL;
    }
    PyTuple_SET_ITEM(pair, 0, got[0]);
    PyTuple_SET_ITEM(pair, 1, got[1]);
    return pair;
}

static PyObject *batch_length_hint(BatchObject *self, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromSsize_t(self->i < self->n ? self->n - self->i : 0);
}

static PyMethodDef batch_methods[] = {
    {"__length_hint__", (PyCFunction)batch_length_hint, METH_NOARGS,
     "How many packets are left."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject Batch_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapy._gopcapy._hotpath.Batch",
    .tp_basicsize = sizeof(BatchObject),
    .tp_dealloc = (destructor)batch_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Batch(buffer, n, header_type): the n packets of a batch in buffer, "
              "as (header_type((sec, frac, caplen, len)), bytes) pairs.",
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)batch_next,
    .tp_methods = batch_methods,
    .tp_new = batch_new,
};

/* run(iterator, callback, cnt): callback(*pair) for up to cnt (<= 0: all)
 * pairs of iterator; returns how many calls returned. The callback's
 * exceptions propagate unchanged (StopIteration too); the pairs not yet
 * taken stay in the iterator. */
static PyObject *hot_run(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "run(iterator, callback, cnt) takes 3 arguments");
        return NULL;
    }
    PyObject *it = args[0], *cb = args[1];
    Py_ssize_t cnt = PyLong_AsSsize_t(args[2]);
    if (cnt == -1 && PyErr_Occurred())
        return NULL;
    if (!PyIter_Check(it)) {
        PyErr_SetString(PyExc_TypeError, "run() needs an iterator");
        return NULL;
    }
    Py_INCREF(it); /* the reader may drop its own reference meanwhile */
    iternextfunc next = Py_TYPE(it)->tp_iternext;
    Py_ssize_t done = 0;
    if (Py_TYPE(it) == &Batch_Type) {  /* a batch: no pair tuples */
        while (cnt <= 0 || done < cnt) {
            PyObject *got[2];
            int ok = batch_take((BatchObject *)it, got);
            if (ok < 0)
                goto fail;
            if (ok == 0)
                break;
            PyObject *res = PyObject_Vectorcall(cb, got, 2, NULL);
            Py_DECREF(got[0]);
            Py_DECREF(got[1]);
            if (res == NULL)
                goto fail;
            Py_DECREF(res);
            done++;
        }
        Py_DECREF(it);
        return PyLong_FromSsize_t(done);
    }
    while (cnt <= 0 || done < cnt) {
        PyObject *pair = next(it);
        if (pair == NULL) {
            if (PyErr_Occurred()) {
                if (!PyErr_ExceptionMatches(PyExc_StopIteration))
                    goto fail;
                PyErr_Clear();
            }
            break;
        }
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            Py_DECREF(pair);
            PyErr_SetString(PyExc_TypeError, "run() needs (header, data) pairs");
            goto fail;
        }
        PyObject *res = PyObject_Vectorcall(cb, &PyTuple_GET_ITEM(pair, 0), 2, NULL);
        Py_DECREF(pair);
        if (res == NULL)
            goto fail;
        Py_DECREF(res);
        done++;
    }
    Py_DECREF(it);
    return PyLong_FromSsize_t(done);
fail:
    Py_DECREF(it);
    return NULL;
}

/* Reader.next in C: the reader's next packet held (self._it), else what
 * self._next_slow() reads. Made a method of the Reader class by
 * reader_next_method(); its doc is the Python method's it replaces. */
static PyObject *str_it = NULL, *str_next_slow = NULL;

static PyObject *reader_next(PyObject *self, PyObject *Py_UNUSED(ignored)) {
    PyObject *it = PyObject_GetAttr(self, str_it);
    if (it == NULL)
        return NULL;
    PyObject *got = NULL;
    if (Py_TYPE(it) == &Batch_Type) {
        PyObject *pair[2];
        int ok = batch_take((BatchObject *)it, pair);
        if (ok > 0) {
            got = PyTuple_New(2);
            if (got == NULL) {
                Py_DECREF(pair[0]);
                Py_DECREF(pair[1]);
            } else {
                PyTuple_SET_ITEM(got, 0, pair[0]);
                PyTuple_SET_ITEM(got, 1, pair[1]);
            }
        }
        Py_DECREF(it);
        if (ok != 0)
            return got;  /* NULL with the error on failure */
    } else if (PyIter_Check(it)) {
        got = Py_TYPE(it)->tp_iternext(it);
        Py_DECREF(it);
        if (got != NULL)
            return got;
        if (PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_StopIteration))
                return NULL;
            PyErr_Clear();
        }
    } else {
        Py_DECREF(it);
        PyErr_SetString(PyExc_TypeError, "Reader._it is not an iterator");
        return NULL;
    }
    return PyObject_CallMethodNoArgs(self, str_next_slow);
}

static PyMethodDef reader_next_def = {"next", reader_next, METH_NOARGS, NULL};
static PyObject *reader_next_doc = NULL;  /* keeps reader_next_def.ml_doc alive */

/* reader_next_method(cls, doc): the method descriptor of reader_next for
 * class cls, documented as doc. Once per process. */
static PyObject *hot_reader_next_method(PyObject *mod, PyObject *args) {
    PyObject *cls, *doc;
    if (!PyArg_ParseTuple(args, "O!U:reader_next_method", &PyType_Type, &cls, &doc))
        return NULL;
    if (reader_next_doc == NULL) {
        reader_next_doc = PyUnicode_AsUTF8String(doc);
        if (reader_next_doc == NULL)
            return NULL;
        reader_next_def.ml_doc = PyBytes_AS_STRING(reader_next_doc);
    }
    return PyDescr_NewMethod((PyTypeObject *)cls, &reader_next_def);
}

/* configure(layout, pkthdr, pkthdr_ns): the batch record layout as Go
 * defines it (record size and the fields' offsets in bytes: sec, frac,
 * caplen, len, start, end), and the public classes headers pickle as. */
static PyObject *hot_configure(PyObject *mod, PyObject *args) {
    Py_ssize_t size, o[6];
    PyObject *cls, *cls_ns;
    if (!PyArg_ParseTuple(args, "(nnnnnnn)OO:configure", &size, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5],
                          &cls, &cls_ns))
        return NULL;
    static const Py_ssize_t widths[6] = {8, 4, 4, 4, 4, 4};
    for (int k = 0; k < 6; k++) {
        if (o[k] < 0 || o[k] + widths[k] > size) {
            PyErr_SetString(PyExc_ValueError, "record field outside the record");
            return NULL;
        }
    }
    rec_size = size;
    off_sec = o[0], off_frac = o[1], off_caplen = o[2], off_len = o[3], off_start = o[4], off_end = o[5];
    Py_XSETREF(pkthdr_cls, Py_NewRef(cls));
    Py_XSETREF(pkthdr_ns_cls, Py_NewRef(cls_ns));
    Py_RETURN_NONE;
}

static PyMethodDef hot_methods[] = {
    {"ng_batch", (PyCFunction)(void (*)(void))hot_ng_batch, METH_FASTCALL,
     "ng_batch(buffer, n, base, nano): pcapy-ng's next_batch (data, meta) of a batch."},
    {"fill_objects", (PyCFunction)(void (*)(void))hot_fill_objects, METH_FASTCALL,
     "fill_objects(array, codes, table, missing): set an object array's items to table[code] (missing for -1)."},
    {"reader_next_method", hot_reader_next_method, METH_VARARGS,
     "reader_next_method(cls, doc): Reader.next in C, as a method of cls."},
    {"run", (PyCFunction)(void (*)(void))hot_run, METH_FASTCALL,
     "run(iterator, callback, cnt): callback(hdr, data) for up to cnt pairs; the count."},
    {"configure", hot_configure, METH_VARARGS,
     "configure(layout, pkthdr, pkthdr_ns): the batch record layout and the classes headers pickle as."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef hot_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_hotpath",
    .m_doc = "pcapy's per-packet work in C.",
    .m_size = -1,
    .m_methods = hot_methods,
};

static int add_type(PyObject *m, const char *name, PyTypeObject *t) {
    Py_INCREF(t);
    if (PyModule_AddObject(m, name, (PyObject *)t) < 0) {
        Py_DECREF(t);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__hotpath(void) {
    Header_Type.tp_base = &PyTuple_Type;
    Header_Type.tp_basicsize = PyTuple_Type.tp_basicsize;
    Header_Type.tp_itemsize = PyTuple_Type.tp_itemsize;
    HeaderNs_Type.tp_base = &Header_Type;
    HeaderNs_Type.tp_basicsize = PyTuple_Type.tp_basicsize;
    HeaderNs_Type.tp_itemsize = PyTuple_Type.tp_itemsize;
    if (PyType_Ready(&Batch_Type) < 0 || PyType_Ready(&Header_Type) < 0 || PyType_Ready(&HeaderNs_Type) < 0)
        return NULL;
    if (str_it == NULL && (str_it = PyUnicode_InternFromString("_it")) == NULL)
        return NULL;
    if (str_next_slow == NULL && (str_next_slow = PyUnicode_InternFromString("_next_slow")) == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&hot_module);
    if (m == NULL)
        return NULL;
    if (add_type(m, "Batch", &Batch_Type) < 0 || add_type(m, "Header", &Header_Type) < 0 ||
            add_type(m, "HeaderNs", &HeaderNs_Type) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
