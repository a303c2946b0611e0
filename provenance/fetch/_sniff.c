/* provenance.fetch._sniff: the bot-wall marker search of provenance.fetch.classify, in C.
 *
 * first_marker(text, markers, limit) answers what this Python answers (the reference,
 * which classify keeps and runs where this module is not built):
 *
 *     lowered = text[:limit].lower()
 *     next((i for i, m in enumerate(markers) if m in lowered), -1)
 *
 * for markers of lower-case ASCII, in one pass over the text instead of one per marker
 * (a page of a few KB: eleven scans and a lower-cased copy cost ~14 us in Python).
 *
 * Why ASCII case-folding is enough: of all code points, only U+0130 (capital I with dot,
 * lower-cased to "i" + U+0307) and U+212A (Kelvin sign, lower-cased to "k") lower-case
 * to anything containing ASCII, and str.lower() maps every other character to characters
 * outside ASCII (one for one, apart from U+0130). So an ASCII marker occurs in
 * text.lower() exactly where it occurs in text with ASCII letters compared without case,
 * unless one of those two characters is present: then this returns -2 and the caller
 * runs the Python. A test holds the two to each other over generated pages.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define MAX_MARKERS 32

static int
lower_ascii(Py_UCS4 c)
{
    return (c >= 'A' && c <= 'Z') ? (int)(c + ('a' - 'A')) : (int)c;
}

/* How rare a character is in pages (higher: rarer), to anchor each marker on its rarest
 * pair of characters: English letters by frequency, then punctuation. Only speed
 * depends on it. */
static int
rarity(int c)
{
    static const char *by_frequency = "etaoinshrdlcumwfgypbvkjxqz";
    if (c == ' ') {
        return -10;
    }
    if (c >= 'a' && c <= 'z') {
        return (int)(strchr(by_frequency, c) - by_frequency);
    }
    if (c == '/' || c == '<' || c == '>' || c == '=' || c == '"') {
        return 8; /* markup */
    }
    return 20; /* digits and other punctuation: "_", "-", "." */
}

typedef struct {
    const char *text;
    Py_ssize_t length;
    Py_ssize_t anchor; /* offset of the pair of characters the scan looks for */
    unsigned int key;  /* that pair, as (first << 7) | second */
} Marker;

/* Whether marker ``m`` occurs at ``start`` of the text (ASCII letters without case). */
static int
matches_at(int kind, const void *data, Py_ssize_t size, const Marker *m, Py_ssize_t start)
{
    if (start < 0 || start + m->length > size) {
        return 0;
    }
    for (Py_ssize_t k = 0; k < m->length; k++) {
        Py_UCS4 d = PyUnicode_READ(kind, data, start + k);
        if (d >= 128 || lower_ascii(d) != m->text[k]) {
            return 0;
        }
    }
    return 1;
}

