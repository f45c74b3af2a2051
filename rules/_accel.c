/* The rules' hot loops in C: the concept scan with its phrases (rules/concepts.py,
 * Lexicons.scan, _confirm), the text and category models' sums (rules/text_model.py,
 * LinearTextModel.read, over figures packed by `pack`), splitting a field into its folded
 * words (concepts.tokens, for a text fold would make ASCII character by character) and a
 * ticket's fields split and scanned in one call (Scorer.view, scan_fields), the models'
 * log-odds (LinearTextModel.logits), the signals' gate and checks (rules/scoring.py,
 * Scorer.gate, Scorer._shows: signal_hits), and the one vocabulary the scan and both models
 * read a ticket's words through (Vocabulary, Scorer._share_words).
 *
 * Why: each is a short loop per word (or character) of a ticket around work that is already
 * C-level; in Python the loop itself (a bytecode dispatch, a tuple unpack, an append per word)
 * cost more than the lookups, about 110 of a decision's 200 microseconds (docs/benchmarks.md,
 * eighth and ninth rounds). These functions read the same tables (the vocabulary cache, the
 * models' figures) and give the same result in the same order as the Python code they stand in
 * for, so a decision is the same either way: tests/rules/test_accel.py compares the two on
 * every labelled ticket. The Python code stays the reference and is what runs where this module
 * is not built (no C compiler).
 *
 * Built by `make` (setup.py, `python setup.py build_ext --inplace`); pure: no I/O, no state.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stddef.h>

#define MAX_WIDTH 32 /* complex figures per word: a model's outputs + 1 */
#define TOP 4        /* cited terms kept per side */

/* PyObject_Hash of a word (a str, whose hash is kept in it once worked out), read from the str
 * where it is there. Why: a call and a type's slot per word and reading (the scan's and the
 * models' probes, their look-ahead, the pairs), for a number the str holds. */
static inline Py_hash_t
word_hash(PyObject *word)
{
    if (PyUnicode_CheckExact(word)) {
        Py_hash_t hash = ((PyASCIIObject *)word)->hash;
        if (hash != -1) {
            return hash;
        }
    }
    return PyObject_Hash(word);
}

/* dict[key], calling a subclass's __missing__ on a miss (the caches learn words that way).
 * A new reference, or NULL with an exception set. */
static PyObject *
lookup(PyObject *dict, PyObject *key)
{
    PyObject *value = PyDict_GetItemWithError(dict, key);
    if (value != NULL) {
        Py_INCREF(value);
        return value;
    }
    if (PyErr_Occurred()) {
        return NULL;
    }
    return PyObject_GetItem(dict, key);
}

/* Keep the TOP smallest positive ranks, ascending (Python: sorted(filter(None, ranks))[:4]). */
static void
keep_smallest(long *best, int *count, long rank)
{
    if (rank <= 0) {
        return;
    }
    int n = *count;
    if (n == TOP && rank >= best[TOP - 1]) {
        return;
    }
    int j = n < TOP ? n : TOP - 1;
    while (j > 0 && best[j - 1] > rank) {
        best[j] = best[j - 1];
        j--;
    }
    best[j] = rank;
    if (n < TOP) {
        *count = n + 1;
    }
}

/* A word's or a pair's figures, packed in one block: the 2 * width numbers it adds to a model's
 * sums (real, imag of each of LinearTextModel's complex figures), its two citing ranks, and for
 * a word the pairs of words it starts (a dict, second word -> the pair's Figures, or None).
 * Why: a tuple of complex numbers and ranks was a pointer, and a likely cache miss, per number;
 * a ticket's reading walks a few hundred of them among tens of thousands. Holds no object that
 * could lead back to it, so it is not tracked by the garbage collector (nor are the dicts of
 * pairs, whose values are all Figures). */
/* A word's pairs, as an open-addressing table of its `after` dict's entries: probing it is one
 * slot (its key compared by identity first, else by hash and text), where the dict was its
 * object, its index and its entry, each a likely cache miss, for nearly every word of a
 * ticket (perf, docs/benchmarks.md). Borrowed references: the dict holds them. */
typedef struct {
    PyObject *key; /* NULL: an empty slot */
    Py_hash_t hash;
    PyObject *figures;
} Pair;

typedef struct {
    PyObject_VAR_HEAD
    PyObject *after;
    Pair *pairs; /* NULL: none */
    size_t pairs_mask;
    long up, down;
    double numbers[1]; /* ob_size of them */
} Figures;

static void
figures_dealloc(PyObject *self)
{
    PyMem_Free(((Figures *)self)->pairs);
    Py_XDECREF(((Figures *)self)->after);
    PyObject_Free(self);
}

#define SPREAD(h) (((size_t)(h) >> 4) * 0x9E3779B97F4A7C15ull)

/* An open-addressing table of `dict`'s entries (str -> a value, of `value_type` unless that is
 * NULL) into *out and *mask, *out staying NULL for an empty dict: 0, or -1 with a TypeError of
 * `error` (or the hash's exception) set; *out is set before any entry is read, so the caller's
 * dealloc frees it either way. Borrowed references: the dict holds them. Both the models' pairs
 * (Figures) and a concept entry's phrases (Entry) are probed through such tables. */
static int
open_table(PyObject *dict, PyTypeObject *value_type, const char *error, Pair **out, size_t *mask)
{
    Py_ssize_t n = PyDict_GET_SIZE(dict);
    if (n == 0) {
        return 0;
    }
    size_t size = 4;
    while (size < 2 * (size_t)n) {
        size <<= 1;
    }
    Pair *pairs = PyMem_Calloc(size, sizeof(Pair));
    if (pairs == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *out = pairs;
    *mask = size - 1;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_Check(key) || (value_type != NULL && !PyObject_TypeCheck(value, value_type))) {
            PyErr_SetString(PyExc_TypeError, error);
            return -1;
        }
        Py_hash_t hash = PyObject_Hash(key);
        if (hash == -1) {
            return -1;
        }
        size_t i = SPREAD(hash) & *mask;
        while (pairs[i].key != NULL) {
            i = (i + 1) & *mask;
        }
        pairs[i].key = key;
        pairs[i].hash = hash;
        pairs[i].figures = value;
    }
    return 0;
}

static PyTypeObject FiguresType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rules._accel.Figures",
    .tp_basicsize = offsetof(Figures, numbers),
    .tp_itemsize = sizeof(double),
    .tp_dealloc = figures_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A word's or a pair's figures for linear_logits, packed (rules/_accel.c says why).",
};

PyDoc_STRVAR(pack_doc,
"pack(numbers, up, down, after) -> Figures\n\n"
"A word's or a pair's figures packed for linear_logits: numbers a tuple of complex numbers (a\n"
"figures tuple's first width items), up and down its citing ranks, after the dict of the pairs\n"
"the word starts (second word -> Figures) or None.");

static PyObject *
pack(PyObject *module, PyObject *args)
{
    PyObject *numbers, *after;
    long up, down;
    if (!PyArg_ParseTuple(args, "O!llO:pack", &PyTuple_Type, &numbers, &up, &down, &after)) {
        return NULL;
    }
    if (after != Py_None && !PyDict_CheckExact(after)) {
        PyErr_SetString(PyExc_TypeError, "after: a dict of second word -> Figures, or None");
        return NULL;
    }
    Py_ssize_t width = PyTuple_GET_SIZE(numbers);
    Figures *out = PyObject_NewVar(Figures, &FiguresType, 2 * width);
    if (out == NULL) {
        return NULL;
    }
    out->after = NULL;
    out->pairs = NULL;
    out->pairs_mask = 0;
    for (Py_ssize_t w = 0; w < width; w++) {
        Py_complex value = PyComplex_AsCComplex(PyTuple_GET_ITEM(numbers, w));
        if (value.real == -1.0 && PyErr_Occurred()) {
            Py_DECREF(out);
            return NULL;
        }
        out->numbers[2 * w] = value.real;
        out->numbers[2 * w + 1] = value.imag;
    }
    out->up = up;
    out->down = down;
    Py_INCREF(after);
    out->after = after;
    if (after != Py_None
        && open_table(after, NULL, "after: a dict of second word (str) -> Figures, or None", &out->pairs,
                      &out->pairs_mask) < 0) {
        Py_DECREF(out);
        return NULL;
    }
    return (PyObject *)out;
}

PyDoc_STRVAR(unpack_doc,
"unpack(figures) -> (numbers, up, down, after)\n\n"
"What pack was given (numbers as complex numbers), for tests.");

static PyObject *
unpack(PyObject *module, PyObject *figures)
{
    if (!Py_IS_TYPE(figures, &FiguresType)) {
        PyErr_SetString(PyExc_TypeError, "unpack: a Figures");
        return NULL;
    }
    Figures *f = (Figures *)figures;
    Py_ssize_t width = Py_SIZE(f) / 2;
    PyObject *numbers = PyTuple_New(width);
    if (numbers == NULL) {
        return NULL;
    }
    for (Py_ssize_t w = 0; w < width; w++) {
        PyObject *value = PyComplex_FromDoubles(f->numbers[2 * w], f->numbers[2 * w + 1]);
        if (value == NULL) {
            Py_DECREF(numbers);
            return NULL;
        }
        PyTuple_SET_ITEM(numbers, w, value);
    }
    return Py_BuildValue("(NllO)", numbers, f->up, f->down, f->after);
}

/* Add one word's or pair's figures to the sums and the citing ranks: a Figures of `width`
 * complex figures, else a TypeError. */
static int
add_figures(PyObject *figures, Py_ssize_t width, double *sums, long *up, int *n_up, long *down, int *n_down)
{
    if (!Py_IS_TYPE(figures, &FiguresType) || Py_SIZE(figures) != 2 * width) {
        PyErr_SetString(PyExc_TypeError, "figures: a Figures (pack) of width complex numbers");
        return -1;
    }
    const Figures *f = (const Figures *)figures;
    for (Py_ssize_t i = 0; i < 2 * width; i++) {
        sums[i] += f->numbers[i];
    }
    keep_smallest(up, n_up, f->up);
    keep_smallest(down, n_down, f->down);
    return 0;
}

/* The i-th of an array of longs or doubles as a Python int or float (a new reference). */
typedef PyObject *(*ItemMaker)(const void *data, Py_ssize_t i);

static PyObject *
long_at(const void *data, Py_ssize_t i)
{
    return PyLong_FromLong(((const long *)data)[i]);
}

static PyObject *
float_at(const void *data, Py_ssize_t i)
{
    return PyFloat_FromDouble(((const double *)data)[i]);
}

/* A new tuple (or list) of the first `count` items `make` makes of `data`, or NULL with an
 * exception set. */
static PyObject *
made_items(const void *data, Py_ssize_t count, ItemMaker make, int as_list)
{
    PyObject *out = as_list ? PyList_New(count) : PyTuple_New(count);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = make(data, i);
        if (item == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        if (as_list) {
            PyList_SET_ITEM(out, i, item);
        } else {
            PyTuple_SET_ITEM(out, i, item);
        }
    }
    return out;
}

static PyObject *
ranks_tuple(const long *ranks, int count)
{
    return made_items(ranks, count, long_at, 0);
}

/* Whether two str objects hold the same text (the canonical PEP 393 form: same kind if equal). */
static int
same_text(PyObject *a, PyObject *b)
{
    if (a == b) {
        return 1;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(a);
    return length == PyUnicode_GET_LENGTH(b) && PyUnicode_KIND(a) == PyUnicode_KIND(b)
           && memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)length * PyUnicode_KIND(a)) == 0;
}

/* One table of the words a desk's tickets use, shared by the concept scan and both models: per
 * word, what each of them makes of it (a column each: the concept entry, each model's Figures),
 * worked out by that column's maker (a Python callable) on the word's first use.
 * Why: each of the three kept its own dict of 30,000-50,000 words keyed by the ticket's fresh
 * strings, so a ticket's word cost three probes, each an index line, an entry line and the key
 * object's line (its text, compared with the token's), most of them cache misses: half a
 * decision's time went there (perf, docs/benchmarks.md). Here a word is one 64-byte slot holding
 * its hash, its text (up to INLINE ASCII characters; a longer or non-ASCII key is compared
 * through its object) and the three columns' values: the scan's probe brings the slot in, and
 * the models' probes of the same ticket's words find it cached. A key is interned
 * (PyUnicode_InternInPlace), so the pairs' tables, keyed by interned words (text_model.py), are
 * probed with the very object they hold. Bounded: emptied when `limit` words are held.
 * Tracked by the garbage collector for its makers only (bound methods of the objects that hold
 * this table: a cycle); the values are figures and concept entries, which lead back to nothing. */
#define COLUMNS 3
#define INLINE 23
#define NO_INLINE 0xff

typedef struct {
    PyObject *key; /* NULL: an empty slot */
    Py_hash_t hash;
    PyObject *values[COLUMNS]; /* NULL: not worked out yet */
    unsigned char length;      /* of text, or NO_INLINE */
    char text[INLINE];
} Slot;

typedef struct {
    PyObject_HEAD
    Slot *slots;
    size_t mask;
    Py_ssize_t used, limit;
    int columns;
    PyObject *makers[COLUMNS];
} Vocabulary;

static PyTypeObject VocabularyType;

static void
vocabulary_empty(Vocabulary *self)
{
    Slot *slots = self->slots;
    size_t size = slots ? self->mask + 1 : 0;
    self->slots = NULL;
    self->used = 0;
    for (size_t i = 0; i < size; i++) {
        if (slots[i].key != NULL) {
            for (int c = 0; c < COLUMNS; c++) {
                Py_XDECREF(slots[i].values[c]);
            }
            Py_DECREF(slots[i].key);
        }
    }
    PyMem_Free(slots);
}

