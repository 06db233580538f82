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
#include <stdint.h>
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

/* prepare(text) -> (stripped, collapsed, flags): strip(text), collapse(of that) and what the screening prefilters
 * need, in one pass: flag 1 if the stripped text has an ASCII letter a-z, flag 2 if it has a non-ASCII character
 * (both hold for the collapsed text alike). `stripped` is `text` and `collapsed` is `stripped` when unchanged. */
static PyObject *prepare(PyObject *self, PyObject *arg) {
    if (check_text(arg) < 0 || fold_table == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg), j = 0, k = 0;
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Buffer b, r;
    if (buffer_init(&b, n) == NULL) return NULL;
    if (buffer_init(&r, n) == NULL) {
        buffer_free(&b);
        return NULL;
    }
    int changed = 0, flags = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i), m = fold_char(c);
        changed |= m != c || m == 0;
        if (!m) continue;
        b.buf[j++] = m;
        if (k == 0 || r.buf[k - 1] != m) r.buf[k++] = m;
        flags |= (m >= 'a' && m <= 'z') | (m > 127) << 1;
    }
    PyObject *stripped = changed ? PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, b.buf, j) : Py_NewRef(arg);
    PyObject *collapsed = NULL, *result = NULL;
    if (stripped != NULL)
        collapsed = k == j ? Py_NewRef(stripped) : PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, r.buf, k);
    if (collapsed != NULL) result = Py_BuildValue("(OOi)", stripped, collapsed, flags);
    Py_XDECREF(stripped);
    Py_XDECREF(collapsed);
    buffer_free(&b);
    buffer_free(&r);
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

/* ---- Hit collection: matcher.py's `_collect` and `_hits`, one C loop each (the Python ones are the fallback).
 *
 * Why: a konsheng COLD message has ~6 matches; the interpreter spent ~5 us a message turning automaton matches
 * into candidate tuples and Hit records - twice the automaton search. Semantics are those of the Python
 * functions line for line; every index from outside is bounds-checked (IndexError, as Python would raise). */

typedef struct {
    Py_buffer view;
    Py_ssize_t len; /* items; -1 when the argument was None */
} Ints;

static int ints_get(PyObject *obj, Ints *ints, const char *format, Py_ssize_t itemsize) {
    ints->len = -1;
    if (obj == Py_None) return 0;
    if (PyObject_GetBuffer(obj, &ints->view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) return -1;
    if (ints->view.itemsize != itemsize || ints->view.format == NULL || strcmp(ints->view.format, format) != 0) {
        PyBuffer_Release(&ints->view);
        PyErr_Format(PyExc_TypeError, "expected a contiguous buffer of format %s", format);
        return -1;
    }
    ints->len = ints->view.len / itemsize;
    return 0;
}

static void ints_release(Ints *ints) {
    if (ints->len >= 0) PyBuffer_Release(&ints->view);
}

static int ints_at(const Ints *ints, Py_ssize_t i, long long *out) {
    if (i < 0 || i >= ints->len) {
        PyErr_SetString(PyExc_IndexError, "offset map index out of range");
        return -1;
    }
    *out = ints->view.itemsize == 8 ? ((const long long *)ints->view.buf)[i]
                                    : (long long)((const uint32_t *)ints->view.buf)[i];
    return 0;
}

/* terms[c >> 4] as a tuple of at least 4 items (text, category, level, scopes); borrowed. */
static PyObject *term_at(PyObject *terms, long long code) {
    long long i = code >> 4;
    if (i < 0 || i >= PyTuple_GET_SIZE(terms)) {
        PyErr_SetString(PyExc_IndexError, "term index out of range");
        return NULL;
    }
    PyObject *term = PyTuple_GET_ITEM(terms, (Py_ssize_t)i);
    if (!PyTuple_Check(term) || PyTuple_GET_SIZE(term) < 4) {
        PyErr_SetString(PyExc_TypeError, "terms must be tuples (text, category, level, scopes)");
        return NULL;
    }
    return term;
}

/* Map a match span of the searched text to the stripped text (ss, se) and the original text (os, oe). */
static int map_span(const Ints *starts, const Ints *ends, const Ints *pos, Py_ssize_t start, Py_ssize_t end,
                    long long *ss, long long *se, long long *os, long long *oe) {
    *ss = start, *se = end;
    if (starts->len >= 0 && (ints_at(starts, start, ss) < 0 || ints_at(ends, end - 1, se) < 0)) return -1;
    *os = *ss, *oe = *se;
    if (pos->len >= 0) {
        if (ints_at(pos, (Py_ssize_t)*ss, os) < 0 || ints_at(pos, (Py_ssize_t)*se - 1, oe) < 0) return -1;
        *oe += 1;
    }
    return 0;
}

/* A tuple of `items`, whose references it steals; NULL (the others released) if any is NULL. Py_BuildValue
 * parses its format string every call: measured ~2x slower for the 9-item candidates. */
static PyObject *tuple_of(Py_ssize_t n, PyObject **items) {
    PyObject *tuple = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (items[i] == NULL) goto fail;
    }
    if ((tuple = PyTuple_New(n)) == NULL) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) PyTuple_SET_ITEM(tuple, i, items[i]);
    return tuple;
