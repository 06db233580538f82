/* Optional native speed-up of normalise.py: fold + noise strip, repeat collapse and offset maps, each one pass.
 *
 * Why: `str.translate` with a table looks every character up through the generic mapping protocol
 * (~70 ns a character for CJK text), which alone cost 3.5 us of a 48-character COLD message - more than the
 * automaton search itself. A uint32 table lookup here costs ~1 ns a character. normalise.py keeps a
 * pure-Python fallback with identical results, used when this module is not built.
 *
 * Offset maps are returned as bytes holding native uint32 indices, for `memoryview(...).cast("I")`.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <structmember.h>

static Py_UCS4 *fold_table = NULL; /* code point -> folded code point; 0 = noise (deleted) */
static Py_ssize_t fold_size = 0;

#define STACK_CHARS 512
#define MAX_INDEX 0xFFFFFFFF

static inline Py_UCS4 fold_char(Py_UCS4 c) { return c < (Py_UCS4)fold_size ? fold_table[c] : c; }

static PyObject *configure(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    if (view.len % 4 != 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "table must be native uint32 values");
        return NULL;
    }
    Py_UCS4 *copy = PyMem_Malloc(view.len ? view.len : 4);
    if (copy == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    memcpy(copy, view.buf, view.len);
    PyMem_Free(fold_table);
    fold_table = copy;
    fold_size = view.len / 4;
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

/* A Py_UCS4 buffer on the stack for short texts, on the heap for long ones. */
typedef struct {
    Py_UCS4 stack[STACK_CHARS];
    Py_UCS4 *buf;
} Buffer;

static Py_UCS4 *buffer_init(Buffer *b, Py_ssize_t n) {
    b->buf = n <= STACK_CHARS ? b->stack : PyMem_Malloc((size_t)n * sizeof(Py_UCS4));
    if (b->buf == NULL) PyErr_NoMemory();
    return b->buf;
}

static void buffer_free(Buffer *b) {
    if (b->buf != b->stack) PyMem_Free(b->buf);
}

static int check_text(PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "expected str");
        return -1;
    }
    return PyUnicode_READY(arg);
}

/* strip(text) -> text folded with noise removed; `text` itself when nothing changes. */
static PyObject *strip(PyObject *self, PyObject *arg) {
    if (check_text(arg) < 0 || fold_table == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg), j = 0;
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Buffer b;
    if (buffer_init(&b, n) == NULL) return NULL;
    int changed = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i), m = fold_char(c);
        changed |= m != c || m == 0;
        if (m) b.buf[j++] = m;
    }
    PyObject *result = changed ? PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, b.buf, j) : Py_NewRef(arg);
    buffer_free(&b);
    return result;
}

/* fold(text) -> text folded one-to-one (same length), noise characters become NUL. */
static PyObject *fold(PyObject *self, PyObject *arg) {
    if (check_text(arg) < 0 || fold_table == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Buffer b;
    if (buffer_init(&b, n) == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) b.buf[i] = fold_char(PyUnicode_READ(kind, data, i));
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, b.buf, n);
    buffer_free(&b);
    return result;
}

/* positions(text) -> uint32 k is the index in `text` of character k of strip(text). */
static PyObject *positions(PyObject *self, PyObject *arg) {
    if (check_text(arg) < 0) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg), j = 0;
    if (n > MAX_INDEX) {
        PyErr_SetString(PyExc_OverflowError, "text too long for a uint32 offset map");
        return NULL;
    }
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Buffer b;
    if (buffer_init(&b, n) == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (fold_char(PyUnicode_READ(kind, data, i))) b.buf[j++] = (Py_UCS4)i;
    }
    PyObject *result = PyBytes_FromStringAndSize((const char *)b.buf, j * (Py_ssize_t)sizeof(Py_UCS4));
    buffer_free(&b);
    return result;
}

/* collapse(text) -> every run of one repeated character reduced to one; `text` itself when there is none. */
static PyObject *collapse(PyObject *self, PyObject *arg) {
    if (check_text(arg) < 0) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg), j = 0;
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Py_ssize_t i = 1;
    while (i < n && PyUnicode_READ(kind, data, i) != PyUnicode_READ(kind, data, i - 1)) i++;
    if (i >= n) return Py_NewRef(arg);
    Buffer b;
    if (buffer_init(&b, n) == NULL) return NULL;
    for (i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (j == 0 || b.buf[j - 1] != c) b.buf[j++] = c;
    }
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, b.buf, j);
    buffer_free(&b);
    return result;
}