/* A table of `size` empty slots (a power of two), or -1 with an exception set. */
static int
vocabulary_alloc(Vocabulary *self, size_t size)
{
    Slot *slots = PyMem_Calloc(size, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->slots = slots;
    self->mask = size - 1;
    return 0;
}

/* The slot holding `word` (a str whose hash is `hash`), or the empty slot where it would go. */
static inline Slot *
vocabulary_probe(const Vocabulary *self, PyObject *word, Py_hash_t hash)
{
    size_t i = SPREAD(hash) & self->mask;
    for (;;) {
        Slot *slot = &self->slots[i];
        if (slot->key == NULL || slot->key == word) {
            return slot;
        }
        if (slot->hash == hash) {
            if (slot->length != NO_INLINE) {
                if (PyUnicode_IS_COMPACT_ASCII(word) && PyUnicode_GET_LENGTH(word) == slot->length
                    && memcmp(slot->text, PyUnicode_1BYTE_DATA(word), slot->length) == 0) {
                    return slot;
                }
            }
            else if (same_text(slot->key, word)) {
                return slot;
            }
        }
        i = (i + 1) & self->mask;
    }
}

/* The key of the word whose text is the ASCII `text` (`length` characters, hashing to `hash`),
 * borrowed; NULL where the table holds no such word, or holds it as another kind of object
 * than a str. No exception is set. */
static PyObject *
vocabulary_key(const Vocabulary *self, const char *text, size_t length, Py_hash_t hash)
{
    if (self->slots == NULL) {
        return NULL;
    }
    for (size_t i = SPREAD(hash) & self->mask;; i = (i + 1) & self->mask) {
        const Slot *slot = &self->slots[i];
        if (slot->key == NULL) {
            return NULL;
        }
        if (slot->hash != hash) {
            continue;
        }
        PyObject *key = slot->key;
        int same = slot->length != NO_INLINE
                   ? slot->length == length && memcmp(slot->text, text, length) == 0
                   : PyUnicode_IS_COMPACT_ASCII(key) && (size_t)PyUnicode_GET_LENGTH(key) == length
                     && memcmp(PyUnicode_1BYTE_DATA(key), text, length) == 0;
        if (same) {
            return PyUnicode_CheckExact(key) ? key : NULL;
        }
    }
}

/* Asks for the slot a word hashing to `hash` starts its probe at. */
static inline void
vocabulary_prefetch_hash(const Vocabulary *self, Py_hash_t hash)
{
    if (self->slots != NULL) {
        __builtin_prefetch(&self->slots[SPREAD(hash) & self->mask]);
    }
}

/* Looking ahead: a ticket's words are known before the loop over them, so at the start of each
 * CHUNK of them the slots of the next chunk, and the values this chunk's slots hold (asked for a
 * chunk ago), are asked of memory at once, while the words are worked on. Why: the slots and
 * values of a desk's 50,000 words are mostly cold, and each probe waited for its line in turn
 * (perf: half of vocabulary_value's samples on the slot's key, half on the value's reference
 * count); the core's own look-ahead stops at the first call. Hints only: nothing read here
 * decides anything, a wrong guess costs a line. */
#define CHUNK 16

/* Asks for the slot `word` (a str) would start its probe at; its hash is worked out (and kept
 * in the str, as the probe would). */
static inline void
vocabulary_prefetch_slot(const Vocabulary *self, PyObject *word)
{
    if (PyUnicode_CheckExact(word)) {
        Py_hash_t hash = word_hash(word); /* a str's hash: never fails */
        __builtin_prefetch(&self->slots[SPREAD(hash) & self->mask]);
    }
}

/* Asks for the first `lines` lines of the values `word`'s first slot holds in columns `first`
 * to `last`, where that slot is the word's (by hash; the hint needs no more). */
static inline void
vocabulary_prefetch_values(const Vocabulary *self, PyObject *word, int first, int last, int lines)
{
    if (!PyUnicode_CheckExact(word)) {
        return;
    }
    Py_hash_t hash = ((PyASCIIObject *)word)->hash;
    if (hash == -1) {
        return;
    }
    const Slot *slot = &self->slots[SPREAD(hash) & self->mask];
    if (slot->hash != hash) {
        return;
    }
    for (int c = first; c <= last; c++) {
        const char *value = (const char *)slot->values[c];
        for (int line = 0; value != NULL && line < lines; line++) {
            __builtin_prefetch(value + 64 * line);
        }
    }
}

/* At word i of `words` (a list of n; i a multiple of CHUNK): the first chunk's slots (i = 0),
 * the next chunk's, and the values in columns `first` to `last` of this one's. */
static void
vocabulary_prefetch_chunk(const Vocabulary *self, PyObject *words, Py_ssize_t i, Py_ssize_t n, int first, int last,
                          int lines)
{
    for (Py_ssize_t j = i == 0 ? 0 : i + CHUNK; j < i + 2 * CHUNK && j < n; j++) {
        vocabulary_prefetch_slot(self, PyList_GET_ITEM(words, j));
    }
    for (Py_ssize_t j = i; j < i + CHUNK && j < n; j++) {
        vocabulary_prefetch_values(self, PyList_GET_ITEM(words, j), first, last, lines);
    }
}

/* Twice the room: the slots moved to a new table. 0, or -1 with an exception set. */
static int
vocabulary_grow(Vocabulary *self)
{
    Slot *old = self->slots;
    size_t size = self->mask + 1;
    if (vocabulary_alloc(self, 2 * size) < 0) {
        return -1;
    }
    for (size_t i = 0; i < size; i++) {
        if (old[i].key != NULL) {
            size_t j = SPREAD(old[i].hash) & self->mask;
            while (self->slots[j].key != NULL) {
                j = (j + 1) & self->mask;
            }
            self->slots[j] = old[i];
        }
    }
    PyMem_Free(old);
    return 0;
}

/* What column `column` makes of `word` (a str), its maker called on the word's first use; a new
 * reference, or NULL with an exception set. *key (when not NULL) is set to the table's key for
 * the word (the word interned), borrowed and to be compared only, never read: taking a
 * reference would write to the key object, a cache miss per word the slot's inline text
 * spared, and a later word's maker may empty the table. */
static PyObject *
vocabulary_value(Vocabulary *self, PyObject *word, int column, PyObject **key)
{
    if (!PyUnicode_Check(word)) {
        PyErr_SetString(PyExc_TypeError, "words: str");
        return NULL;
    }
    Py_hash_t hash = word_hash(word);
    if (hash == -1) {
        return NULL;
    }
    Slot *slot = vocabulary_probe(self, word, hash);
    if (slot->key != NULL && slot->values[column] != NULL) {
        if (key != NULL) {
            *key = slot->key;
        }
        Py_INCREF(slot->values[column]);
        return slot->values[column];
    }
    /* Python code: it may change this table (another thread's reading), so the slot is looked
     * for again after it. */
    PyObject *value = PyObject_CallOneArg(self->makers[column], word);
    if (value == NULL) {
        return NULL;
    }
    slot = vocabulary_probe(self, word, hash);
    if (slot->key == NULL) {
        if (self->used >= self->limit) {
            vocabulary_empty(self);
            if (vocabulary_alloc(self, 16) < 0) {
                Py_DECREF(value);
                return NULL;
            }
        }
        else if (2 * (size_t)(self->used + 1) > self->mask + 1) {
            if (vocabulary_grow(self) < 0) {
                Py_DECREF(value);
                return NULL;
            }
        }
        slot = vocabulary_probe(self, word, hash);
        PyObject *interned = word;
        Py_INCREF(interned);
        if (PyUnicode_CheckExact(interned)) {
            PyUnicode_InternInPlace(&interned);
        }
        slot->key = interned;
        slot->hash = hash;
        Py_ssize_t length = PyUnicode_GET_LENGTH(interned);
        if (PyUnicode_IS_COMPACT_ASCII(interned) && length <= INLINE) {
            slot->length = (unsigned char)length;
            memcpy(slot->text, PyUnicode_1BYTE_DATA(interned), (size_t)length);
        }
        else {
            slot->length = NO_INLINE;
        }
        self->used++;
    }
    Py_XSETREF(slot->values[column], value);
    Py_INCREF(value);
    if (key != NULL) {
        *key = slot->key;
    }
    return value;
}

static PyObject *
vocabulary_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"makers", "limit", NULL};
    PyObject *makers;
    Py_ssize_t limit;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!n:Vocabulary", names, &PyTuple_Type, &makers, &limit)) {
        return NULL;
    }
    Py_ssize_t columns = PyTuple_GET_SIZE(makers);
    if (columns < 1 || columns > COLUMNS || limit < 1) {
        PyErr_SetString(PyExc_ValueError, "Vocabulary: 1 to 3 makers, a limit of 1 or more");
        return NULL;
    }
    for (Py_ssize_t c = 0; c < columns; c++) {
        if (!PyCallable_Check(PyTuple_GET_ITEM(makers, c))) {
            PyErr_SetString(PyExc_TypeError, "Vocabulary: makers are callables (word -> value)");
            return NULL;
        }
    }
    Vocabulary *self = (Vocabulary *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->limit = limit;
    self->columns = (int)columns;
    for (Py_ssize_t c = 0; c < columns; c++) {
        self->makers[c] = Py_NewRef(PyTuple_GET_ITEM(makers, c));
    }
    if (vocabulary_alloc(self, 16) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
vocabulary_traverse(Vocabulary *self, visitproc visit, void *arg)
{
    for (int c = 0; c < COLUMNS; c++) {
        Py_VISIT(self->makers[c]);
    }
    return 0;
}

static int
vocabulary_clear(Vocabulary *self)
{
    for (int c = 0; c < COLUMNS; c++) {
        Py_CLEAR(self->makers[c]);
    }
    vocabulary_empty(self);
    return 0;
}

static void
vocabulary_dealloc(Vocabulary *self)
{
    PyObject_GC_UnTrack(self);
    vocabulary_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The column a function was given, or -1 with an exception set. */
static int
vocabulary_column(PyObject *vocabulary, int column)
{
    if (column < 0 || column >= ((Vocabulary *)vocabulary)->columns) {
        PyErr_SetString(PyExc_ValueError, "a column of the vocabulary");
        return -1;
    }
    if (((Vocabulary *)vocabulary)->slots == NULL) {
        PyErr_SetString(PyExc_ValueError, "a cleared vocabulary");
        return -1;
    }
    return column;
}

static PyObject *
vocabulary_get(PyObject *self, PyObject *args)
{
    PyObject *word;
    int column;
    if (!PyArg_ParseTuple(args, "Ui:get", &word, &column) || vocabulary_column(self, column) < 0) {
        return NULL;
    }
    return vocabulary_value((Vocabulary *)self, word, column, NULL);
}

static PyObject *
vocabulary_clear_method(PyObject *self, PyObject *unused)
{
    Vocabulary *v = (Vocabulary *)self;
    vocabulary_empty(v);
    if (vocabulary_alloc(v, 16) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static Py_ssize_t
vocabulary_length(PyObject *self)
{
    return ((Vocabulary *)self)->used;
}

static PyMethodDef vocabulary_methods[] = {
    {"get", vocabulary_get, METH_VARARGS,
     "get(word, column) -> what column's maker makes of word (worked out on its first use)"},
    {"clear", vocabulary_clear_method, METH_NOARGS, "clear(): every word forgotten"},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods vocabulary_as_sequence = {
    .sq_length = vocabulary_length,
};

static PyTypeObject VocabularyType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rules._accel.Vocabulary",
    .tp_basicsize = sizeof(Vocabulary),
    .tp_dealloc = (destructor)vocabulary_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Vocabulary(makers, limit): the words of a desk's tickets, what each of up to 3 readers "
              "(makers: word -> value) makes of them, worked out once (rules/_accel.c says why).",
    .tp_traverse = (traverseproc)vocabulary_traverse,
    .tp_clear = (inquiry)vocabulary_clear,
    .tp_new = vocabulary_new,
    .tp_methods = vocabulary_methods,
    .tp_as_sequence = &vocabulary_as_sequence,
};

/* Figures are read whole by add_figures: a text model's (2 complex figures) spans two lines,
 * a category model's (5) three. */
#define FIGURES_LINES 3

/* Looking ahead in the pairs' loop (as vocabulary_prefetch_chunk), at pair i (a multiple of
 * CHUNK) of n words: the slots of the next chunk's first words' pairs tables where their second
 * words (hashed by the first loop) start their probes, and the lines of the pairs' figures this
 * chunk's slots hold. figs[which[j]] is word j's Figures (checked by add_figures). */
static void
pairs_prefetch_chunk(PyObject *const *figs, const Py_ssize_t *which, PyObject *words, Py_ssize_t i, Py_ssize_t n)
{
    for (int figures = 0; figures <= 1; figures++) {
        Py_ssize_t from = figures ? i : i == 0 ? 0 : i + CHUNK, to = figures ? i + CHUNK : i + 2 * CHUNK;
        for (Py_ssize_t j = from; j < to && j + 1 < n; j++) {
            const Figures *f = (const Figures *)figs[which[j]];
            Py_hash_t hash = ((PyASCIIObject *)PyList_GET_ITEM(words, j + 1))->hash;
            if (f->pairs == NULL || hash == -1) {
                continue;
            }
            const Pair *pair = &f->pairs[SPREAD(hash) & f->pairs_mask];
            if (!figures) {
                __builtin_prefetch(pair);
            }
            else if (pair->key != NULL && pair->hash == hash) {
                for (int line = 0; line < FIGURES_LINES; line++) {
                    __builtin_prefetch((const char *)pair->figures + 64 * line);
                }
            }
        }
    }
}

/* table[word]: a Vocabulary's column (*key its key for the word, borrowed: see
 * vocabulary_value) or a dict's entry (*key the word); a new reference, or NULL with an
 * exception set. */
static PyObject *
word_value(PyObject *table, int column, PyObject *word, PyObject **key)
{
    if (Py_IS_TYPE(table, &VocabularyType)) {
        return vocabulary_value((Vocabulary *)table, word, column, key);
    }
    if (key != NULL) {
        *key = word;
    }
    return lookup(table, word);
}

/* A table argument: a Vocabulary and one of its columns, or a dict (column 0). 0, or -1 with an
 * exception set. */
static int
check_table(PyObject *table, int column)
{
    if (Py_IS_TYPE(table, &VocabularyType)) {
        return vocabulary_column(table, column) < 0 ? -1 : 0;
    }
    if (!PyDict_Check(table) || column != 0) {
        PyErr_SetString(PyExc_TypeError, "a Vocabulary and one of its columns, or a dict");
        return -1;
    }
    return 0;
}

/* The sums of LinearTextModel.read over `words`, in the Python code's order: each distinct word
 * once, in the order it first occurs (Python: dict.fromkeys(words)), its figures from `lexicon`
 * (learning a new word through __missing__; a word is looked up once, so the lexicon emptying
 * itself mid-ticket changes nothing); then each known pair of adjacent words once, in the order
 * it first occurs. A word's figures end with the dict of the pairs it starts ({second word ->
 * the pair's figures}) or None, so a pair costs no lookup of its first word and no tuple: a
 * pair met again is the same figures object (made once when the model loads), and a set of
 * those pointers says which were added. Own hash tables, not a Python set: one pass, no
 * iterator, no entry objects (the set and the tuple per pair were half a model's reading). */
static int
sum_words(PyObject *words, PyObject *lexicon, int column, Py_ssize_t width, double *sums, long *up, int *n_up,
          long *down, int *n_down, Py_ssize_t *known, Py_ssize_t *distinct)
{
    Py_ssize_t n = PyList_GET_SIZE(words);
    size_t size = 16;
    while (size < 2 * (size_t)n) {
        size <<= 1;
    }
    size_t mask = size - 1;
    /* by distinct word: the word and its figures (references; only the first d are read, so
     * not zeroed: that was a calloc per table per reading); by position: its distinct word's
     * number; the table of distinct words by hash and the set of pairs added */
    PyObject **keys = PyMem_Malloc(((size_t)n + 1) * sizeof(PyObject *));
    PyObject **canon = PyMem_Malloc(((size_t)n + 1) * sizeof(PyObject *)); /* borrowed: compared only */
    PyObject **figs = PyMem_Malloc(((size_t)n + 1) * sizeof(PyObject *));
    Py_ssize_t *which = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    Py_ssize_t *slots = PyMem_Malloc(size * sizeof(Py_ssize_t));
    PyObject **seen = PyMem_Calloc(size, sizeof(PyObject *));
    int failed = 0;
    Py_ssize_t d = 0;
    if (keys == NULL || canon == NULL || figs == NULL || which == NULL || slots == NULL || seen == NULL) {
        PyErr_NoMemory();
        failed = -1;
        goto done;
    }
    memset(slots, 0xff, size * sizeof(Py_ssize_t)); /* -1: empty */
    const Vocabulary *ahead = Py_IS_TYPE(lexicon, &VocabularyType) ? (const Vocabulary *)lexicon : NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (ahead != NULL && i % CHUNK == 0) { /* (a maker may have moved the slots: read afresh) */
            vocabulary_prefetch_chunk(ahead, words, i, n, column, column, FIGURES_LINES);
        }
        PyObject *word = PyList_GET_ITEM(words, i);
        Py_hash_t hash = word_hash(word);
        if (hash == -1 || !PyUnicode_Check(word)) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError, "words: a list of str");
            }
            failed = -1;
            goto done;
        }
        size_t slot = SPREAD(hash) & mask;
        Py_ssize_t j;
        while ((j = slots[slot]) != -1 && !same_text(keys[j], word)) {
            slot = (slot + 1) & mask;
        }
        which[i] = j != -1 ? j : d;
        if (j != -1) {
            continue;
        }
        /* a new distinct word: number d, and the table's key for it (an interned word, which
         * the pairs' tables hold: a pair is then found by identity) */
        PyObject *figures = word_value(lexicon, column, word, &canon[d]);
        if (figures == NULL) {
            failed = -1;
            goto done;
        }
        slots[slot] = d;
        Py_INCREF(word);
        keys[d] = word;
        figs[d++] = figures;
        if (add_figures(figures, width, sums, up, n_up, down, n_down)) {
            failed = -1;
            goto done;
        }
        if (((Figures *)figures)->numbers[width - 1] > 0.0) { /* the words block's squared idf */
            (*known)++;
        }
    }
    *distinct = d;
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        if (i % CHUNK == 0) {
            pairs_prefetch_chunk(figs, which, words, i, n);
        }
        const Figures *first = (const Figures *)figs[which[i]]; /* add_figures checked */
        if (first->pairs == NULL) {
            continue;
        }
        /* the pair's table probed with the table's key for the second word, or its text (the
         * word's hash is cached: the first loop hashed it) */
        PyObject *second = PyList_GET_ITEM(words, i + 1), *key = canon[which[i + 1]];
        Py_hash_t hash = word_hash(second);
        size_t at = SPREAD(hash) & first->pairs_mask;
        const Pair *pair;
        while ((pair = &first->pairs[at])->key != NULL && pair->key != key
               && !(pair->hash == hash && same_text(pair->key, second))) {
            at = (at + 1) & first->pairs_mask;
        }
        PyObject *figures = pair->figures;
        if (pair->key == NULL) {
            continue;
        }
        size_t slot = SPREAD(figures) & mask;
        while (seen[slot] != NULL && seen[slot] != figures) {
            slot = (slot + 1) & mask;
        }
        if (seen[slot] == figures) {
            continue;
        }
        seen[slot] = figures; /* borrowed: no Python code runs in this loop, the pairs stay */
        if (add_figures(figures, width, sums, up, n_up, down, n_down)) {
            failed = -1;
            goto done;
        }
    }
done:
    if (keys != NULL && figs != NULL) {
        for (Py_ssize_t j = 0; j < d; j++) {
            Py_DECREF(keys[j]);
            Py_DECREF(figs[j]);
        }
    }
    PyMem_Free(keys);
    PyMem_Free(canon);
    PyMem_Free(figs);
    PyMem_Free(which);
    PyMem_Free(slots);
    PyMem_Free(seen);
    return failed;
}