fail:
    for (Py_ssize_t i = 0; i < n; i++) Py_XDECREF(items[i]);
    return NULL;
}

static PyObject *pair(long long a, long long b) {
    PyObject *items[2] = {PyLong_FromLongLong(a), PyLong_FromLongLong(b)};
    return tuple_of(2, items);
}

/* One candidate for code `c`, appended unless a rule of `_collect` drops it; -1 on error. */
typedef struct {
    PyObject *terms, *candidates, *text, *searched, *kind, *is_word;
    int repeats, exact;
} Collect;

static int collect_code(const Collect *k, long long c, Py_ssize_t start, Py_ssize_t end, long long ss,
                        long long se, long long os, long long oe, PyObject **evidence) {
    long long stretch = c & 1;
    if ((k->repeats && !stretch) || (k->exact && stretch)) return 0; /* the other automaton reports it */
    PyObject *term = term_at(k->terms, c);
    if (term == NULL) return -1;
    PyObject *scopes = PyTuple_GET_ITEM(term, 3);
    int scoped = PyObject_IsTrue(scopes);
    if (scoped < 0) return -1;
    if (scoped) {
        int in = PySequence_Contains(scopes, k->kind);
        if (in < 0) return -1;
        if (!in) return 0;
    }
    if (c & 2) {
        PyObject *word = PyObject_CallFunction(k->is_word, "OLL", k->text, os, oe);
        if (word == NULL) return -1;
        int ok = PyObject_IsTrue(word);
        Py_DECREF(word);
        if (ok <= 0) return ok;
    }
    if (*evidence == NULL && (*evidence = PyUnicode_Substring(k->searched, start, end)) == NULL) return -1;
    PyObject *items[9] = {PyLong_FromLongLong(os),         PyLong_FromLongLong(-oe),
                          Py_NewRef(PyTuple_GET_ITEM(term, 0)), PyLong_FromSsize_t(PyList_GET_SIZE(k->candidates)),
                          PyLong_FromLongLong(c),          Py_NewRef(*evidence),
                          PyLong_FromLongLong(ss),         PyLong_FromLongLong(se),
                          Py_NewRef(se - ss != end - start ? Py_True : Py_False)};
    PyObject *candidate = tuple_of(9, items);
    if (candidate == NULL) return -1;
    int failed = PyList_Append(k->candidates, candidate);
    Py_DECREF(candidate);
    return failed;
}

