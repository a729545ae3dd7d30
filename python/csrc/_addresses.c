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

/* The item pointers of a one-dimensional, contiguous numpy object array,
 * and its length, from its __array_interface__ (numpy's C API is not
 * needed, nor a raw address from Python); NULL with an exception when
 * array is anything else. */
static PyObject **object_items(PyObject *array, Py_ssize_t *n) {
    PyObject *face = PyObject_GetAttrString(array, "__array_interface__");
    if (face == NULL) {
        if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "fill_objects() needs a numpy object array");
        }
        return NULL;
    }
    PyObject **items = NULL;
    PyObject *typestr = PyDict_Check(face) ? PyDict_GetItemString(face, "typestr") : NULL;
    PyObject *shape = PyDict_Check(face) ? PyDict_GetItemString(face, "shape") : NULL;
    PyObject *strides = PyDict_Check(face) ? PyDict_GetItemString(face, "strides") : NULL;
    PyObject *data = PyDict_Check(face) ? PyDict_GetItemString(face, "data") : NULL;
    if (typestr == NULL || !PyUnicode_Check(typestr) || PyUnicode_CompareWithASCIIString(typestr, "|O") != 0 ||
        shape == NULL || !PyTuple_Check(shape) || PyTuple_GET_SIZE(shape) != 1 ||
        (strides != NULL && strides != Py_None) ||
        data == NULL || !PyTuple_Check(data) || PyTuple_GET_SIZE(data) != 2 ||
        PyObject_IsTrue(PyTuple_GET_ITEM(data, 1)) != 0) {
        PyErr_SetString(PyExc_TypeError, "fill_objects() needs a writable one-dimensional contiguous object array");
        goto done;
    }
    *n = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, 0));
    if (*n == -1 && PyErr_Occurred())
        goto done;
    items = (PyObject **)PyLong_AsVoidPtr(PyTuple_GET_ITEM(data, 0));
    if (items == NULL && !PyErr_Occurred() && *n > 0)
        PyErr_SetString(PyExc_ValueError, "fill_objects() array without data");
done:
    Py_DECREF(face);
    return PyErr_Occurred() ? NULL : items;
}

/* fill_objects(array, codes, table, missing): set the items of a numpy
 * object array (one-dimensional, contiguous: numpy.empty(n, dtype=object))
 * to table[code], or to missing for a code of -1. codes is a buffer of n
 * native int32; every code is checked before any item is written, so a bad
 * one is a ValueError that changes nothing. */
PyObject *hot_fill_objects(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "fill_objects() takes 4 arguments");
        return NULL;
    }
    PyObject *table = args[2], *missing = args[3];
    if (!PyTuple_Check(table)) {
        PyErr_SetString(PyExc_TypeError, "fill_objects() table must be a tuple");
        return NULL;
    }
    Py_ssize_t n = 0;
    PyObject **out = object_items(args[0], &n);
    if (out == NULL && PyErr_Occurred())
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *result = NULL;
    const char *codes = (const char *)view.buf;
    Py_ssize_t size = PyTuple_GET_SIZE(table);
    if (view.len != n * 4) {
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