/* A reading (linear_logits): sum_words' sums, ranks and counts; read_words checks the table
 * and width it is given and reads. 0, or -1 with an exception set. */
typedef struct {
    double sums[2 * MAX_WIDTH];
    long up[TOP], down[TOP];
    int n_up, n_down;
    Py_ssize_t known, distinct;
} Reading;

static int
read_words(PyObject *words, PyObject *lexicon, Py_ssize_t width, int column, Reading *out)
{
    if (check_table(lexicon, column) < 0) {
        return -1;
    }
    if (width < 1 || width > MAX_WIDTH) {
        PyErr_SetString(PyExc_ValueError, "width: 1 to 32 complex figures");
        return -1;
    }
    memset(out, 0, sizeof(*out));
    return sum_words(words, lexicon, column, width, out->sums, out->up, &out->n_up, out->down, &out->n_down,
                     &out->known, &out->distinct);
}

/* (numbers, up, down, known, distinct): the first `count` of `numbers` as a list of floats,
 * then a reading's ranks and counts. A new reference, or NULL with an exception set. */
static PyObject *
reading_tuple(const double *numbers, Py_ssize_t count, const Reading *reading)
{
    PyObject *list = made_items(numbers, count, float_at, 1);
    if (list == NULL) {
        return NULL;
    }
    PyObject *up = ranks_tuple(reading->up, reading->n_up);
    PyObject *down = up ? ranks_tuple(reading->down, reading->n_down) : NULL;
    PyObject *out = down ? Py_BuildValue("(OOOnn)", list, up, down, reading->known, reading->distinct) : NULL;
    Py_DECREF(list);
    Py_XDECREF(up);
    Py_XDECREF(down);
    return out;
}

/* LinearTextModel.values of a reading: per output (one an intercept, a float), b + words share
 * * words norm + pieces share * pieces norm, left to right (the build forbids fused
 * multiply-adds: -ffp-contract=off, setup.py), into logits. 0, or -1 with an exception set. */
static int
reading_logits(const Reading *reading, PyObject *intercepts, double *logits)
{
    Py_ssize_t k = PyTuple_GET_SIZE(intercepts);
    const double *sums = reading->sums;
    double words_norm = sums[k] != 0.0 ? 1.0 / sqrt(sums[k]) : 0.0;
    double pieces_norm = sums[2 * k + 1] != 0.0 ? 1.0 / sqrt(sums[2 * k + 1]) : 0.0;
    for (Py_ssize_t c = 0; c < k; c++) {
        double b = PyFloat_AsDouble(PyTuple_GET_ITEM(intercepts, c));
        if (b == -1.0 && PyErr_Occurred()) {
            return -1;
        }
        logits[c] = b + sums[c] * words_norm + sums[k + 1 + c] * pieces_norm;
    }
    return 0;
}

PyDoc_STRVAR(linear_logits_doc,
"linear_logits(words, lexicon, width, intercepts, column=0) -> (logits, up, down, known, distinct)\n\n"
"LinearTextModel.logits: LinearTextModel.read's reading, made into each output's log-odds as\n"
"LinearTextModel.values does (intercepts: one float per output, width - 1 of them), in the same\n"
"operations and order, so the values are the Python code's to the last bit. The reading: the\n"
"sums over the ticket's distinct words (figures from lexicon: a Vocabulary's column, or a dict,\n"
"which learns a new word through __missing__; a Figures, see pack), each once in the order it\n"
"first occurs, then over its distinct known pairs of words, likewise; up and down are the four\n"
"smallest positive citing ranks of each side, ascending; known is how many of the distinct words\n"
"the words block knows, distinct how many there are.");

static PyObject *
linear_logits(PyObject *module, PyObject *args)
{
    PyObject *words, *lexicon, *intercepts;
    Py_ssize_t width;
    int column = 0;
    Reading reading;
    if (!PyArg_ParseTuple(args, "O!OnO!|i:linear_logits", &PyList_Type, &words, &lexicon, &width, &PyTuple_Type,
                          &intercepts, &column)) {
        return NULL;
    }
    Py_ssize_t k = width - 1;
    if (PyTuple_GET_SIZE(intercepts) != k) {
        PyErr_SetString(PyExc_ValueError, "intercepts: one per output, width - 1 of them");
        return NULL;
    }
    double logits[MAX_WIDTH];
    if (read_words(words, lexicon, width, column, &reading) < 0 || reading_logits(&reading, intercepts, logits) < 0) {
        return NULL;
    }
    return reading_tuple(logits, k, &reading);
}

/* -- the text model as a signal (rules/scoring.py, ModelSignal.hit_words) -----------------------
 * Per reading four Python calls (hit_words, TextModel.logit_words, LinearTextModel.logits,
 * known_words) around linear_logits, with a tuple of the cited words, a min, a max and a round:
 * model_signal reads and weighs in one call. */

/* known_words: how many of a text's `words` a model reads, knowing `known` of its `distinct`. */
static Py_ssize_t
words_read(Py_ssize_t words, Py_ssize_t known, Py_ssize_t distinct, double enough)
{
    if (distinct == 0) {
        return 0;
    }
    if ((double)known >= enough * (double)distinct) {
        return words;
    }
    return (Py_ssize_t)nearbyint((double)(words * known) / (enough * (double)distinct)); /* round(): half to even */
}

/* The terms at `ranks` (count of them) of `terms` (TextModel._cite_terms' list), as a tuple. */
static PyObject *
cited_terms(PyObject *terms, const long *ranks, int count)
{
    PyObject *out = PyTuple_New(count);
    for (int i = 0; out != NULL && i < count; i++) {
        PyObject *term = PyList_GetItem(terms, (Py_ssize_t)ranks[i]);
        if (term == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyTuple_SET_ITEM(out, i, Py_NewRef(term));
    }
    return out;
}

/* ModelSignal's plan (ModelSignal.plan): its numbers, and its wordings and citable terms. */
typedef struct {
    double weight, max_up, max_down, shortness, unread, enough;
    Py_ssize_t min_words;
    PyObject *intercepts, *says, *says_routine, *says_unread, *up_terms, *down_terms; /* borrowed */
} ModelPlan;

static int
read_model_plan(PyObject *plan, ModelPlan *out)
{
    if (!PyArg_ParseTuple(plan, "O!nddddddUUUO!O!:model_signal plan", &PyTuple_Type, &out->intercepts,
                          &out->min_words, &out->weight, &out->max_up, &out->max_down, &out->shortness, &out->unread,
                          &out->enough, &out->says, &out->says_routine, &out->says_unread, &PyList_Type,
                          &out->up_terms, &PyList_Type, &out->down_terms)) {
        return -1;
    }
    if (PyTuple_GET_SIZE(out->intercepts) != 1) {
        PyErr_SetString(PyExc_ValueError, "model_signal: a model of one output");
        return -1;
    }
    return 0;
}

/* round(value, 1), as Python rounds a float (correctly, to the nearest decimal). */
static PyObject *
round_tenth(double value)
{
    static PyObject *round_name = NULL, *one = NULL;
    if (round_name == NULL && ((round_name = PyUnicode_InternFromString("__round__")) == NULL
                               || (one = PyLong_FromLong(1)) == NULL)) {
        return NULL;
    }
    PyObject *number = PyFloat_FromDouble(value);
    PyObject *out = number != NULL ? PyObject_CallMethodOneArg(number, round_name, one) : NULL;
    Py_XDECREF(number);
    return out;
}

/* hit_words' weighing of a reading of `words` (their count) by `plan`: (says, weight, cited
 * words), or None. A new reference, or NULL with an exception set. */
static PyObject *
weigh_reading(const Reading *reading, Py_ssize_t words, const ModelPlan *plan)
{
    double logit;
    if (reading_logits(reading, plan->intercepts, &logit) < 0) {
        return NULL;
    }
    Py_ssize_t beyond = words_read(words, reading->known, reading->distinct, plan->enough) - plan->min_words;
    if (beyond <= 0) {
        if (plan->unread == 0.0) {
            Py_RETURN_NONE;
        }
        return Py_BuildValue("(Od())", plan->says_unread, -plan->unread);
    }
    double value = plan->weight * logit * (double)beyond / ((double)beyond + plan->shortness);
    value = value < plan->max_up ? value : plan->max_up;       /* min(max_up, value) */
    value = value > -plan->max_down ? value : -plan->max_down; /* max(-max_down, ...) */
    PyObject *rounded = round_tenth(value);
    if (rounded == NULL) {
        return NULL;
    }
    value = PyFloat_AS_DOUBLE(rounded);
    if (value == 0.0) {
        Py_DECREF(rounded);
        Py_RETURN_NONE;
    }
    PyObject *cited = logit >= 0 ? cited_terms(plan->up_terms, reading->up, reading->n_up)
                                 : cited_terms(plan->down_terms, reading->down, reading->n_down);
    PyObject *out = cited != NULL ? PyTuple_Pack(3, value > 0 ? plan->says : plan->says_routine, rounded, cited)
                                  : NULL;
    Py_DECREF(rounded);
    Py_XDECREF(cited);
    return out;
}

PyDoc_STRVAR(model_signal_doc,
"model_signal(words, length, lexicon, column, plan) -> (says, weight, words) or None\n\n"
"ModelSignal.hit_words: None where length (the text's words) is min_words or fewer; else the\n"
"model's reading of words (a list; lexicon and column as linear_logits') weighed as hit_words\n"
"does, with plan (ModelSignal.plan: intercepts, min_words, weight, max_up, max_down, short,\n"
"unread, KNOWN_ENOUGH, says, says_routine, says_unread, and the citable terms of each side):\n"
"the signal's wording, weight and cited words, or None where it weighs 0.");

static PyObject *
model_signal(PyObject *module, PyObject *args)
{
    PyObject *words, *lexicon, *plan_tuple;
    Py_ssize_t length;
    int column;
    ModelPlan plan;
    Reading reading;
    if (!PyArg_ParseTuple(args, "O!nOiO!:model_signal", &PyList_Type, &words, &length, &lexicon, &column,
                          &PyTuple_Type, &plan_tuple)
        || read_model_plan(plan_tuple, &plan) < 0) {
        return NULL;
    }
    if (length <= plan.min_words) {
        Py_RETURN_NONE; /* a one-liner: the concept signals judge it alone */
    }
    if (read_words(words, lexicon, 2, column, &reading) < 0) {
        return NULL;
    }
    return weigh_reading(&reading, PyList_GET_SIZE(words), &plan);
}

/* The lists of the found dict scan_fields is filling, by concept (HIT_LISTS of them; a concept
 * past them is looked up in the dict): borrowed, the dict holds them, and nothing else reads or
 * changes that dict before scan_fields returns it. Why: looking found[concept] up for each of a
 * ticket's concept hits (about 48) was 1 % of a decision's instructions (callgrind). One per
 * scan_fields call, the one in progress current (an outer one's kept, should a maker called
 * from a scan ever scan). */
#define HIT_LISTS 256

typedef struct {
    PyObject *found;
    PyObject *lists[HIT_LISTS];
} HitLists;

static HitLists *hit_lists = NULL;

/* found[concept].append((position, label)), making the list on a concept's first occurrence. */
static int
add_hit(PyObject *found, PyObject *concept, PyObject *position, PyObject *label)
{
    PyObject *entry = PyTuple_Pack(2, position, label);
    if (entry == NULL) {
        return -1;
    }
    PyObject **known = NULL;
    if (hit_lists != NULL && hit_lists->found == found && PyLong_CheckExact(concept)) {
        Py_ssize_t c = PyLong_AsSsize_t(concept);
        if (c >= 0 && c < HIT_LISTS) {
            known = &hit_lists->lists[c];
        }
        else if (c == -1 && PyErr_Occurred()) {
            PyErr_Clear(); /* (an int past Py_ssize_t: the dict's, as any other) */
        }
        if (known != NULL && *known != NULL) {
            int failed = PyList_Append(*known, entry);
            Py_DECREF(entry);
            return failed;
        }
    }
    PyObject *at = PyDict_GetItemWithError(found, concept);
    int failed;
    if (at != NULL) {
        failed = PyList_Append(at, entry);
    }
    else if (PyErr_Occurred()) {
        failed = -1;
    }
    else {
        PyObject *list = PyList_New(1);
        if (list == NULL) {
            Py_DECREF(entry);
            return -1;
        }
        Py_INCREF(entry);
        PyList_SET_ITEM(list, 0, entry);
        failed = PyDict_SetItem(found, concept, list);
        if (known != NULL && !failed) {
            *known = list;
        }
        Py_DECREF(list);
    }
    Py_DECREF(entry);
    return failed;
}

/* Whether `token` starts with `stem`'s first `length` characters (any kinds of string). */
static int
starts_with(PyObject *token, PyObject *stem, Py_ssize_t length)
{
    if (PyUnicode_GET_LENGTH(token) < length) {
        return 0;
    }
    int kt = PyUnicode_KIND(token), ks = PyUnicode_KIND(stem);
    const void *dt = PyUnicode_DATA(token), *ds = PyUnicode_DATA(stem);
    if (kt == ks) {
        return memcmp(dt, ds, (size_t)length * (size_t)kt) == 0;
    }
    for (Py_ssize_t c = 0; c < length; c++) {
        if (PyUnicode_READ(kt, dt, c) != PyUnicode_READ(ks, ds, c)) {
            return 0;
        }
    }
    return 1;
}

/* Python's _all_match: whether a phrase with a wildcard matches toks from start (the padding
 * "" at the end ends it). 1, 0, or -1 with an exception set. */
static int
all_match(PyObject *words, PyObject *toks, Py_ssize_t start)
{
    Py_ssize_t end = PyList_GET_SIZE(toks) - 1;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(words); k++) {
        PyObject *pattern = PyTuple_GET_ITEM(words, k);
        if (start + k >= end) {
            return 0;
        }
        PyObject *token = PyList_GET_ITEM(toks, start + k);
        if (!PyUnicode_Check(pattern) || !PyUnicode_Check(token)) {
            PyErr_SetString(PyExc_TypeError, "words and tokens: strings");
            return -1;
        }
        Py_ssize_t length = PyUnicode_GET_LENGTH(pattern);
        if (length && PyUnicode_READ_CHAR(pattern, length - 1) == '*') {
            if (!starts_with(token, pattern, length - 1)) {
                return 0;
            }
        }
        else {
            int same = PyUnicode_Compare(token, pattern);
            if (same == -1 && PyErr_Occurred()) {
                return -1;
            }
            if (same != 0) {
                return 0;
            }
        }
    }
    return 1;
}