static int collect_match(const Collect *k, PyObject *match, const Ints *codes, PyObject *many, PyObject *special,
                         PyObject *allow, PyObject *hints, PyObject *allowed, const Ints *starts, const Ints *ends,
                         const Ints *pos, int *hint) {
    Py_ssize_t index, start, end;
    if (!PyTuple_Check(match) || PyTuple_GET_SIZE(match) != 3) {
        PyErr_SetString(PyExc_TypeError, "matches must be (index, start, end) tuples");
        return -1;
    }
    PyObject *index_obj = PyTuple_GET_ITEM(match, 0);
    if ((index = PyLong_AsSsize_t(index_obj)) == -1 && PyErr_Occurred()) return -1;
    if ((start = PyLong_AsSsize_t(PyTuple_GET_ITEM(match, 1))) == -1 && PyErr_Occurred()) return -1;
    if ((end = PyLong_AsSsize_t(PyTuple_GET_ITEM(match, 2))) == -1 && PyErr_Occurred()) return -1;
    long long code, ss, se, os, oe;
    if (ints_at(codes, index, &code) < 0) return -1;
    int is_special = PySet_Contains(special, index_obj);
    if (is_special < 0) return -1;
    if (is_special) { /* rare: an allow phrase or a contact hint */
        int in_hints = PySet_Contains(hints, index_obj), in_allow = PySet_Contains(allow, index_obj);
        if (in_hints < 0 || in_allow < 0) return -1;
        *hint |= in_hints;
        if (in_allow) {
            if (map_span(starts, ends, pos, start, end, &ss, &se, &os, &oe) < 0) return -1;
            PyObject *span = pair(os, oe);
            if (span == NULL || PyList_Append(allowed, span) < 0) {
                Py_XDECREF(span);
                return -1;
            }
            Py_DECREF(span);
        }
        if (code == -1) return 0;
    }
    if (map_span(starts, ends, pos, start, end, &ss, &se, &os, &oe) < 0) return -1;
    PyObject *evidence = NULL;
    int failed = 0;
    if (code >= 0) {
        failed = collect_code(k, code, start, end, ss, se, os, oe, &evidence);
    } else {
        PyObject *group = PyDict_GetItemWithError(many, index_obj);
        if (group == NULL || !PyTuple_Check(group)) {
            if (!PyErr_Occurred()) PyErr_SetObject(group == NULL ? PyExc_KeyError : PyExc_TypeError, index_obj);
            return -1;
        }
        Py_INCREF(group); /* borrowed from the dict, and is_word runs Python code */
        for (Py_ssize_t g = 0; g < PyTuple_GET_SIZE(group) && !failed; g++) {
            long long c = PyLong_AsLongLong(PyTuple_GET_ITEM(group, g));
            failed = c == -1 && PyErr_Occurred() ? -1 : collect_code(k, c, start, end, ss, se, os, oe, &evidence);
        }
        Py_DECREF(group);
    }
    Py_XDECREF(evidence);
    return failed;
}

/* collect(found, codes, many, special, allow, hints, terms, candidates, allowed, text, searched, starts, ends,
 *         pos, kind, exact, is_word) -> bool: matcher._collect with `runs(runs_of)` and `pos` passed as uint32
 * buffers or None. */