/* runs(text) -> (starts, ends): for character k of collapse(text), its run is text[starts[k]:ends[k]] (uint32). */
static PyObject *runs(PyObject *self, PyObject *arg) {
    if (check_text(arg) < 0) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg), j = 0;
    if (n > MAX_INDEX) {
        PyErr_SetString(PyExc_OverflowError, "text too long for a uint32 offset map");
        return NULL;
    }
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Buffer starts, ends;
    if (buffer_init(&starts, n) == NULL) return NULL;
    if (buffer_init(&ends, n) == NULL) {
        buffer_free(&starts);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i == 0 || PyUnicode_READ(kind, data, i) != PyUnicode_READ(kind, data, i - 1)) {
            if (j) ends.buf[j - 1] = (Py_UCS4)i;
            starts.buf[j++] = (Py_UCS4)i;
        }
    }
    if (j) ends.buf[j - 1] = (Py_UCS4)n;
    Py_ssize_t size = j * (Py_ssize_t)sizeof(Py_UCS4);
    PyObject *first = PyBytes_FromStringAndSize((const char *)starts.buf, size);
    PyObject *second = first ? PyBytes_FromStringAndSize((const char *)ends.buf, size) : NULL;
    PyObject *result = second ? PyTuple_Pack(2, first, second) : NULL;
    Py_XDECREF(first);
    Py_XDECREF(second);
    buffer_free(&starts);
    buffer_free(&ends);
    return result;
}

/* record_factory(cls, names) -> callable building `cls` instances from positional values, one per slot in
 * `names`, without running __init__: for frozen slotted dataclasses, whose generated __init__ sets each field
 * through object.__setattr__ (~1.5 us for Hit's eight fields, more than the automaton search of a message).
 * Only for classes whose __init__ does nothing but store its arguments; every slot must be named. */
#define MAX_FIELDS 16

typedef struct {
    PyObject_HEAD
    PyTypeObject *cls;
    Py_ssize_t count;
    Py_ssize_t offsets[MAX_FIELDS];
    vectorcallfunc vectorcall;
} Factory;

static PyObject *factory_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Factory *f = (Factory *)self;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (kwnames != NULL || nargs != f->count) {
        PyErr_Format(PyExc_TypeError, "expected exactly %zd positional arguments", f->count);
        return NULL;
    }
    PyObject *obj = f->cls->tp_alloc(f->cls, 0);
    if (obj == NULL) return NULL;
    for (Py_ssize_t i = 0; i < nargs; i++) *(PyObject **)((char *)obj + f->offsets[i]) = Py_NewRef(args[i]);
    return obj;
}

static void factory_dealloc(PyObject *self) {
    Py_XDECREF(((Factory *)self)->cls);
    Py_TYPE(self)->tp_free(self);
}

static PyTypeObject FactoryType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "appcomply.content.engine._fold.RecordFactory",
    .tp_basicsize = sizeof(Factory),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(Factory, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_dealloc = factory_dealloc,
};

static PyObject *record_factory(PyObject *self, PyObject *args) {
    PyTypeObject *cls;
    PyObject *names;
    if (!PyArg_ParseTuple(args, "O!O!", &PyType_Type, &cls, &PyTuple_Type, &names)) return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(names), members = 0;
    for (PyMemberDef *m = cls->tp_members; m != NULL && m->name != NULL; m++) members++;
    if (count > MAX_FIELDS || count != members || cls->tp_base != &PyBaseObject_Type) {
        PyErr_SetString(PyExc_TypeError, "cls must derive from object directly and names must list all its slots");
        return NULL;
    }
    Factory *f = PyObject_New(Factory, &FactoryType);
    if (f == NULL) return NULL;
    f->cls = (PyTypeObject *)Py_NewRef(cls);
    f->count = count;
    f->vectorcall = factory_vectorcall;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *descr = PyObject_GetAttr((PyObject *)cls, PyTuple_GET_ITEM(names, i));
        int ok = descr != NULL && Py_IS_TYPE(descr, &PyMemberDescr_Type) &&
                 ((PyMemberDescrObject *)descr)->d_member->type == T_OBJECT_EX &&
                 !(((PyMemberDescrObject *)descr)->d_member->flags & READONLY);
        if (ok) f->offsets[i] = ((PyMemberDescrObject *)descr)->d_member->offset;
        Py_XDECREF(descr);
        if (!ok) {
            Py_DECREF(f);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "every name must be a writable object slot");
            return NULL;
        }
    }
    return (PyObject *)f;
}

static PyMethodDef methods[] = {
    {"record_factory", record_factory, METH_VARARGS, "record_factory(cls, names) -> fast positional constructor."},
    {"configure", configure, METH_O, "configure(table): set the fold table (native uint32, 0 = noise)."},
    {"strip", strip, METH_O, "strip(text) -> folded text without noise (text itself if unchanged)."},
    {"fold", fold, METH_O, "fold(text) -> text folded one-to-one, noise characters as NUL."},
    {"positions", positions, METH_O, "positions(text) -> uint32 bytes: original index of each stripped character."},
    {"collapse", collapse, METH_O, "collapse(text) -> text with repeat runs reduced (text itself if none)."},
    {"runs", runs, METH_O, "runs(text) -> (starts, ends) of each run of collapse(text), as uint32 bytes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fold", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fold(void) {
    if (PyType_Ready(&FactoryType) < 0) return NULL;
    return PyModule_Create(&module);
}