/* Python's _confirm: add the phrases among `terms` (each a _Term: concept, label, words, anchor,
 * exact), anchored at toks[i], that toks holds there. */
static int
confirm(PyObject *terms, PyObject *toks, Py_ssize_t i, Py_ssize_t offset, PyObject *found)
{
    if (!PyTuple_Check(terms)) {
        PyErr_SetString(PyExc_TypeError, "phrases: a tuple of terms");
        return -1;
    }
    Py_ssize_t n = PyList_GET_SIZE(toks);
    for (Py_ssize_t t = 0; t < PyTuple_GET_SIZE(terms); t++) {
        PyObject *term = PyTuple_GET_ITEM(terms, t);
        if (!PyTuple_Check(term) || PyTuple_GET_SIZE(term) != 5 || !PyTuple_Check(PyTuple_GET_ITEM(term, 2))) {
            PyErr_SetString(PyExc_TypeError, "a term: (concept, label, words, anchor, exact)");
            return -1;
        }
        PyObject *words = PyTuple_GET_ITEM(term, 2);
        Py_ssize_t anchor = PyLong_AsSsize_t(PyTuple_GET_ITEM(term, 3));
        if (anchor == -1 && PyErr_Occurred()) {
            return -1;
        }
        Py_ssize_t start = i - anchor, length = PyTuple_GET_SIZE(words);
        if (start < 0) {
            continue;
        }
        PyObject *label;
        if (PyTuple_GET_ITEM(term, 4) == Py_True) {
            if (length > 2) {  /* two-word phrases were confirmed by the word beside the anchor */
                if (start + length > n) {
                    continue;
                }
                int same = 1;
                for (Py_ssize_t k = 0; k < length && same == 1; k++) {
                    same = PyObject_RichCompareBool(PyList_GET_ITEM(toks, start + k), PyTuple_GET_ITEM(words, k),
                                                    Py_EQ);
                }
                if (same < 0) {
                    return -1;
                }
                if (!same) {
                    continue;
                }
            }
            label = PyTuple_GET_ITEM(term, 1);
            Py_INCREF(label);
        }
        else {
            int match = all_match(words, toks, start);
            if (match <= 0) {
                if (match < 0) {
                    return -1;
                }
                continue;
            }
            /* the ticket's words, not the pattern (all_match checked they are there) */
            PyObject *slice = PyList_GetSlice(toks, start, start + length);
            PyObject *space = slice ? PyUnicode_FromOrdinal(' ') : NULL;
            label = space ? PyUnicode_Join(space, slice) : NULL;
            Py_XDECREF(space);
            Py_XDECREF(slice);
            if (label == NULL) {
                return -1;
            }
        }
        PyObject *position = PyLong_FromSsize_t(offset + start);
        int failed = position ? add_hit(found, PyTuple_GET_ITEM(term, 0), position, label) : -1;
        Py_XDECREF(position);
        Py_DECREF(label);
        if (failed) {
            return -1;
        }
    }
    return 0;
}

/* A word's concept entry, packed in one block: its one-word terms' (concept, label) inline and
 * the exact phrases it anchors as open-addressing tables by the word after it and the word
 * before it (as a Figures' pairs), beside its phrases with a wildcard. Why: the scan went from
 * the entry tuple to its singles tuple to each (concept, label) tuple and into a dict per side,
 * each a likely cache miss, for about 36 of a ticket's 85 words (perf: most of concept_scan's
 * own samples); the block is two or three lines, asked for ahead with the slot's other values.
 * Holds the Python entry (`source`) it was made from, so every object it points to stays; like
 * Figures it leads back to nothing and is not tracked by the garbage collector. */
typedef struct {
    PyObject_VAR_HEAD   /* ob_size: the one-word terms */
    PyObject *source;   /* (singles, right, left, loose): holds every reference below */
    PyObject *loose;    /* the phrases with a wildcard (a tuple of terms), or NULL */
    Pair *sides[2];     /* by the word after the anchor, by the word before it; NULL: none */
    size_t masks[2];
    PyObject *singles[1]; /* concept, label, concept, label... (2 * ob_size) */
} Entry;

static void
entry_dealloc(PyObject *self)
{
    Entry *e = (Entry *)self;
    PyMem_Free(e->sides[0]);
    PyMem_Free(e->sides[1]);
    Py_XDECREF(e->source);
    PyObject_Free(self);
}

static PyTypeObject EntryType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rules._accel.Entry",
    .tp_basicsize = offsetof(Entry, singles),
    .tp_itemsize = 2 * sizeof(PyObject *),
    .tp_dealloc = entry_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A word's concept entry packed for concept_scan (rules/_accel.c says why).",
};

/* The table of `dict` (str -> a tuple of terms) into *out and *mask (NULL for an empty or absent
 * one): 0, or -1 with an exception set. Borrowed references: the entry's source holds them. */
static int
entry_side(PyObject *dict, Pair **out, size_t *mask)
{
    if (dict == Py_None) {
        return 0;
    }
    if (!PyDict_CheckExact(dict)) {
        PyErr_SetString(PyExc_TypeError, "an entry's phrases: a dict of the word beside -> terms, or None");
        return -1;
    }
    return open_table(dict, &PyTuple_Type, "an entry's phrases: a dict of the word beside (str) -> terms", out,
                      mask);
}

/* The terms of a side's table for `word` (a str), borrowed, or NULL. */
static inline PyObject *
entry_find(const Pair *pairs, size_t mask, PyObject *word)
{
    Py_hash_t hash = word_hash(word);
    if (hash == -1) {
        PyErr_Clear(); /* (a token is a str: never) */
        return NULL;
    }
    for (size_t i = SPREAD(hash) & mask; pairs[i].key != NULL; i = (i + 1) & mask) {
        if (pairs[i].key == word || (pairs[i].hash == hash && same_text(pairs[i].key, word))) {
            return pairs[i].figures;
        }
    }
    return NULL;
}

PyDoc_STRVAR(entry_doc,
"entry(found) -> Entry\n\n"
"A word's concept entry (Lexicons._terms_for: singles, right, left, loose) packed for\n"
"concept_scan; None stays None.");

static PyObject *
entry(PyObject *module, PyObject *found)
{
    if (found == Py_None) {
        Py_RETURN_NONE;
    }
    if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 4 || !PyTuple_Check(PyTuple_GET_ITEM(found, 0))) {
        PyErr_SetString(PyExc_TypeError, "entry: (singles, right, left, loose) or None");
        return NULL;
    }
    PyObject *singles = PyTuple_GET_ITEM(found, 0), *loose = PyTuple_GET_ITEM(found, 3);
    Py_ssize_t count = PyTuple_GET_SIZE(singles);
    if (loose != Py_None && !PyTuple_Check(loose)) {
        PyErr_SetString(PyExc_TypeError, "entry: loose phrases, a tuple of terms or None");
        return NULL;
    }
    Entry *out = PyObject_NewVar(Entry, &EntryType, count);
    if (out == NULL) {
        return NULL;
    }
    out->source = Py_NewRef(found);
    out->loose = loose == Py_None ? NULL : loose;
    out->sides[0] = out->sides[1] = NULL;
    out->masks[0] = out->masks[1] = 0;
    for (Py_ssize_t s = 0; s < count; s++) {
        PyObject *single = PyTuple_GET_ITEM(singles, s);
        if (!PyTuple_Check(single) || PyTuple_GET_SIZE(single) != 2) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "a one-word term: (concept, label)");
            return NULL;
        }
        out->singles[2 * s] = PyTuple_GET_ITEM(single, 0);
        out->singles[2 * s + 1] = PyTuple_GET_ITEM(single, 1);
    }
    for (int side = 0; side < 2; side++) {
        if (entry_side(PyTuple_GET_ITEM(found, 1 + side), &out->sides[side], &out->masks[side]) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return (PyObject *)out;
}

/* concept_scan's work for toks[i] where its entry is an Entry: as the tuple's, in the same
 * order (singles, then phrases by the word after, by the word before, with a wildcard). */
static int
scan_entry(const Entry *e, PyObject *toks, Py_ssize_t i, Py_ssize_t n, Py_ssize_t offset, PyObject *found)
{
    Py_ssize_t count = Py_SIZE(e);
    if (count) {
        PyObject *position = PyLong_FromSsize_t(offset + i);
        if (position == NULL) {
            return -1;
        }
        int failed = 0;
        for (Py_ssize_t s = 0; s < count && !failed; s++) {
            failed = add_hit(found, e->singles[2 * s], position, e->singles[2 * s + 1]);
        }
        Py_DECREF(position);
        if (failed) {
            return -1;
        }
    }
    for (int side = 0; side < 2; side++) {
        /* (the padding "" at the end stands before the first word, as toks[-1] does in Python) */
        Py_ssize_t beside = side == 0 ? i + 1 : (i > 0 ? i - 1 : n - 1);
        if (e->sides[side] == NULL || beside >= n) {
            continue;
        }
        PyObject *terms = entry_find(e->sides[side], e->masks[side], PyList_GET_ITEM(toks, beside));
        if (terms != NULL && confirm(terms, toks, i, offset, found) < 0) {
            return -1;
        }
    }
    return e->loose != NULL ? confirm(e->loose, toks, i, offset, found) : 0;
}

PyDoc_STRVAR(concept_scan_doc,
"concept_scan(vocabulary, toks, offset, found, column=0)\n\n"
"Lexicons.scan: look every token up in the vocabulary (a Vocabulary's column, or a dict that\n"
"learns new words through its __missing__; an entry is Lexicons._terms_for's tuple, or that packed\n"
"by entry), add each one-word term's (offset + position, label) to found[concept], and\n"
"confirm the phrases a token anchors, where the word beside it fits, as the Python _confirm.");

/* concept_scan's loop over toks (a list ending with its padding ""), the table checked: 0, or -1
 * with an exception set. */
static int
scan_tokens(PyObject *vocabulary, int column, PyObject *toks, Py_ssize_t offset, PyObject *found)
{
    Py_ssize_t n = PyList_GET_SIZE(toks);
    const Vocabulary *ahead = Py_IS_TYPE(vocabulary, &VocabularyType) ? (const Vocabulary *)vocabulary : NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        /* (the models' values too: they read the same words soon after, each a Figures of two or
         * three lines; a maker may have moved the slots: read afresh each time) */
        if (ahead != NULL && i % CHUNK == 0) {
            vocabulary_prefetch_chunk(ahead, toks, i, n, 0, ahead->columns - 1, FIGURES_LINES);
        }
        PyObject *info = word_value(vocabulary, column, PyList_GET_ITEM(toks, i), NULL);
        if (info == NULL) {
            return -1;
        }
        if (info == Py_None) {
            Py_DECREF(info);
            continue;
        }
        if (Py_IS_TYPE(info, &EntryType)) {
            int failed = scan_entry((const Entry *)info, toks, i, n, offset, found);
            Py_DECREF(info);
            if (failed) {
                return -1;
            }
            continue;
        }
        if (!PyTuple_Check(info) || PyTuple_GET_SIZE(info) != 4 || !PyTuple_Check(PyTuple_GET_ITEM(info, 0))) {
            Py_DECREF(info);
            PyErr_SetString(PyExc_TypeError, "vocabulary entry: (singles, right, left, loose) or None");
            return -1;
        }
        int failed = 0;
        PyObject *singles = PyTuple_GET_ITEM(info, 0);
        Py_ssize_t count = PyTuple_GET_SIZE(singles);
        if (count) {
            PyObject *position = PyLong_FromSsize_t(offset + i);
            if (position == NULL) {
                Py_DECREF(info);
                return -1;
            }
            for (Py_ssize_t s = 0; s < count && !failed; s++) {
                PyObject *single = PyTuple_GET_ITEM(singles, s);
                if (!PyTuple_Check(single) || PyTuple_GET_SIZE(single) != 2) {
                    PyErr_SetString(PyExc_TypeError, "a one-word term: (concept, label)");
                    failed = -1;
                    break;
                }
                failed = add_hit(found, PyTuple_GET_ITEM(single, 0), position, PyTuple_GET_ITEM(single, 1));
            }
            Py_DECREF(position);
        }
        /* Phrases: by the word after the anchor, by the word before it (the padding "" at the
         * end stands before the first word, as toks[-1] does in Python), with a wildcard. */
        for (int side = 1; side <= 3 && !failed; side++) {
            PyObject *table = PyTuple_GET_ITEM(info, side);
            if (table == Py_None) {
                continue;
            }
            PyObject *terms = table;
            if (side < 3) {
                Py_ssize_t beside = side == 1 ? i + 1 : (i > 0 ? i - 1 : n - 1);
                if (beside >= n || !PyDict_Check(table)) {
                    continue;
                }
                terms = PyDict_GetItemWithError(table, PyList_GET_ITEM(toks, beside));
                if (terms == NULL) {
                    failed = PyErr_Occurred() ? -1 : 0;
                    continue;
                }
            }
            failed = confirm(terms, toks, i, offset, found);
        }
        Py_DECREF(info);
        if (failed) {
            return -1;
        }
    }
    return 0;
}