static PyObject *collect(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 17) {
        PyErr_SetString(PyExc_TypeError, "collect() takes 17 arguments");
        return NULL;
    }
    PyObject *found = args[0], *many = args[2], *special = args[3], *allow = args[4], *hints = args[5];
    PyObject *allowed = args[8];
    Collect k = {.terms = args[6], .candidates = args[7], .text = args[9], .searched = args[10], .kind = args[14],
                 .is_word = args[16], .repeats = args[11] != Py_None};
    if ((k.exact = PyObject_IsTrue(args[15])) < 0) return NULL;
    if (!PyList_Check(found) || !PyDict_Check(many) || !PyAnySet_Check(special) || !PyAnySet_Check(allow) ||
        !PyAnySet_Check(hints) || !PyTuple_Check(k.terms) || !PyList_Check(k.candidates) || !PyList_Check(allowed) ||
        !PyUnicode_Check(k.text) || !PyUnicode_Check(k.searched) || !PyCallable_Check(k.is_word) ||
        (args[11] == Py_None) != (args[12] == Py_None)) {
        PyErr_SetString(PyExc_TypeError, "collect(): bad argument types");
        return NULL;
    }
    Ints codes, starts, ends, pos;
    if (ints_get(args[1], &codes, "q", 8) < 0) return NULL;
    if (ints_get(args[11], &starts, "I", 4) < 0) goto fail_codes;
    if (ints_get(args[12], &ends, "I", 4) < 0) goto fail_starts;
    if (ints_get(args[13], &pos, "I", 4) < 0) goto fail_ends;
    int hint = 0, failed = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(found) && !failed; i++) {
        PyObject *match = Py_NewRef(PyList_GET_ITEM(found, i)); /* is_word runs Python code */
        failed = collect_match(&k, match, &codes, many, special, allow, hints, allowed, &starts, &ends, &pos, &hint);
        Py_DECREF(match);
    }
    ints_release(&pos);
    ints_release(&ends);
    ints_release(&starts);
    ints_release(&codes);
    if (failed) return NULL;
    return PyBool_FromLong(hint);
fail_ends:
    ints_release(&ends);
fail_starts:
    ints_release(&starts);
fail_codes:
    ints_release(&codes);
    return NULL;
}

/* text[a0:a1] == other[b0:b1], without building either slice (indices clamped as slicing does). */
static int same_span(PyObject *a, Py_ssize_t a0, Py_ssize_t a1, PyObject *b, Py_ssize_t b0, Py_ssize_t b1) {
    Py_ssize_t na = PyUnicode_GET_LENGTH(a), nb = PyUnicode_GET_LENGTH(b);
    if (a0 < 0 || b0 < 0 || a1 < 0 || b1 < 0) return -1; /* never from collect(); let Python decide */
    a1 = a1 < na ? a1 : na, b1 = b1 < nb ? b1 : nb;
    a0 = a0 < a1 ? a0 : a1, b0 = b0 < b1 ? b0 : b1;
    if (a1 - a0 != b1 - b0) return 0;
    int ka = PyUnicode_KIND(a), kb = PyUnicode_KIND(b);
    const void *da = PyUnicode_DATA(a), *db = PyUnicode_DATA(b);
    for (Py_ssize_t i = 0; i < a1 - a0; i++) {
        if (PyUnicode_READ(ka, da, a0 + i) != PyUnicode_READ(kb, db, b0 + i)) return 0;
    }
    return 1;
}

static PyObject *candidate_hit(PyObject *candidate, PyObject *const *args) {
    PyObject *terms = args[1], *text = args[2], *stripped = args[3], *plain = args[5], *families = args[7];
    if (!PyTuple_Check(candidate) || PyTuple_GET_SIZE(candidate) != 9) {
        PyErr_SetString(PyExc_TypeError, "candidates must be 9-tuples");
        return NULL;
    }
    Py_ssize_t v[9] = {0};
    for (int i = 0; i < 9; i++) {
        if (i == 2 || i == 5) continue; /* term text, evidence */
        PyObject *item = PyTuple_GET_ITEM(candidate, i);
        if (i == 8) v[i] = PyObject_IsTrue(item);
        else v[i] = PyLong_AsSsize_t(item);
        if (v[i] == -1 && PyErr_Occurred()) return NULL;
    }
    Py_ssize_t start = v[0], end = -v[1], code = v[4], ss = v[6], se = v[7], stretched = v[8] != 0;
    PyObject *term = term_at(terms, code);
    if (term == NULL) return NULL;
    Py_ssize_t family = code >> 2 & 3;
    int plain_span = PyObject_IsTrue(args[4]);
    if (plain_span == 0) plain_span = same_span(text, start, end, stripped, ss, se);
    PyObject *evasions;
    if (plain_span == 1) {
        evasions = Py_NewRef(PyTuple_GET_ITEM(plain, family * 2 + stretched));
    } else if (plain_span == 0) {
        PyObject *span = PyUnicode_Substring(text, start, end);
        evasions = span == NULL ? NULL : PyObject_CallFunction(args[6], "OnOO", span, se - ss,
                                                                PyTuple_GET_ITEM(families, family),
                                                                stretched ? Py_True : Py_False);
        Py_XDECREF(span);
    } else {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "negative span");
        return NULL;
    }
    if (evasions == NULL) return NULL;
    PyObject *start_obj = PyLong_FromSsize_t(start), *end_obj = PyLong_FromSsize_t(end), *hit = NULL;
    if (start_obj != NULL && end_obj != NULL) {
        PyObject *fields[8] = {PyTuple_GET_ITEM(candidate, 2), PyTuple_GET_ITEM(term, 1), PyTuple_GET_ITEM(term, 2),
                               start_obj, end_obj, PyTuple_GET_ITEM(candidate, 5), evasions, Py_None};
        hit = PyObject_Vectorcall(args[8], fields, 8, NULL);
    }
    Py_XDECREF(start_obj);
    Py_XDECREF(end_obj);
    Py_DECREF(evasions);
    return hit;
}

