/* read_columns' src and dst columns as address strings (part of the
 * extension pcapy._gopcapy._hotpath, see _hotpath.c).
 *
 * Go gives each packet's addresses as int32 codes into a table of the
 * distinct addresses (pybridge ColumnsAddresses). numpy's own way to turn
 * codes into an object array (table[codes]) first widens the codes to
 * intp, a copy of the column, then gathers: this does it in one pass, with
 * one reference taken per row.
 */
#include "_hotpath.h"

/* fill_objects(address, n, codes, table, missing): set the n items of the
 * numpy object array whose data starts at address (the caller's own, just
 * made by numpy.empty) to table[code], or to missing for a code of -1.
 * codes is a buffer of n native int32; every code is checked before any
 * item is written, so a bad one is a ValueError that changes nothing. */
PyObject *hot_fill_objects(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "fill_objects() takes 5 arguments");
        return NULL;
    }
    PyObject **out = (PyObject **)PyLong_AsVoidPtr(args[0]);
    if (out == NULL && PyErr_Occurred())
        return NULL;
    Py_ssize_t n = PyLong_AsSsize_t(args[1]);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    PyObject *table = args[3], *missing = args[4];
    if (!PyTuple_Check(table)) {
        PyErr_SetString(PyExc_TypeError, "fill_objects() table must be a tuple");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[2], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *result = NULL;
    const char *codes = (const char *)view.buf;
    Py_ssize_t size = PyTuple_GET_SIZE(table);
    if (n < 0 || view.len != n * 4 || (n > 0 && out == NULL)) {
        PyErr_SetString(PyExc_ValueError, "fill_objects() codes do not match the array");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t code = (int32_t)get_u32(codes + 4 * i);
        if (code < -1 || code >= size) {
            PyErr_Format(PyExc_ValueError, "address code %d outside the table of %zd", (int)code, size);
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t code = (int32_t)get_u32(codes + 4 * i);
        PyObject *value = code < 0 ? missing : PyTuple_GET_ITEM(table, code);
        PyObject *old = out[i];
        out[i] = Py_NewRef(value);
        Py_XDECREF(old);
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&view);
    return result;
}