static PyObject *
concept_scan(PyObject *module, PyObject *args)
{
    PyObject *vocabulary, *toks, *found;
    Py_ssize_t offset;
    int column = 0;
    if (!PyArg_ParseTuple(args, "OO!nO!|i:concept_scan", &vocabulary, &PyList_Type, &toks, &offset, &PyDict_Type,
                          &found, &column)
        || check_table(vocabulary, column) < 0 || scan_tokens(vocabulary, column, toks, offset, found) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* What an ASCII character is to tokens() (rules/concepts.py): part of a word (lower-cased),
 * a separator (str.split's ASCII whitespace, and the punctuation _SPLIT turns into a space: all
 * of string.punctuation but "#" and the apostrophe), or dropped (the apostrophe). */
enum { WORD = 0, SEPARATOR = 1, DROPPED = 2 };
static unsigned char ascii_class[128];

static void
init_ascii_class(void)
{
    const char *punctuation = "!\"$%&()*+,-./:;<=>?@[\\]^_`{|}~"; /* string.punctuation but # and ' */
    for (const char *p = punctuation; *p; p++) {
        ascii_class[(unsigned char)*p] = SEPARATOR;
    }
    for (int c = 0x09; c <= 0x0d; c++) {
        ascii_class[c] = SEPARATOR;
    }
    for (int c = 0x1c; c <= 0x20; c++) {
        ascii_class[c] = SEPARATOR;
    }
    ascii_class['\''] = DROPPED;
}

/* The words of a text being split: their characters one after the other (`chars`, `length` of
 * them), where each word starts, is long and hashes to (`words`, `count` of them), and where the
 * word being read starts. The str objects are made at the end (splitter_done), where a word the
 * vocabulary `known` holds is its key, the very object: no str is made, filled and freed for it,
 * and the scan's and the models' probes of the word find their slot by identity, its hash
 * already there. Why: a ticket's 85 words were 85 new str objects a decision, and the probes
 * compared each one's text with the slot's (callgrind: 3.5 % of a decision's instructions). */
typedef struct {
    size_t start, length;
    Py_hash_t hash;
} Word;

typedef struct {
    char *chars;
    size_t length, capacity, start;
    Word *words;
    Py_ssize_t count, room;
    const Vocabulary *known; /* NULL: every word a new str */
} Splitter;

static int
splitter_init(Splitter *split, size_t capacity, const Vocabulary *known)
{
    split->chars = PyMem_Malloc(capacity + 1);
    split->length = split->start = 0;
    split->capacity = capacity;
    split->room = 16;
    split->words = PyMem_Malloc((size_t)split->room * sizeof(Word));
    split->count = 0;
    split->known = known;
    if (split->chars == NULL || split->words == NULL) {
        PyMem_Free(split->chars);
        PyMem_Free(split->words);
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void
splitter_free(Splitter *split)
{
    PyMem_Free(split->chars);
    PyMem_Free(split->words);
}

/* One word as a str: `key` (the vocabulary's key for it), else a new str with its hash set (the
 * hash a str of that text has: _Py_HashBytes of its characters, as unicode_hash works it out). */
static PyObject *
splitter_word(const Splitter *split, const Word *w, PyObject *key)
{
    if (key != NULL) {
        Py_INCREF(key);
        return key;
    }
    PyObject *token = PyUnicode_New((Py_ssize_t)w->length, 127);
    if (token != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(token), split->chars + w->start, w->length);
        ((PyASCIIObject *)token)->hash = w->hash;
    }
    return token;
}

/* The words as a list of str, or NULL with an exception set (also when `failed`); the splitter
 * freed. The vocabulary's keys are found first, each key object asked of memory (its reference
 * count is written, a line of cold memory), then taken. */
static PyObject *
splitter_done(Splitter *split, int failed)
{
    PyObject *out = failed ? NULL : PyList_New(split->count);
    if (out != NULL && split->known != NULL) {
        for (Py_ssize_t i = 0; i < split->count; i++) {
            const Word *w = &split->words[i];
            PyObject *key = vocabulary_key(split->known, split->chars + w->start, w->length, w->hash);
            if (key != NULL) {
                __builtin_prefetch(key, 1);
            }
            PyList_SET_ITEM(out, i, key); /* borrowed until the loop below */
        }
    }
    for (Py_ssize_t i = 0; out != NULL && i < split->count; i++) {
        PyObject *token = splitter_word(split, &split->words[i], split->known ? PyList_GET_ITEM(out, i) : NULL);
        if (token == NULL) {
            for (Py_ssize_t j = i; j < split->count; j++) {
                PyList_SET_ITEM(out, j, NULL);
            }
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, i, token);
    }
    splitter_free(split);
    return out;
}

/* The word read so far ends: kept, hashed, and the slot its probe starts at asked of memory
 * (splitter_done reads it, a field's words later); the next word starts. */
static int
splitter_emit(Splitter *split)
{
    if (split->count == split->room) {
        Word *more = PyMem_Realloc(split->words, 2 * (size_t)split->room * sizeof(Word));
        if (more == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        split->words = more;
        split->room *= 2;
    }
    Word *w = &split->words[split->count++];
    w->start = split->start;
    w->length = split->length - split->start;
    w->hash = _Py_HashBytes(split->chars + w->start, (Py_ssize_t)w->length);
    if (split->known != NULL) {
        vocabulary_prefetch_hash(split->known, w->hash);
    }
    split->start = split->length;
    return 0;
}

/* Room for more characters (a folded character can stand for several: "ss", "ae"). */
static int
splitter_grow(Splitter *split)
{
    char *more = PyMem_Realloc(split->chars, 2 * split->capacity + 1);
    if (more == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    split->chars = more;
    split->capacity = 2 * split->capacity;
    return 0;
}

/* One character of the folded text (ASCII, already lower-cased). Inlined in the loops over a
 * text's characters: it was a call per character, a tenth of splitting a field (callgrind,
 * docs/benchmarks.md, ninth round); the rare paths (a word made, more room) stay calls. */
static inline Py_ALWAYS_INLINE int
splitter_feed(Splitter *split, int c)
{
    int kind = ascii_class[c];
    if (kind == WORD) {
        if (split->length == split->capacity && splitter_grow(split) < 0) {
            return -1;
        }
        split->chars[split->length++] = (char)c;
        return 0;
    }
    if (kind == SEPARATOR && split->length > split->start) {
        return splitter_emit(split);
    }
    return 0;
}

PyDoc_STRVAR(ascii_words_doc,
"ascii_words(text) -> list of str\n\n"
"tokens(text) for an ASCII text, in one pass: lower-cased, the apostrophe dropped, punctuation\n"
"but '#' and whitespace separating words (Python: text.lower().encode().translate(_SPLIT,\n"
"b\"'\").decode().split()). Raises ValueError for a text that is not ASCII.");

static PyObject *split_ascii(PyObject *text, const Vocabulary *known);

static PyObject *
ascii_words(PyObject *module, PyObject *text)
{
    if (!PyUnicode_Check(text) || !PyUnicode_IS_ASCII(text)) {
        PyErr_SetString(PyExc_ValueError, "ascii_words: an ASCII str");
        return NULL;
    }
    return split_ascii(text, NULL);
}

/* ascii_words of an ASCII str (checked by the caller), its words that `known` holds (unless
 * NULL) given as its keys (Splitter). */
static PyObject *
split_ascii(PyObject *text, const Vocabulary *known)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const Py_UCS1 *data = PyUnicode_1BYTE_DATA(text);
    Splitter split;
    if (splitter_init(&split, (size_t)n, known) < 0) {
        return NULL;
    }
    int failed = 0;
    for (Py_ssize_t i = 0; i < n && !failed; i++) {
        int c = data[i];
        failed = splitter_feed(&split, c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    if (!failed) {
        failed = splitter_feed(&split, ' '); /* the last word */
    }
    return splitter_done(&split, failed);
}

PyDoc_STRVAR(folded_words_doc,
"folded_words(text, table) -> list of str, or None\n\n"
"tokens(text) without fold's decomposition: ASCII characters lower-cased, each other one\n"
"replaced by table[ord(c) - 128] (what fold() makes of it alone: an ASCII str), then split as\n"
"ascii_words; None when the text has a character past the table or whose entry is None (a\n"
"letter fold keeps, an accent on its own), which the Python code folds.");

/* folded_words of a str, its words that `known` holds (unless NULL) given as its keys
 * (Splitter): a new list, a new reference to None (a text fold must decompose), or NULL with an
 * exception set. */
static PyObject *
split_folded(PyObject *text, PyObject *table, const Vocabulary *known)
{
    Py_ssize_t pieces = PyTuple_GET_SIZE(table);
    int kind = PyUnicode_KIND(text);
    if (kind == PyUnicode_4BYTE_KIND) {
        Py_RETURN_NONE; /* past any table: emoji, historic scripts */
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const void *data = PyUnicode_DATA(text);
    Splitter split;
    if (splitter_init(&split, (size_t)n, known) < 0) {
        return NULL;
    }
    int failed = 0;
    for (Py_ssize_t i = 0; i <= n && !failed; i++) {
        Py_UCS4 c = i < n ? PyUnicode_READ(kind, data, i) : ' ';
        if (c < 128) {
            failed = splitter_feed(&split, c >= 'A' && c <= 'Z' ? (int)c + 32 : (int)c);
            continue;
        }
        PyObject *piece = (Py_ssize_t)c - 128 < pieces ? PyTuple_GET_ITEM(table, c - 128) : Py_None;
        if (piece == Py_None) {
            splitter_free(&split);
            Py_RETURN_NONE;
        }
        if (!PyUnicode_Check(piece) || !PyUnicode_IS_ASCII(piece)) {
            PyErr_SetString(PyExc_TypeError, "table: ASCII str or None");
            failed = -1;
            break;
        }
        const Py_UCS1 *chars = PyUnicode_1BYTE_DATA(piece);
        for (Py_ssize_t k = 0; k < PyUnicode_GET_LENGTH(piece) && !failed; k++) {
            failed = splitter_feed(&split, chars[k]);
        }
    }
    return splitter_done(&split, failed);
}

static PyObject *
folded_words(PyObject *module, PyObject *args)
{
    PyObject *text, *table;
    if (!PyArg_ParseTuple(args, "UO!:folded_words", &text, &PyTuple_Type, &table)) {
        return NULL;
    }
    return split_folded(text, table, NULL);
}

/* Whether c is a Chinese, Japanese or Thai character, a word of its own (concepts._UNSPACED_SCRIPTS). */
static inline int
unspaced_script(Py_UCS4 c)
{
    return (c >= 0x0e00 && c <= 0x0e7f) || (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff)
           || (c >= 0xf900 && c <= 0xfaff);
}

/* Whether c is a letter of the scripts fold() keeps (concepts._KEPT_SCRIPTS: the spaced ones, Greek,
 * Cyrillic, Hebrew, Arabic, Devanagari and Korean, and the unspaced ones). */
static inline int
kept_script(Py_UCS4 c)
{
    return (c >= 0x0370 && c <= 0x04ff) || (c >= 0x0590 && c <= 0x06ff) || (c >= 0x0900 && c <= 0x097f)
           || (c >= 0x1100 && c <= 0x11ff) || (c >= 0xac00 && c <= 0xd7af) || unspaced_script(c);
}

/* Whether a str's characters (kind, data, n) hold a letter of a kept script; a Latin-1 one holds none. */
static int
holds_kept_script(int kind, const void *data, Py_ssize_t n)
{
    if (kind == PyUnicode_1BYTE_KIND) {
        return 0; /* nothing above U+00FF */
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (kept_script(PyUnicode_READ(kind, data, i))) {
            return 1;
        }
    }
    return 0;
}

PyDoc_STRVAR(other_script_doc,
"other_script(text) -> bool\n\n"
"Whether text holds a letter of the scripts fold() keeps (Greek, Cyrillic, Hebrew, Arabic,\n"
"Devanagari, Thai, Korean, Chinese, Japanese: rules/concepts.py's _KEPT_SCRIPTS, U+0370-U+04FF,\n"
"U+0590-U+06FF, U+0900-U+097F, U+0E00-U+0E7F, U+1100-U+11FF, U+3040-U+30FF, U+3400-U+4DBF, U+4E00-U+9FFF,\n"
"U+AC00-U+D7AF, U+F900-U+FAFF),\n"
"as\n"
"_OTHER_SCRIPT.search(text) is not None; a Latin-1 text is answered without reading it.");

static PyObject *
other_script(PyObject *module, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "other_script: a str");
        return NULL;
    }
    return PyBool_FromLong(holds_kept_script(PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)));
}

PyDoc_STRVAR(kept_words_doc,
"kept_words(decomposed) -> list of str\n\n"
"tokens(text) from fold's decomposition of text (concepts._decomposed: lower-cased, _SPECIAL\n"
"replaced, NFKD), in one pass: what fold does after it (without a kept script, every character\n"
"that is not ASCII dropped; with one, the scripts' punctuation a space, their optional marks\n"
"and every other character that is not ASCII dropped, each Chinese, Japanese or Thai character a\n"
"word of its own) and the split tokens does (an ASCII result as ascii_words, lower-cased; any\n"
"other as bytes.translate(_SPLIT, b\"'\") and str.split(), which lower nothing).");

/* Why: a Greek, Russian, Arabic, Chinese, Japanese or Korean field was folded by three regular
 * expressions (one calling a Python function per Chinese character), a str.translate and an
 * encode, translate, decode and split: 7.5 % of a decision's instructions over the blind sets,
 * for the tenth of their tickets in those scripts (callgrind). */
static PyObject *
kept_words(PyObject *module, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "kept_words: a str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int other = holds_kept_script(kind, data, n);
    /* fold's result: at most three characters for one (" 字 "), and a space at the end */
    Py_UCS4 *folded = PyMem_Malloc(((size_t)n * 3 + 1) * sizeof(Py_UCS4));
    if (folded == NULL) {
        return PyErr_NoMemory();
    }
    Py_ssize_t length = 0;
    int ascii = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 128) {
            folded[length++] = c;
        }
        else if (!other) {
            continue; /* decomposed.encode("ascii", "ignore") */
        }
        else if (c == 0x0387 || c == 0x037e || c == 0x060c || c == 0x061b || c == 0x061f || c == 0x06d4
                 || (c >= 0x066a && c <= 0x066c) || c == 0x0964 || c == 0x0965) {
            folded[length++] = ' '; /* _SCRIPT_PUNCTUATION */
        }
        else if ((c >= 0x0300 && c <= 0x036f) || (c >= 0x064b && c <= 0x065f) || c == 0x0670 || c == 0x0640
                 || (c >= 0x0e47 && c <= 0x0e4c) || c == 0x0e4e || c == 0x3099 || c == 0x309a || !kept_script(c)) {
            continue; /* _DROPPED_MARKS, _NOT_KEPT */
        }
        else if (unspaced_script(c)) {
            folded[length++] = ' '; /* _UNSPACED: " c " */
            folded[length++] = c;
            folded[length++] = ' ';
            ascii = 0;
        }
        else {
            folded[length++] = c;
            ascii = 0;
        }
    }
    folded[length++] = ' '; /* the last word */
    PyObject *out = PyList_New(0);
    Py_UCS4 *word = folded; /* the word being read, made in place over what has been read */
    Py_ssize_t size = 0;
    for (Py_ssize_t i = 0; i < length && out != NULL; i++) {
        Py_UCS4 c = folded[i];
        int class = c < 128 ? ascii_class[c] : WORD;
        if (class == WORD) {
            word[size++] = ascii && c >= 'A' && c <= 'Z' ? c + 32 : c;
        }
        else if (class == SEPARATOR && size) {
            PyObject *token = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, word, size);
            if (token == NULL || PyList_Append(out, token) < 0) {
                Py_CLEAR(out);
            }
            Py_XDECREF(token);
            word = folded + i + 1;
            size = 0;
        }
        else if (class == SEPARATOR) {
            word = folded + i + 1;
        }
    }
    PyMem_Free(folded);
    return out;
}

/* Whether a str of two or four bytes a character holds a Chinese, Japanese or Thai character as
 * written (concepts._UNSPACED_RAW: half-width katakana too). A loop of its own for each kind, each
 * character first compared with U+0E00 (Thai, the lowest of them), below which most are, then
 * with U+3040, below which a Latin text's others are (typographic quotes, dashes): read through
 * PyUnicode_READ, the kind tested for each character, this search was 0.6 % of a decision's
 * instructions (the texts of a French or German ticket with typographic quotes are two bytes a
 * character). */
static int
has_unspaced(PyObject *text)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (PyUnicode_KIND(text) == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *data = PyUnicode_2BYTE_DATA(text);
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = data[i];
            if (c >= 0x0e00 && (c <= 0x0e7f || (c >= 0x3040 && (unspaced_script(c) || (c >= 0xff66 && c <= 0xff9f))))) {
                return 1;
            }
        }
        return 0;
    }
    const Py_UCS4 *data = PyUnicode_4BYTE_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = data[i];
        if (c >= 0x0e00 && (c <= 0x0e7f || (c >= 0x3040 && (unspaced_script(c) || (c >= 0xff66 && c <= 0xff9f))))) {
            return 1;
        }
    }
    return 0;
}

PyDoc_STRVAR(model_words_doc,
"model_words(words, texts, fields, limit) -> (read, length), or None\n\n"
"scoring._model_words from a view's words (each field's list ending with its padding \"\"):\n"
"the fields' words one after the other (length: how many), and read, those without the\n"
"Chinese, Japanese and Thai characters (concepts.without_characters: the same list where no text\n"
"has one); None where the texts (texts[name] for name in fields, a str or None or missing)\n"
"are longer together than limit less a line break between each, or are not str, which the\n"
"Python code reads.");