/* 1 if some allow span (a, b) of `allowed` holds [start, end), 0 if none, -1 on error. */
static int span_allowed(PyObject *allowed, Py_ssize_t start, Py_ssize_t end) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(allowed); i++) {
        PyObject *span = PyList_GET_ITEM(allowed, i);
        if (!PyTuple_Check(span) || PyTuple_GET_SIZE(span) != 2) {
            PyErr_SetString(PyExc_TypeError, "allow spans must be (start, end) tuples");
            return -1;
        }
        Py_ssize_t a = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 0)), b = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 1));
        if ((a == -1 || b == -1) && PyErr_Occurred()) return -1;
        if (a <= start && end <= b) return 1;
    }
    return 0;
}

static int candidate_span(PyObject *candidate, Py_ssize_t *start, Py_ssize_t *end) {
    if (!PyTuple_Check(candidate) || PyTuple_GET_SIZE(candidate) != 9) {
        PyErr_SetString(PyExc_TypeError, "candidates must be 9-tuples");
        return -1;
    }
    *start = PyLong_AsSsize_t(PyTuple_GET_ITEM(candidate, 0));
    *end = -PyLong_AsSsize_t(PyTuple_GET_ITEM(candidate, 1));
    return PyErr_Occurred() ? -1 : 0;
}

/* The candidates outside every allow span, sorted, with one of each run of overlapping candidates of the same
 * term (matcher._merge_overlaps); a new list. */
static PyObject *kept_candidates(PyObject *candidates, PyObject *allowed) {
    Py_ssize_t n = PyList_GET_SIZE(candidates), start, end;
    PyObject *kept = PyList_New(0);
    if (kept == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *candidate = PyList_GET_ITEM(candidates, i);
        if (candidate_span(candidate, &start, &end) < 0) goto fail;
        int skip = PyList_GET_SIZE(allowed) ? span_allowed(allowed, start, end) : 0;
        if (skip < 0 || (!skip && PyList_Append(kept, candidate) < 0)) goto fail;
    }
    n = PyList_GET_SIZE(kept);
    if (n < 2) return kept;
    if (PyList_Sort(kept) < 0) goto fail;
    PyObject *texts = PySet_New(NULL);
    if (texts == NULL) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PySet_Add(texts, PyTuple_GET_ITEM(PyList_GET_ITEM(kept, i), 2)) < 0) {
            Py_DECREF(texts);
            goto fail;
        }
    }
    Py_ssize_t distinct = PySet_GET_SIZE(texts);
    Py_DECREF(texts);
    if (distinct == n) return kept; /* every term once: nothing to merge */
    PyObject *merged = PyList_New(0), *last_end = PyDict_New();
    if (merged == NULL || last_end == NULL) goto fail_merge;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *candidate = PyList_GET_ITEM(kept, i), *term = PyTuple_GET_ITEM(candidate, 2);
        if (candidate_span(candidate, &start, &end) < 0) goto fail_merge;
        PyObject *last = PyDict_GetItemWithError(last_end, term); /* borrowed */
        if (last == NULL && PyErr_Occurred()) goto fail_merge;
        Py_ssize_t bound = last == NULL ? -1 : PyLong_AsSsize_t(last);
        if (bound == -1 && PyErr_Occurred()) goto fail_merge;
        if (start < bound) continue;
        PyObject *end_obj = PyLong_FromSsize_t(end);
        int failed = end_obj == NULL || PyList_Append(merged, candidate) < 0 ||
                     PyDict_SetItem(last_end, term, end_obj) < 0;
        Py_XDECREF(end_obj);
        if (failed) goto fail_merge;
    }
    Py_DECREF(last_end);
    Py_DECREF(kept);
    return merged;