static PyObject *
first_marker(PyObject *module, PyObject *args)
{
    PyObject *text, *markers;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "UO!n:first_marker", &text, &PyTuple_Type, &markers, &limit)) {
        return NULL;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(markers);
    if (count > MAX_MARKERS) {
        PyErr_SetString(PyExc_ValueError, "too many markers");
        return NULL;
    }
    /* The markers prepared for the scan, kept for the next call with the same tuple
     * (classify passes one of two constant tuples). */
    static PyObject *prepared_for = NULL;
    static Marker marker[MAX_MARKERS];
    /* A bit per pair of ASCII characters that anchors some marker. */
    static unsigned char anchors[(128 * 128) / 8];
    if (markers != prepared_for) {
        Py_CLEAR(prepared_for);
        memset(anchors, 0, sizeof anchors);
        for (Py_ssize_t j = 0; j < count; j++) {
            PyObject *item = PyTuple_GET_ITEM(markers, j);
            if (!PyUnicode_Check(item) || !PyUnicode_IS_ASCII(item) ||
                PyUnicode_GET_LENGTH(item) < 2) {
                PyErr_SetString(PyExc_ValueError,
                                "markers must be ASCII, two characters or more");
                return NULL;
            }
            Marker *m = &marker[j];
            m->text = (const char *)PyUnicode_1BYTE_DATA(item);
            m->length = PyUnicode_GET_LENGTH(item);
            int best = -1000;
            for (Py_ssize_t k = 0; k < m->length; k++) {
                int c = (unsigned char)m->text[k];
                if (c == 0 || lower_ascii((Py_UCS4)c) != c) {
                    PyErr_SetString(PyExc_ValueError, "markers must be lower-case, without NUL");
                    return NULL;
                }
                if (k + 1 < m->length) {
                    int next = (unsigned char)m->text[k + 1];
                    int score = rarity(c) + rarity(next);
                    if (score > best) {
                        best = score;
                        m->anchor = k;
                        m->key = ((unsigned int)c << 7) | (unsigned int)next;
                    }
                }
            }
            anchors[m->key >> 3] |= (unsigned char)(1u << (m->key & 7));
        }
        /* Held, so the markers' text stays alive and the tuple's address is not reused. */
        Py_INCREF(markers);
        prepared_for = markers;
    }
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    if (limit < 0) {
        limit = 0;
    }
    if (size > limit) {
        size = limit;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    unsigned int found = 0;
    /* Markers still able to beat the best found so far: those listed before it. */
    unsigned int wanted = count == MAX_MARKERS ? 0xffffffffu : ((1u << count) - 1);
    /* One loop per width of the string's characters (PyUnicode_READ would switch on
     * the kind at every character). */
#define SCAN(TYPE)                                                                        \
    do {                                                                                  \
        const TYPE *chars = (const TYPE *)data;                                           \
        unsigned int previous = 0; /* the last character, lower-cased; 0 if not ASCII */  \
        for (Py_ssize_t i = 0; i < size && wanted; i++) {                                 \
            Py_UCS4 c = chars[i];                                                         \
            if (c >= 128) {                                                               \
                if (c == 0x130 || c == 0x212A) {                                          \
                    return PyLong_FromLong(-2);                                           \
                }                                                                         \
                previous = 0;                                                             \
                continue;                                                                 \
            }                                                                             \
            unsigned int current = (unsigned int)lower_ascii(c);                          \
            unsigned int key = (previous << 7) | current;                                 \
            previous = current;                                                           \
            if (!(anchors[key >> 3] & (1u << (key & 7)))) {                               \
                continue;                                                                 \
            }                                                                             \
            for (Py_ssize_t j = 0; j < count; j++) {                                      \
                if ((wanted >> j) & 1u && marker[j].key == key &&                         \
                    matches_at(kind, data, size, &marker[j], i - 1 - marker[j].anchor)) { \
                    found |= 1u << j;                                                     \
                    wanted = (1u << j) - 1; /* only earlier markers can do better now */  \
                }                                                                         \
            }                                                                             \
        }                                                                                 \
    } while (0)
    if (kind == PyUnicode_1BYTE_KIND) {
        SCAN(Py_UCS1);
    }
    else if (kind == PyUnicode_2BYTE_KIND) {
        SCAN(Py_UCS2);
    }
    else {
        SCAN(Py_UCS4);
    }
#undef SCAN
    /* The loop stops early only once the first marker is found (nothing can beat it);
     * otherwise it read every character, and would have seen a U+0130 or U+212A. */
    long first = -1;
    for (long j = 0; j < (long)count; j++) {
        if ((found >> j) & 1u) {
            first = j;
            break;
        }
    }
    return PyLong_FromLong(first);
}

static PyMethodDef sniff_methods[] = {
    {"first_marker", first_marker, METH_VARARGS,
     "first_marker(text, markers, limit) -> index of the first marker (in order) found in "
     "text[:limit].lower(), -1 if none, -2 if the Python must decide."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef sniff_module = {
    PyModuleDef_HEAD_INIT, "_sniff", "The bot-wall marker search of classify, in C.", -1,
    sniff_methods,
};

PyMODINIT_FUNC
PyInit__sniff(void)
{
    return PyModule_Create(&sniff_module);
}