/* Why: the Python copy and pop per field, and without_characters' generator and regular
 * expression over every text that is not ASCII (a French or German ticket's whole text, each
 * reading of the models), were 7 % of a decision's instructions (callgrind). */
static PyObject *
model_words(PyObject *module, PyObject *args)
{
    PyObject *fields_words, *texts, *fields;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "O!O!O!n:model_words", &PyList_Type, &fields_words, &PyDict_Type, &texts,
                          &PyTuple_Type, &fields, &limit)) {
        return NULL;
    }
    Py_ssize_t total = PyTuple_GET_SIZE(fields) - 1, count = 0;
    int unspaced = 0;
    for (Py_ssize_t f = 0; f < PyTuple_GET_SIZE(fields); f++) {
        PyObject *text = PyDict_GetItemWithError(texts, PyTuple_GET_ITEM(fields, f));
        if (text == NULL && PyErr_Occurred()) {
            return NULL;
        }
        if (text == NULL || text == Py_None) {
            continue;
        }
        if (!PyUnicode_Check(text)) {
            Py_RETURN_NONE;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(text);
        total += n;
        int kind = PyUnicode_KIND(text);
        if (kind == PyUnicode_1BYTE_KIND || unspaced) {
            continue; /* nothing past U+00FF: no such character */
        }
        unspaced = has_unspaced(text);
    }
    if (total > limit) {
        Py_RETURN_NONE;
    }
    for (Py_ssize_t f = 0; f < PyList_GET_SIZE(fields_words); f++) {
        PyObject *toks = PyList_GET_ITEM(fields_words, f);
        if (!PyList_Check(toks) || PyList_GET_SIZE(toks) < 1) {
            PyErr_SetString(PyExc_TypeError, "model_words: each field's words, a list ending with its padding");
            return NULL;
        }
        count += PyList_GET_SIZE(toks) - 1;
    }
    PyObject *words = PyList_New(count), *read = NULL;
    if (words == NULL) {
        return NULL;
    }
    Py_ssize_t at = 0, kept = 0;
    for (Py_ssize_t f = 0; f < PyList_GET_SIZE(fields_words); f++) {
        PyObject *toks = PyList_GET_ITEM(fields_words, f);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(toks) - 1; i++) {
            PyObject *word = PyList_GET_ITEM(toks, i);
            Py_INCREF(word);
            PyList_SET_ITEM(words, at++, word);
            kept += !(unspaced && PyUnicode_Check(word) && PyUnicode_GET_LENGTH(word) == 1
                      && unspaced_script(PyUnicode_READ_CHAR(word, 0)));
        }
    }
    if (kept == count) {
        read = words;
        Py_INCREF(read);
    }
    else if ((read = PyList_New(kept)) != NULL) {
        for (Py_ssize_t i = 0, k = 0; i < count; i++) {
            PyObject *word = PyList_GET_ITEM(words, i);
            if (!(PyUnicode_Check(word) && PyUnicode_GET_LENGTH(word) == 1
                  && unspaced_script(PyUnicode_READ_CHAR(word, 0)))) {
                Py_INCREF(word);
                PyList_SET_ITEM(read, k++, word);
            }
        }
    }
    PyObject *out = read != NULL ? Py_BuildValue("(Nn)", read, count) : NULL;
    Py_DECREF(words);
    return out;
}

/* A tuple of at most `limit` ints, each in [0, limit) (distinct ids: no more than there are),
 * into out: 0, or -1 with an exception set. */
static int
read_ids(PyObject *ids, Py_ssize_t limit, Py_ssize_t *out, Py_ssize_t *count)
{
    if (!PyTuple_Check(ids) || PyTuple_GET_SIZE(ids) > limit) {
        PyErr_SetString(PyExc_TypeError, "gate: tuples of distinct ids");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(ids);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t id = PyLong_AsSsize_t(PyTuple_GET_ITEM(ids, i));
        if (id < 0 || id >= limit) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "gate: an id out of range");
            }
            return -1;
        }
        out[i] = id;
    }
    *count = n;
    return 0;
}

PyDoc_STRVAR(gate_doc,
"gate(found, woken, always, needed, any_of) -> list of int\n\n"
"Scorer.gate: the signals to check for a ticket whose concepts are found's keys, ascending:\n"
"those woken by a concept it shows (woken[concept], a tuple of signal numbers) or always\n"
"looked at (always), whose needed concepts (needed[k]) all occur and, where any_of[k] is not\n"
"empty, one of whose any_of concepts occurs. Each tuple holds distinct ids.");


/* -- the plain signals' checks (rules/scoring.py, _compile_check's `check`) --------------------
 * Per decision about 4.5 plain signals pass the gate and were checked by a Python closure each
 * (a call, a few dict lookups, a tuple): 20 % of a decision was the bytecode loop (docs/
 * benchmarks.md, ninth round, fourth pass). `gate_core` gates and checks them in one pass: for
 * `signal_hits` (the product's path), and `gate_check` (the same, its items as a list: what
 * tests/rules/test_accel.py compares with the Python checks). */

#define PLAIN_WORDS 32 /* words a plain check collects at most: all_of + any_of's + near's two */
#define FIELD_SPANS 3  /* scoring.FIELDS: subject, description, comment */

static int position_word(PyObject *pair, Py_ssize_t *p, PyObject **w);

/* Where a signal's words may be (Scorer._positions): not right after a negation (negs, the
 * negation concept's (position, word) list, or NULL where the signal counts negated words or
 * the ticket has none) and, where n_spans >= 0, inside one of the spans of the fields it reads. */
typedef struct {
    PyObject *negs;
    Py_ssize_t spans[FIELD_SPANS][2];
    int n_spans; /* -1: every field */
} Reach;

/* Whether position p comes right after a negation (scoring.NEGATION_REACH = 3 positions):
 * negs is the negation concept's (position, word) list, or NULL. 1, 0, or -1 on an error. */
static int
negated(Py_ssize_t p, PyObject *negs)
{
    if (negs == NULL) {
        return 0;
    }
    Py_ssize_t n = PyList_GET_SIZE(negs);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t q;
        PyObject *w;
        if (position_word(PyList_GET_ITEM(negs, i), &q, &w) < 0) {
            return -1;
        }
        if (p - 3 <= q && q < p) {
            return 1;
        }
    }
    return 0;
}

/* Whether a word at position p counts for a signal of this reach: 1, 0, or -1 on an error. */
static int
allowed(const Reach *reach, Py_ssize_t p)
{
    if (reach->n_spans >= 0) {
        int inside = 0;
        for (int s = 0; s < reach->n_spans && !inside; s++) {
            inside = reach->spans[s][0] <= p && p < reach->spans[s][1];
        }
        if (!inside) {
            return 0;
        }
    }
    int no = negated(p, reach->negs);
    return no < 0 ? -1 : !no;
}

/* found[cid], borrowed, in *at (NULL where the concept does not occur): 0, or -1 with an
 * exception set where it is no list. */
static int
found_list(PyObject *found, PyObject *cid, PyObject **at)
{
    *at = PyDict_GetItemWithError(found, cid);
    if (*at != NULL && !PyList_Check(*at)) {
        *at = NULL;
        PyErr_SetString(PyExc_TypeError, "gate_check: found's values are lists of (position, word)");
        return -1;
    }
    return *at == NULL && PyErr_Occurred() ? -1 : 0;
}

/* The word of found[cid]'s first (position, word) the reach allows (see Reach), borrowed, in
 * *word; NULL where there is none. -1 with an exception set on a malformed entry. */
static int
first_word(PyObject *found, PyObject *cid, const Reach *reach, PyObject **word)
{
    *word = NULL;
    PyObject *at;
    if (found_list(found, cid, &at) < 0 || at == NULL) {
        return at == NULL && PyErr_Occurred() ? -1 : 0;
    }
    if (reach->negs == NULL && reach->n_spans < 0) {
        if (PyList_GET_SIZE(at) == 0) {
            return 0;
        }
        PyObject *first = PyList_GET_ITEM(at, 0);
        if (!PyTuple_Check(first) || PyTuple_GET_SIZE(first) != 2) {
            PyErr_SetString(PyExc_TypeError, "gate_check: found's values are lists of (position, word)");
            return -1;
        }
        *word = PyTuple_GET_ITEM(first, 1);
        return 0;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(at); i++) {
        Py_ssize_t p;
        PyObject *w;
        if (position_word(PyList_GET_ITEM(at, i), &p, &w) < 0) {
            return -1;
        }
        int ok = allowed(reach, p);
        if (ok < 0) {
            return -1;
        }
        if (ok) {
            *word = w;
            return 0;
        }
    }
    return 0;
}

/* One (position, word) of a found list: its position in *p and its word, borrowed, in *w. */
static int
position_word(PyObject *pair, Py_ssize_t *p, PyObject **w)
{
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
        PyErr_SetString(PyExc_TypeError, "gate_check: found's values are lists of (position, word)");
        return -1;
    }
    *p = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 0));
    if (*p == -1 && PyErr_Occurred()) {
        return -1;
    }
    *w = PyTuple_GET_ITEM(pair, 1);
    return 0;
}

/* scoring._near: the first pair (in first's order, then second's) of words at most `within`
 * positions apart and not at the same one, in text order, both where the reach allows (see
 * Reach), borrowed in out[0], out[1]. 1 found, 0 none, -1 error. */
static int
near_pair(PyObject *found, PyObject *a, PyObject *b, Py_ssize_t within, const Reach *reach, PyObject **out)
{
    PyObject *first = PyDict_GetItemWithError(found, a);
    if (first == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *second = PyDict_GetItemWithError(found, b);
    if (second == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    if (!PyList_Check(first) || !PyList_Check(second)) {
        PyErr_SetString(PyExc_TypeError, "gate_check: found's values are lists of (position, word)");
        return -1;
    }
    Py_ssize_t n = PyList_GET_SIZE(first), m = PyList_GET_SIZE(second);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t p, q;
        PyObject *w, *v;
        if (position_word(PyList_GET_ITEM(first, i), &p, &w) < 0) {
            return -1;
        }
        int ok = allowed(reach, p);
        if (ok <= 0) {
            if (ok < 0) {
                return -1;
            }
            continue;
        }
        for (Py_ssize_t j = 0; j < m; j++) {
            if (position_word(PyList_GET_ITEM(second, j), &q, &v) < 0) {
                return -1;
            }
            ok = allowed(reach, q);
            if (ok <= 0) {
                if (ok < 0) {
                    return -1;
                }
                continue;
            }
            Py_ssize_t d = p - q;
            if (-within <= d && d <= within && p != q) {
                out[0] = p < q ? w : v;
                out[1] = p < q ? v : w;
                return 1;
            }
        }
    }
    return 0;
}

/* Whether any concept of `ids` (a tuple) occurs in found: 1, 0, or -1 on an error. */
static int
any_occurs(PyObject *found, PyObject *ids)
{
    Py_ssize_t n = PyTuple_GET_SIZE(ids);
    for (Py_ssize_t i = 0; i < n; i++) {
        int in = PyDict_Contains(found, PyTuple_GET_ITEM(ids, i));
        if (in != 0) {
            return in;
        }
    }
    return 0;
}

/* A span of found positions, (start, end): 0, or -1 with an exception set. */
static int
read_span(PyObject *span, Py_ssize_t *out)
{
    if (!PyTuple_Check(span) || PyTuple_GET_SIZE(span) != 2) {
        PyErr_SetString(PyExc_TypeError, "gate_check: spans are (start, end) pairs");
        return -1;
    }
    out[0] = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 0));
    out[1] = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 1));
    return PyErr_Occurred() ? -1 : 0;
}

/* A plan's Reach (see Reach): its negation (the negation concept's id where the signal skips
 * negated words, else None) and its fields (() for every field, else their names, each looked
 * up in spans: a field the ticket lacks has no span). 0, or -1 with an exception set. */
static int
plan_reach(PyObject *found, PyObject *negation, PyObject *fields, PyObject *spans, Reach *reach)
{
    reach->negs = NULL;
    reach->n_spans = -1;
    if (negation != Py_None) {
        PyObject *negs = PyDict_GetItemWithError(found, negation);
        if (negs == NULL && PyErr_Occurred()) {
            return -1;
        }
        if (negs != NULL && !PyList_Check(negs)) {
            PyErr_SetString(PyExc_TypeError, "gate_check: found's values are lists of (position, word)");
            return -1;
        }
        reach->negs = negs != NULL && PyList_GET_SIZE(negs) > 0 ? negs : NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(fields);
    if (n == 0) {
        return 0;
    }
    reach->n_spans = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *span = PyDict_GetItemWithError(spans, PyTuple_GET_ITEM(fields, i));
        if (span == NULL) {
            if (PyErr_Occurred()) {
                return -1;
            }
            continue;
        }
        if (read_span(span, reach->spans[reach->n_spans++]) < 0) {
            return -1;
        }
    }
    return 0;
}

/* scoring._occurs_in: whether any of found[cid]'s positions lies in span. 1, 0, or -1. */
static int
occurs_in(PyObject *found, PyObject *cid, const Py_ssize_t *span)
{
    PyObject *at;
    if (found_list(found, cid, &at) < 0 || at == NULL) {
        return at == NULL && PyErr_Occurred() ? -1 : 0;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(at); i++) {
        Py_ssize_t p;
        PyObject *w;
        if (position_word(PyList_GET_ITEM(at, i), &p, &w) < 0) {
            return -1;
        }
        if (span[0] <= p && p < span[1]) {
            return 1;
        }
    }
    return 0;
}

/* Scorer._shows' subject test: each concept of has occurs in the subject (none: no subject
 * passes), none of lacks does (no subject: none does). 1 passes, 0 not, -1 on an error. */
static int
subject_fits(PyObject *found, PyObject *has, PyObject *lacks, PyObject *spans)
{
    if (PyTuple_GET_SIZE(has) == 0 && PyTuple_GET_SIZE(lacks) == 0) {
        return 1;
    }
    PyObject *subject = PyDict_GetItemString(spans, "subject"); /* borrowed; str keys: no error */
    Py_ssize_t span[2];
    if (subject == NULL) {
        return PyTuple_GET_SIZE(has) == 0;
    }
    if (read_span(subject, span) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(has); i++) {
        int in = occurs_in(found, PyTuple_GET_ITEM(has, i), span);
        if (in <= 0) {
            return in;
        }
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(lacks); i++) {
        int in = occurs_in(found, PyTuple_GET_ITEM(lacks, i), span);
        if (in != 0) {
            return in < 0 ? -1 : 0;
        }
    }
    return 1;
}

/* Whether the ticket came in one of via_in's ways (`via or ""`; an empty via_in: any way).
 * 1, 0, or -1 on an error. */
static int
via_fits(PyObject *via_in, PyObject *via)
{
    if (PyTuple_GET_SIZE(via_in) == 0) {
        return 1;
    }
    int truth = PyObject_IsTrue(via);
    if (truth < 0) {
        return -1;
    }
    PyObject *target = truth ? Py_NewRef(via) : PyUnicode_FromStringAndSize("", 0);
    if (target == NULL) {
        return -1;
    }
    int in = PySequence_Contains(via_in, target);
    Py_DECREF(target);
    return in;
}

/* tuple(dict.fromkeys(got[:count])): the first of equal words kept, in order; a new tuple in
 * *words. 0, or -1 with an exception set. */
static int
distinct_words(PyObject *const *got, Py_ssize_t count, PyObject **words)
{
    PyObject *kept[PLAIN_WORDS];
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        int seen = 0;
        for (Py_ssize_t j = 0; j < k && !seen; j++) {
            seen = PyObject_RichCompareBool(kept[j], got[i], Py_EQ);
            if (seen < 0) {
                return -1;
            }
        }
        if (!seen) {
            kept[k++] = got[i];
        }
    }
    PyObject *out = PyTuple_New(k);
    if (out == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyTuple_SET_ITEM(out, i, Py_NewRef(kept[i]));
    }
    *words = out;
    return 0;
}