fail_merge:
    Py_XDECREF(merged);
    Py_XDECREF(last_end);
fail:
    Py_DECREF(kept);
    return NULL;
}

/* hits(candidates, allowed, terms, text, stripped, unchanged, plain, evasions, families, new_hit) -> list[Hit]:
 * matcher._hits - the candidates outside the allow spans, merged, as Hit records - with `unchanged` for
 * `pos is None`, `plain` the 8 plain evasion tuples by family * 2 + stretched, `evasions(span, stripped_len,
 * family, stretched)` for spans with something folded or removed inside. */
static PyObject *hits(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 10) {
        PyErr_SetString(PyExc_TypeError, "hits() takes 10 arguments");
        return NULL;
    }
    PyObject *const *rest = args + 1; /* candidate_hit's arguments: args[0] is unused there */
    if (!PyList_Check(args[0]) || !PyList_Check(args[1]) || !PyTuple_Check(rest[1]) || !PyUnicode_Check(rest[2]) ||
        !PyUnicode_Check(rest[3]) || !PyTuple_Check(rest[5]) || PyTuple_GET_SIZE(rest[5]) != 8 ||
        !PyCallable_Check(rest[6]) || !PyTuple_Check(rest[7]) || PyTuple_GET_SIZE(rest[7]) != 4 ||
        !PyCallable_Check(rest[8])) {
        PyErr_SetString(PyExc_TypeError, "hits(): bad argument types");
        return NULL;
    }
    PyObject *candidates = kept_candidates(args[0], args[1]);
    if (candidates == NULL) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(candidates);
    PyObject *result = PyList_New(n);
    for (Py_ssize_t i = 0; result != NULL && i < n; i++) {
        PyObject *hit = candidate_hit(PyList_GET_ITEM(candidates, i), rest); /* `candidates` is ours alone */
        if (hit == NULL) Py_CLEAR(result);
        else PyList_SET_ITEM(result, i, hit);
    }
    Py_DECREF(candidates);
    return result;
}

/* ---- Windows of mixed pinyin: transliterate._windows in one C pass (the Python one is the fallback). Most texts
 * with letters have no run of whole pinyin syllables, and finding that out cost ~1.3 us a text in Python. */