/* Scorer._shows for a signal with a plan: its words (a new tuple, repeats dropped, first kept)
 * in *words, or NULL where the ticket does not show it. 0, or -1 on an error. plan: (any_of,
 * all_of, near, within, absent, requires_any, via, requester, negation, fields, subject_has,
 * subject_lacks), see scoring._plain_plan; spans: TicketView.spans, each field's positions. */
static int
plain_check(PyObject *found, PyObject *plan, int staff, PyObject *via, PyObject *spans, PyObject **words)
{
    *words = NULL;
    if (!PyTuple_Check(plan) || PyTuple_GET_SIZE(plan) != 12) {
        PyErr_SetString(PyExc_TypeError, "gate_check: a plan is a 12-tuple");
        return -1;
    }
    PyObject *any_of = PyTuple_GET_ITEM(plan, 0), *all_of = PyTuple_GET_ITEM(plan, 1);
    PyObject *near = PyTuple_GET_ITEM(plan, 2), *absent = PyTuple_GET_ITEM(plan, 4);
    PyObject *requires_any = PyTuple_GET_ITEM(plan, 5), *via_in = PyTuple_GET_ITEM(plan, 6);
    PyObject *fields = PyTuple_GET_ITEM(plan, 9), *has = PyTuple_GET_ITEM(plan, 10);
    PyObject *lacks = PyTuple_GET_ITEM(plan, 11);
    if (!PyTuple_Check(any_of) || !PyTuple_Check(all_of) || !PyTuple_Check(near) || !PyTuple_Check(absent) ||
        !PyTuple_Check(requires_any) || !PyTuple_Check(via_in) || PyTuple_GET_SIZE(all_of) > PLAIN_WORDS - 3 ||
        (PyTuple_GET_SIZE(near) != 0 && PyTuple_GET_SIZE(near) != 2) || !PyTuple_Check(fields) ||
        PyTuple_GET_SIZE(fields) > FIELD_SPANS || !PyTuple_Check(has) || !PyTuple_Check(lacks)) {
        PyErr_SetString(PyExc_TypeError, "gate_check: a malformed plan");
        return -1;
    }
    Py_ssize_t within = PyLong_AsSsize_t(PyTuple_GET_ITEM(plan, 3));
    long requester = PyLong_AsLong(PyTuple_GET_ITEM(plan, 7));
    if (PyErr_Occurred()) {
        return -1;
    }
    if (requester >= 0 && requester != staff) {
        return 0;
    }
    int hit = via_fits(via_in, via);
    if (hit <= 0) {
        return hit;
    }
    hit = any_occurs(found, absent);
    if (hit != 0) {
        return hit < 0 ? -1 : 0;
    }
    if (PyTuple_GET_SIZE(requires_any) > 0) {
        hit = any_occurs(found, requires_any);
        if (hit <= 0) {
            return hit;
        }
    }
    hit = subject_fits(found, has, lacks, spans);
    if (hit <= 0) {
        return hit;
    }
    Reach reach;
    if (plan_reach(found, PyTuple_GET_ITEM(plan, 8), fields, spans, &reach) < 0) {
        return -1;
    }
    PyObject *got[PLAIN_WORDS];
    Py_ssize_t count = 0, n = PyTuple_GET_SIZE(all_of);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (first_word(found, PyTuple_GET_ITEM(all_of, i), &reach, &got[count]) < 0) {
            return -1;
        }
        if (got[count] == NULL) {
            return 0;
        }
        count++;
    }
    n = PyTuple_GET_SIZE(any_of);
    if (n > 0) {
        Py_ssize_t i = 0;
        for (; i < n; i++) {
            if (first_word(found, PyTuple_GET_ITEM(any_of, i), &reach, &got[count]) < 0) {
                return -1;
            }
            if (got[count] != NULL) {
                count++;
                break;
            }
        }
        if (i == n) {
            return 0;
        }
    }
    if (PyTuple_GET_SIZE(near) == 2) {
        hit = near_pair(found, PyTuple_GET_ITEM(near, 0), PyTuple_GET_ITEM(near, 1), within, &reach, &got[count]);
        if (hit <= 0) {
            return hit;
        }
        count += 2;
    }
    return distinct_words(got, count, words);
}

/* A gate's tables (Scorer._gate_tables) read once into arrays: each concept's woken signals, the
 * signals always looked at, each signal's needed concepts and its any_of's. Why: gate_core read
 * them from their tuples on every call (an int conversion an id, and a buffer allocated), about
 * 2 % of a decision's instructions (callgrind). */
typedef struct {
    Py_ssize_t count; /* lists */
    Py_ssize_t *at;   /* count + 1 offsets into ids */
    Py_ssize_t *ids;
} IdLists;

typedef struct {
    Py_ssize_t concepts, signals;
    IdLists woken, always, needed, any_of;
} Gate;

#define GATE_NAME "rules._accel.Gate"

static void
id_lists_free(IdLists *lists)
{
    PyMem_Free(lists->at);
    PyMem_Free(lists->ids);
    lists->at = lists->ids = NULL;
}

/* `tuples` (a tuple of tuples of distinct ids below `limit`) into `out`: 0, or -1 with an
 * exception set (and nothing to free). */
static int
id_lists_read(PyObject *tuples, Py_ssize_t limit, IdLists *out)
{
    Py_ssize_t n = PyTuple_GET_SIZE(tuples), total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *ids = PyTuple_GET_ITEM(tuples, i);
        total += PyTuple_Check(ids) ? PyTuple_GET_SIZE(ids) : 0;
    }
    out->count = n;
    out->at = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    out->ids = PyMem_Malloc((size_t)(total + 1) * sizeof(Py_ssize_t));
    if (out->at == NULL || out->ids == NULL) {
        id_lists_free(out);
        PyErr_NoMemory();
        return -1;
    }
    out->at[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t count;
        if (read_ids(PyTuple_GET_ITEM(tuples, i), limit, out->ids + out->at[i], &count) < 0) {
            id_lists_free(out);
            return -1;
        }
        out->at[i + 1] = out->at[i] + count;
    }
    return 0;
}

static void
gate_free(Gate *gate)
{
    id_lists_free(&gate->woken);
    id_lists_free(&gate->always);
    id_lists_free(&gate->needed);
    id_lists_free(&gate->any_of);
}

/* A gate's tables read (woken: one tuple of signals per concept; always: a tuple of signals;
 * needed, any_of: one tuple of concepts per signal): 0, or -1 with an exception set (nothing to
 * free). */
static int
gate_read(PyObject *woken, PyObject *always, PyObject *needed, PyObject *any_of, Gate *out)
{
    memset(out, 0, sizeof(*out));
    out->concepts = PyTuple_GET_SIZE(woken);
    out->signals = PyTuple_GET_SIZE(needed);
    if (PyTuple_GET_SIZE(any_of) != out->signals) {
        PyErr_SetString(PyExc_ValueError, "gate: needed and any_of (and plans), one per signal");
        return -1;
    }
    PyObject *one = PyTuple_Pack(1, always);
    int failed = one == NULL || id_lists_read(woken, out->signals, &out->woken) < 0
                 || id_lists_read(one, out->signals, &out->always) < 0
                 || id_lists_read(needed, out->concepts, &out->needed) < 0
                 || id_lists_read(any_of, out->concepts, &out->any_of) < 0;
    Py_XDECREF(one);
    if (failed) {
        gate_free(out);
    }
    return failed ? -1 : 0;
}

/* Whether any (`any` 1) or every (`any` 0) id of `lists`' list `k` is marked in `marks`; an
 * empty list: not any, every. */
static inline int
marked(const IdLists *lists, Py_ssize_t k, const char *marks, int any)
{
    for (Py_ssize_t i = lists->at[k]; i < lists->at[k + 1]; i++) {
        if (marks[lists->ids[i]] ? any : !any) {
            return any;
        }
    }
    return !any;
}

/* found's concepts marked in present (gate->concepts of them) and the signals they wake, with
 * those always looked at, in wake: 0, or -1 with an exception set. */
static int
gate_wake(PyObject *found, const Gate *gate, char *present, char *wake)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(found, &pos, &key, &value)) {
        Py_ssize_t concept = PyLong_AsSsize_t(key);
        if (concept < 0 || concept >= gate->concepts) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "gate: a concept out of range");
            }
            return -1;
        }
        present[concept] = 1;
        for (Py_ssize_t i = gate->woken.at[concept]; i < gate->woken.at[concept + 1]; i++) {
            wake[gate->woken.ids[i]] = 1;
        }
    }
    for (Py_ssize_t i = 0; i < gate->always.at[1]; i++) {
        wake[gate->always.ids[i]] = 1;
    }
    return 0;
}

/* out.append(k), or (k, words) where words is not NULL (a reference taken over): 0, or -1. */
static int
append_gated(PyObject *out, Py_ssize_t k, PyObject *words)
{
    PyObject *item = PyLong_FromSsize_t(k);
    if (item != NULL && words != NULL) {
        PyObject *number = item;
        item = PyTuple_New(2);
        if (item == NULL) {
            Py_DECREF(number);
            Py_DECREF(words);
        } else {
            PyTuple_SET_ITEM(item, 0, number);
            PyTuple_SET_ITEM(item, 1, words);
        }
    } else if (item == NULL) {
        Py_XDECREF(words);
    }
    int failed = item ? PyList_Append(out, item) : -1;
    Py_XDECREF(item);
    return failed;
}

#define GATE_MARKS 1024 /* concepts and signals marked on the stack, beyond them allocated */

/* gate, and with plans (one per signal: None, or a plain signal's plan) gate_check: each gated
 * signal's number where its plan is None, (number, words) where its plain check passes, nothing
 * where it fails. */
static PyObject *
gate_core(PyObject *found, const Gate *gate, PyObject *plans, int staff, PyObject *via, PyObject *spans)
{
    Py_ssize_t concepts = gate->concepts, signals = gate->signals;
    if (plans != NULL && PyTuple_GET_SIZE(plans) != signals) {
        PyErr_SetString(PyExc_ValueError, "gate: needed and any_of (and plans), one per signal");
        return NULL;
    }
    /* which concepts occur, which signals are woken */
    char stack[GATE_MARKS];
    size_t size = (size_t)(concepts + signals);
    char *present = size <= GATE_MARKS ? stack : PyMem_Malloc(size);
    if (present == NULL) {
        return PyErr_NoMemory();
    }
    memset(present, 0, size);
    char *wake = present + concepts;
    PyObject *out = gate_wake(found, gate, present, wake) < 0 ? NULL : PyList_New(0);
    for (Py_ssize_t k = 0; out != NULL && k < signals; k++) {
        if (!wake[k] || !marked(&gate->needed, k, present, 0)
            || (gate->any_of.at[k] < gate->any_of.at[k + 1] && !marked(&gate->any_of, k, present, 1))) {
            continue;
        }
        PyObject *plan = plans != NULL ? PyTuple_GET_ITEM(plans, k) : Py_None, *words = NULL;
        if (plan != Py_None) {
            if (plain_check(found, plan, staff, via, spans, &words) < 0) {
                Py_CLEAR(out);
                break;
            }
            if (words == NULL) {
                continue;
            }
        }
        if (append_gated(out, k, words) < 0) {
            Py_CLEAR(out);
        }
    }
    if (present != stack) {
        PyMem_Free(present);
    }
    return out;
}

/* gate_core with tables read for this call alone (gate, gate_check). */
static PyObject *
gate_once(PyObject *found, PyObject *woken, PyObject *always, PyObject *needed, PyObject *any_of, PyObject *plans,
          int staff, PyObject *via, PyObject *spans)
{
    Gate tables;
    if (gate_read(woken, always, needed, any_of, &tables) < 0) {
        return NULL;
    }
    PyObject *out = gate_core(found, &tables, plans, staff, via, spans);
    gate_free(&tables);
    return out;
}

static void
gate_capsule_free(PyObject *capsule)
{
    Gate *tables = PyCapsule_GetPointer(capsule, GATE_NAME);
    if (tables != NULL) {
        gate_free(tables);
        PyMem_Free(tables);
    }
}

PyDoc_STRVAR(gate_tables_doc,
"gate_tables(woken, always, needed, any_of) -> an opaque object\n\n"
"gate's tables read once, for signal_hits (Scorer._gate_tables of a requester).");

static PyObject *
gate_tables(PyObject *module, PyObject *args)
{
    PyObject *woken, *always, *needed, *any_of;
    if (!PyArg_ParseTuple(args, "O!O!O!O!:gate_tables", &PyTuple_Type, &woken, &PyTuple_Type, &always,
                          &PyTuple_Type, &needed, &PyTuple_Type, &any_of)) {
        return NULL;
    }
    Gate *tables = PyMem_Malloc(sizeof(Gate));
    if (tables == NULL) {
        return PyErr_NoMemory();
    }
    if (gate_read(woken, always, needed, any_of, tables) < 0) {
        PyMem_Free(tables);
        return NULL;
    }
    PyObject *out = PyCapsule_New(tables, GATE_NAME, gate_capsule_free);
    if (out == NULL) {
        gate_free(tables);
        PyMem_Free(tables);
    }
    return out;
}

static PyObject *
gate(PyObject *module, PyObject *args)
{
    PyObject *found, *woken, *always, *needed, *any_of;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!:gate", &PyDict_Type, &found, &PyTuple_Type, &woken, &PyTuple_Type,
                          &always, &PyTuple_Type, &needed, &PyTuple_Type, &any_of)) {
        return NULL;
    }
    return gate_once(found, woken, always, needed, any_of, NULL, 0, Py_None, NULL);
}

PyDoc_STRVAR(gate_check_doc,
"gate_check(found, woken, always, needed, any_of, plans, staff, via, spans=None) -> list\n\n"
"gate's signals, ascending, each checked where it can be: plans[k] is None (the signal takes\n"
"its Python check: k listed) or its plan (scoring._plain_plan: (k, words) listed where\n"
"Scorer._shows gives words, nothing where it gives None); spans is TicketView.spans (a field's\n"
"name -> its (start, end) positions; None: no field has any), read by signals on chosen fields\n"
"or the subject.");

static PyObject *
gate_check(PyObject *module, PyObject *args)
{
    PyObject *found, *woken, *always, *needed, *any_of, *plans, *via, *spans = NULL;
    int staff;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!pO|O!:gate_check", &PyDict_Type, &found, &PyTuple_Type, &woken,
                          &PyTuple_Type, &always, &PyTuple_Type, &needed, &PyTuple_Type, &any_of, &PyTuple_Type,
                          &plans, &staff, &via, &PyDict_Type, &spans)) {
        return NULL;
    }
    PyObject *none = spans == NULL ? PyDict_New() : NULL;
    if (spans == NULL && none == NULL) {
        return NULL;
    }
    PyObject *out = gate_once(found, woken, always, needed, any_of, plans, staff, via, spans ? spans : none);
    Py_XDECREF(none);
    return out;
}

/* -- a ticket's view (rules/scoring.py, Scorer.view) -------------------------------------------
 * Per decision a Python loop over the three fields called tokens() and Lexicons.scan for each
 * (a few calls and a dozen bytecodes a field); scan_fields splits and scans them in one call. */

/* One field's tokens with the padding "" after them: an ASCII text split here, a text of
 * accented Latin letters and typographic quotes too (folded_words with `table`, concepts._FOLDED),
 * their words the vocabulary holds given as its keys (Splitter); any other by `tokens`
 * (concepts.tokens, whose fold this module does not do). A new list, or NULL. Why not tokens
 * for every text that is not ASCII: that was a Python call a French or German field, for what
 * folded_words does (the sampled profile: 3 % of a decision). */
static PyObject *
field_tokens(PyObject *text, PyObject *tokens, PyObject *table, PyObject *vocabulary)
{
    const Vocabulary *known = Py_IS_TYPE(vocabulary, &VocabularyType) ? (const Vocabulary *)vocabulary : NULL;
    PyObject *toks = PyUnicode_IS_ASCII(text) ? split_ascii(text, known) : split_folded(text, table, known);
    if (toks == Py_None) {
        Py_DECREF(toks);
        toks = PyObject_CallOneArg(tokens, text);
    }
    if (toks != NULL && !PyList_Check(toks)) {
        PyErr_SetString(PyExc_TypeError, "scan_fields: tokens() gives a list of str");
        Py_CLEAR(toks);
    }
    PyObject *padding = toks != NULL ? PyUnicode_FromStringAndSize("", 0) : NULL;
    if (padding == NULL || PyList_Append(toks, padding) < 0) {
        Py_XDECREF(padding);
        Py_XDECREF(toks);
        return NULL;
    }
    Py_DECREF(padding);
    return toks;
}

/* Each field of `fields` that `texts` holds a non-empty str for: its tokens (field_tokens)
 * scanned at `*offset` into found, appended to words, its span (offset, offset + tokens) set in
 * spans, and *offset moved past it and `gap`. 0, or -1 with an exception set. */
static int
scan_each_field(PyObject *texts, PyObject *fields, Py_ssize_t gap, PyObject *vocabulary, int column,
                PyObject *tokens, PyObject *table, PyObject *found, PyObject *spans, PyObject *words)
{
    Py_ssize_t offset = 0;
    for (Py_ssize_t f = 0; f < PyTuple_GET_SIZE(fields); f++) {
        PyObject *name = PyTuple_GET_ITEM(fields, f);
        PyObject *text = PyDict_GetItemWithError(texts, name);
        if (text == NULL && PyErr_Occurred()) {
            return -1;
        }
        if (text == NULL || text == Py_None || (PyUnicode_Check(text) && PyUnicode_GET_LENGTH(text) == 0)) {
            continue;
        }
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "scan_fields: a field's text is a str or None");
            return -1;
        }
        PyObject *toks = field_tokens(text, tokens, table, vocabulary);
        if (toks == NULL) {
            return -1;
        }
        Py_ssize_t n = PyList_GET_SIZE(toks) - 1;
        PyObject *span = Py_BuildValue("(nn)", offset, offset + n);
        int failed = span == NULL || scan_tokens(vocabulary, column, toks, offset, found) < 0
                     || PyList_Append(words, toks) < 0 || PyDict_SetItem(spans, name, span) < 0;
        Py_XDECREF(span);
        Py_DECREF(toks);
        if (failed) {
            return -1;
        }
        offset += n + gap;
    }
    return 0;
}

PyDoc_STRVAR(scan_fields_doc,
"scan_fields(texts, fields, gap, vocabulary, column, tokens, table) -> (found, spans, words)\n\n"
"Scorer.view's loop: each of fields (names) that texts (a dict) holds a non-empty text for,\n"
"split into its folded words (an ASCII text as ascii_words, one of accented Latin as\n"
"folded_words(text, table), any other by tokens, the Python concepts.tokens), a padding \"\"\n"
"appended, scanned as concept_scan at its offset (the fields' words before it and gap positions\n"
"after each); found: concept -> [(position, label)], spans: name -> (start, end), words: each\n"
"field's list of words with its padding.");

static PyObject *
scan_fields(PyObject *module, PyObject *args)
{
    PyObject *texts, *fields, *vocabulary, *tokens, *table;
    Py_ssize_t gap;
    int column;
    if (!PyArg_ParseTuple(args, "O!O!nOiOO!:scan_fields", &PyDict_Type, &texts, &PyTuple_Type, &fields, &gap,
                          &vocabulary, &column, &tokens, &PyTuple_Type, &table)
        || check_table(vocabulary, column) < 0) {
        return NULL;
    }
    PyObject *found = PyDict_New(), *spans = PyDict_New(), *words = PyList_New(0);
    PyObject *out = NULL;
    HitLists lists, *outer = hit_lists;
    lists.found = found;
    memset(lists.lists, 0, sizeof(lists.lists));
    hit_lists = &lists;
    if (found != NULL && spans != NULL && words != NULL
        && scan_each_field(texts, fields, gap, vocabulary, column, tokens, table, found, spans, words) == 0) {
        out = PyTuple_Pack(3, found, spans, words);
    }
    hit_lists = outer;
    Py_XDECREF(found);
    Py_XDECREF(spans);
    Py_XDECREF(words);
    return out;
}

/* -- a ticket's signal hits (rules/scoring.py, Scorer.score_view) ------------------------------
 * Per reading a Python loop over gate_check's items: a class test, a dict lookup in the hits'
 * cache and an append for each shown signal, then a sum of their weights (sum and map over an
 * attrgetter) to know whether the text model can change the tier. signal_hits does the loop and
 * the sum in the gate's call. */

/* `total` + each hit's weight, left to right as sum() adds floats: 0, or 1 where a weight is not
 * a float (sum would take the generic path: the Python code adds those), -1 with an exception. */
static int
add_weights(PyObject *hits, Py_ssize_t from, double *total)
{
    static PyObject *weight_name = NULL;
    if (weight_name == NULL && (weight_name = PyUnicode_InternFromString("weight")) == NULL) {
        return -1;
    }
    for (Py_ssize_t i = from; i < PyList_GET_SIZE(hits); i++) {
        PyObject *weight = PyObject_GetAttr(PyList_GET_ITEM(hits, i), weight_name);
        if (weight == NULL) {
            return -1;
        }
        int exact = PyFloat_CheckExact(weight);
        if (exact) {
            *total += PyFloat_AS_DOUBLE(weight);
        }
        Py_DECREF(weight);
        if (!exact) {
            return 1;
        }
    }
    return 0;
}

/* One gate_check item's hit appended to hits: a (k, words) pair, or an int k whose Python check
 * checks[k](view, staff, via) gives the words (None: not shown, nothing appended); the hit is
 * made[(k, words)], else make((k, words)). 0, or -1 with an exception set. */
static int
append_hit(PyObject *hits, PyObject *item, PyObject *made, PyObject *make, PyObject *checks, PyObject *view,
           PyObject *staff, PyObject *via)
{
    PyObject *key;
    if (PyLong_CheckExact(item)) {
        Py_ssize_t k = PyLong_AsSsize_t(item);
        if (k < 0 || k >= PyTuple_GET_SIZE(checks)) {
            PyErr_SetString(PyExc_ValueError, "signal_hits: one check per signal");
            return -1;
        }
        PyObject *words = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(checks, k), view, staff, via, NULL);
        if (words == NULL || words == Py_None) {
            Py_XDECREF(words);
            return words == NULL ? -1 : 0;
        }
        key = PyTuple_Pack(2, item, words);
        Py_DECREF(words);
        if (key == NULL) {
            return -1;
        }
    }
    else {
        key = Py_NewRef(item);
    }
    PyObject *hit = PyDict_GetItemWithError(made, key);
    if (hit != NULL) {
        Py_INCREF(hit);
    }
    else if (!PyErr_Occurred()) {
        hit = PyObject_CallOneArg(make, key);
    }
    Py_DECREF(key);
    int failed = hit == NULL || PyList_Append(hits, hit) < 0;
    Py_XDECREF(hit);
    return failed ? -1 : 0;
}

PyDoc_STRVAR(signal_hits_doc,
"signal_hits(found, tables, via, spans, made, make, checks, view, extra) -> (hits, total)\n\n"
"Scorer.score_view's signals: gate_check's items (tables: Scorer._hit_tables of the requester:\n"
"gate_tables(...) of its gate, the plans and staff), each item's hit after extra's (a tuple): a (k, words)\n"
"pair's, or an int k's where its Python check checks[k](view, staff, via) gives words (None: not\n"
"shown); a hit is made[(k, words)], else make((k, words)). total: the hits' weights added as\n"
"sum() does (int 0 without hits), or None where a weight is not a float.");

static PyObject *
signal_hits(PyObject *module, PyObject *args)
{
    PyObject *found, *tables, *via, *spans, *made, *make, *checks, *view, *extra;
    if (!PyArg_ParseTuple(args, "O!O!OO!O!OO!OO!:signal_hits", &PyDict_Type, &found, &PyTuple_Type, &tables, &via,
                          &PyDict_Type, &spans, &PyDict_Type, &made, &make, &PyTuple_Type, &checks, &view,
                          &PyTuple_Type, &extra)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(tables) != 3 || !PyTuple_Check(PyTuple_GET_ITEM(tables, 1))) {
        PyErr_SetString(PyExc_TypeError, "signal_hits: tables are (gate_tables(...), plans, staff)");
        return NULL;
    }
    const Gate *gated = PyCapsule_GetPointer(PyTuple_GET_ITEM(tables, 0), GATE_NAME);
    PyObject *staff = PyTuple_GET_ITEM(tables, 2);
    int is_staff = gated != NULL ? PyObject_IsTrue(staff) : -1;
    if (is_staff < 0) {
        return NULL;
    }
    PyObject *items = gate_core(found, gated, PyTuple_GET_ITEM(tables, 1), is_staff, via, spans);
    PyObject *hits = items != NULL ? PySequence_List(extra) : NULL;
    int failed = hits == NULL;
    for (Py_ssize_t i = 0; !failed && i < PyList_GET_SIZE(items); i++) {
        failed = append_hit(hits, PyList_GET_ITEM(items, i), made, make, checks, view, staff, via) < 0;
    }
    Py_XDECREF(items);
    double total = 0.0;
    int odd = failed ? -1 : add_weights(hits, 0, &total);
    PyObject *out = NULL;
    if (odd >= 0) {
        out = odd ? Py_BuildValue("(OO)", hits, Py_None)
              : PyList_GET_SIZE(hits) ? Py_BuildValue("(Od)", hits, total) : Py_BuildValue("(Oi)", hits, 0);
    }
    Py_XDECREF(hits);
    return out;
}

/* -- a flagged ticket's category (rules/scoring.py, _vote) ------------------------------------ */

#define VOTES 16 /* categories a ticket's hits vote for, at most (the shipped rules have four) */

PyDoc_STRVAR(vote_doc,
"vote(hits, order, security) -> (category, security's votes), or None\n\n"
"scoring._vote: each category's votes (the weights of the hits of positive weight that name\n"
"it, added in the hits' order), the best one (order's first of the highest, else the least by\n"
"name), security where its votes are at least half the best's; (None, 0.0) without votes.\n"
"None where a hit's weight is not a float or its category neither a str nor None, or more\n"
"than 16 categories or no highest (a NaN) are voted for: the Python code decides those.");

/* Why: per flagged ticket a dict, a generator over the order and a sort, in Python: 1.6 % of a
 * decision's instructions over the blind sets (callgrind). */
static PyObject *
vote(PyObject *module, PyObject *args)
{
    static PyObject *weight_name = NULL, *category_name = NULL;
    PyObject *hits, *order, *security;
    if (!PyArg_ParseTuple(args, "O!O!U:vote", &PyList_Type, &hits, &PyTuple_Type, &order, &security)) {
        return NULL;
    }
    if (weight_name == NULL && ((weight_name = PyUnicode_InternFromString("weight")) == NULL
                                || (category_name = PyUnicode_InternFromString("category")) == NULL)) {
        return NULL;
    }
    PyObject *names[VOTES]; /* borrowed from the hits, which the list holds */
    double votes[VOTES];
    int count = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(hits); i++) {
        PyObject *hit = PyList_GET_ITEM(hits, i);
        PyObject *weight = PyObject_GetAttr(hit, weight_name);
        if (weight == NULL) {
            return NULL;
        }
        if (!PyFloat_CheckExact(weight)) {
            Py_DECREF(weight);
            Py_RETURN_NONE;
        }
        double value = PyFloat_AS_DOUBLE(weight);
        Py_DECREF(weight);
        if (!(value > 0)) {
            continue;
        }
        PyObject *category = PyObject_GetAttr(hit, category_name);
        if (category == NULL) {
            return NULL;
        }
        Py_DECREF(category); /* (the hit holds it) */
        if (category == Py_None) {
            continue;
        }
        if (!PyUnicode_CheckExact(category)) {
            Py_RETURN_NONE;
        }
        if (PyUnicode_GET_LENGTH(category) == 0) {
            continue;
        }
        int at = 0;
        while (at < count && !same_text(names[at], category)) {
            at++;
        }
        if (at == count) {
            if (count == VOTES) {
                Py_RETURN_NONE;
            }
            names[count] = category;
            votes[count++] = 0.0;
        }
        votes[at] = votes[at] + value;
    }
    if (count == 0) {
        return Py_BuildValue("(Od)", Py_None, 0.0);
    }
    double best = votes[0];
    for (int c = 1; c < count; c++) {
        if (votes[c] > best) {
            best = votes[c];
        }
    }
    PyObject *chosen = NULL;
    for (Py_ssize_t o = 0; o < PyTuple_GET_SIZE(order) && chosen == NULL; o++) {
        PyObject *name = PyTuple_GET_ITEM(order, o);
        if (!PyUnicode_Check(name)) {
            PyErr_SetString(PyExc_TypeError, "vote: an order of str");
            return NULL;
        }
        for (int c = 0; c < count; c++) {
            if (same_text(names[c], name)) {
                if (votes[c] == best) {
                    chosen = name;
                }
                break;
            }
        }
    }
    if (chosen == NULL) { /* then sorted(votes): the least name of the best */
        for (int c = 0; c < count; c++) {
            if (votes[c] == best && (chosen == NULL || PyUnicode_Compare(names[c], chosen) < 0)) {
                chosen = names[c];
            }
        }
    }
    if (chosen == NULL) {
        Py_RETURN_NONE; /* no highest: a NaN */
    }
    double guarded = 0.0;
    for (int c = 0; c < count; c++) {
        if (same_text(names[c], security)) {
            guarded = votes[c];
            if (guarded >= 0.5 * best) {
                chosen = security;
            }
        }
    }
    return Py_BuildValue("(Od)", chosen, guarded);
}

static PyMethodDef methods[] = {
    {"linear_logits", linear_logits, METH_VARARGS, linear_logits_doc},
    {"model_signal", model_signal, METH_VARARGS, model_signal_doc},
    {"concept_scan", concept_scan, METH_VARARGS, concept_scan_doc},
    {"scan_fields", scan_fields, METH_VARARGS, scan_fields_doc},
    {"ascii_words", ascii_words, METH_O, ascii_words_doc},
    {"folded_words", folded_words, METH_VARARGS, folded_words_doc},
    {"pack", pack, METH_VARARGS, pack_doc},
    {"entry", entry, METH_O, entry_doc},
    {"unpack", unpack, METH_O, unpack_doc},
    {"other_script", other_script, METH_O, other_script_doc},
    {"kept_words", kept_words, METH_O, kept_words_doc},
    {"model_words", model_words, METH_VARARGS, model_words_doc},
    {"vote", vote, METH_VARARGS, vote_doc},
    {"gate", gate, METH_VARARGS, gate_doc},
    {"gate_tables", gate_tables, METH_VARARGS, gate_tables_doc},
    {"gate_check", gate_check, METH_VARARGS, gate_check_doc},
    {"signal_hits", signal_hits, METH_VARARGS, signal_hits_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "rules._accel",
    "The rules' hot loops in C (words, concept scan, model sums); rules/_accel.c says why.", -1, methods,
};

PyMODINIT_FUNC
PyInit__accel(void)
{
    init_ascii_class();
    if (PyType_Ready(&FiguresType) < 0 || PyType_Ready(&VocabularyType) < 0 || PyType_Ready(&EntryType) < 0) {
        return NULL;
    }
    PyObject *out = PyModule_Create(&module);
    if (out != NULL && PyModule_AddObjectRef(out, "Vocabulary", (PyObject *)&VocabularyType) < 0) {
        Py_DECREF(out);
        return NULL;
    }
    return out;
}