/* 1 if text[s:e] is a sequence of syllables (members of `syllables`, at most 6 letters each), 0 if not, -1. */
static int is_syllables(PyObject *text, Py_ssize_t s, Py_ssize_t e, PyObject *syllables) {
    Py_ssize_t n = e - s;
    PyObject *run = PyUnicode_Substring(text, s, e);
    if (run == NULL) return -1;
    int whole = PySet_Contains(syllables, run);
    Py_DECREF(run);
    if (whole != 0) return whole;
    char stack[STACK_CHARS + 1], *ends = n < STACK_CHARS ? stack : PyMem_Malloc((size_t)n + 1);
    if (ends == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memset(ends, 0, (size_t)n + 1);
    ends[0] = 1; /* offsets where a sequence of whole syllables ends */
    int failed = 0;
    for (Py_ssize_t start = 0; start < n && !failed; start++) {
        if (!ends[start]) continue;
        for (Py_ssize_t end = start + 1; end <= n && end < start + 7 && !failed; end++) {
            PyObject *piece = PyUnicode_Substring(text, s + start, s + end);
            int in = piece == NULL ? -1 : PySet_Contains(syllables, piece);
            Py_XDECREF(piece);
            if (in < 0) failed = 1;
            else if (in) ends[end] = 1;
        }
    }
    int result = failed ? -1 : ends[n];
    if (ends != stack) PyMem_Free(ends);
    return result;
}

/* windows(text, syllables, reach) -> [(low, high), ...]: transliterate._windows. */
static PyObject *windows(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyUnicode_Check(args[0]) || !PyAnySet_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "windows(text: str, syllables: frozenset, reach: int)");
        return NULL;
    }
    PyObject *text = args[0], *syllables = args[1];
    Py_ssize_t reach = PyLong_AsSsize_t(args[2]);
    if (reach == -1 && PyErr_Occurred()) return NULL;
    if (reach < 0) {
        PyErr_SetString(PyExc_ValueError, "reach must not be negative");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), low = -1, high = -1;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *result = PyList_New(0);
    for (Py_ssize_t i = 0; result != NULL && i < n;) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 'a' || c > 'z') {
            i++;
            continue;
        }
        Py_ssize_t s = i;
        while (i < n && (c = PyUnicode_READ(kind, data, i)) >= 'a' && c <= 'z') i++;
        int ok = is_syllables(text, s, i, syllables);
        if (ok < 0) Py_CLEAR(result);
        if (ok <= 0) continue;
        Py_ssize_t lo = s > reach ? s - reach : 0, hi = n - i > reach ? i + reach : n;
        if (low >= 0 && lo <= high) {
            high = hi;
            continue;
        }
        if (low >= 0) {
            PyObject *span = Py_BuildValue("(nn)", low, high);
            if (span == NULL || PyList_Append(result, span) < 0) Py_CLEAR(result);
            Py_XDECREF(span);
        }
        low = lo, high = hi;
    }
    if (result != NULL && low >= 0) {
        PyObject *span = Py_BuildValue("(nn)", low, high);
        if (span == NULL || PyList_Append(result, span) < 0) Py_CLEAR(result);
        Py_XDECREF(span);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"record_factory", record_factory, METH_VARARGS, "record_factory(cls, names) -> fast positional constructor."},
    {"configure", configure, METH_O, "configure(table): set the fold table (native uint32, 0 = noise)."},
    {"prepare", prepare, METH_O, "prepare(text) -> (strip(text), its collapse, letter | non-ASCII << 1)."},
    {"strip", strip, METH_O, "strip(text) -> folded text without noise (text itself if unchanged)."},
    {"fold", fold, METH_O, "fold(text) -> text folded one-to-one, noise characters as NUL."},
    {"positions", positions, METH_O, "positions(text) -> uint32 bytes: original index of each stripped character."},
    {"collapse", collapse, METH_O, "collapse(text) -> text with repeat runs reduced (text itself if none)."},
    {"runs", runs, METH_O, "runs(text) -> (starts, ends) of each run of collapse(text), as uint32 bytes."},
    {"windows", (PyCFunction)(void (*)(void))windows, METH_FASTCALL, "windows(text, syllables, reach)."},
    {"collect", (PyCFunction)(void (*)(void))collect, METH_FASTCALL, "collect(...) -> bool: matcher._collect."},
    {"hits", (PyCFunction)(void (*)(void))hits, METH_FASTCALL, "hits(...) -> list[Hit]: matcher._hits."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fold", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fold(void) {
    if (PyType_Ready(&FactoryType) < 0) return NULL;
    return PyModule_Create(&module);
}
