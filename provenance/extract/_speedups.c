/*
 * provenance.extract._speedups: the per-sentence loop of extraction, compiled.
 *
 * Why: `check --no-fetch` spends most of its extraction time in a loop that runs a
 * few dozen Python steps for each of ~9,000 sentences per MB (finding sentence ends,
 * taking each sentence's markers, classifying it, placing it, building its tuple).
 * The reference implementation is the Python branch of `_extract_view` (and
 * `sentences.sentence_bounds`, `claims.sentence_role`); this file does the same steps
 * in C and must give identical results (tests/extract/test_extract_speedups.py runs
 * both on generated text). Regexes are called as they are (the dateline, boilerplate,
 * enumerator and word patterns), and the rare steps stay in Python and are called back:
 * inline code shown in a sentence, defects of empty or "citation needed" markers and
 * of stripped markers.
 *
 * Only views whose offsets are the file's (Markdown, plain text) come here; HTML
 * views keep the Python loop. Everything is read through the public C API
 * (PyUnicode_READ over any string kind, so surrogates, NULs and non-BMP text are
 * just code points), and every string built is canonical (PyUnicode_Substring,
 * PyUnicode_Join, PyUnicode_FromKindAndData), so it compares equal to Python's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* A growable array of offsets (sentence bounds, gaps). */
typedef struct {
    Py_ssize_t *items;
    Py_ssize_t len;
    Py_ssize_t cap;
} Offsets;

static int
offsets_push(Offsets *o, Py_ssize_t value)
{
    if (o->len == o->cap) {
        Py_ssize_t cap = o->cap ? o->cap * 2 : 64;
        Py_ssize_t *items = PyMem_Realloc(o->items, (size_t)cap * sizeof(Py_ssize_t));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        o->items = items;
        o->cap = cap;
    }
    o->items[o->len++] = value;
    return 0;
}

/* Everything one call works with; objects are borrowed from the arguments. */
typedef struct {
    PyObject *text;
    int kind;
    const void *data;
    Py_ssize_t length;
    Py_ssize_t *line_starts;
    Py_ssize_t nlines;
    PyObject *markers; /* the Marker tuples (start, end, raw, kind, items) kept: a tuple */
    Py_ssize_t *mstarts;
    Py_ssize_t *mends;
    Py_ssize_t nmarkers;
    Py_ssize_t *code_starts;
    Py_ssize_t ncode;
    Py_ssize_t *gap_candidates;
    Py_ssize_t ngap_candidates;
    /* configuration (see scan's docstring) */
    PyTypeObject *sentence_type;
    PyTypeObject *citation_type;
    PyObject *citation_kind;
    PyObject *claim, *heading, *question, *dateline, *boilerplate, *fragment;
    PyObject *no_claim_kinds;     /* tuple of BlockKind */
    PyObject *starts_boilerplate; /* tuple of pattern.match */
    PyObject *checks;             /* tuple of (pattern.search, words or None) */
    PyObject *dateline_match;
    PyObject *heads;      /* tuple of two-letter lowercase ASCII str */
    PyObject *slow_words; /* frozenset of lowercase str */
    Py_ssize_t slow_max;  /* the longest slow word */
    Py_ssize_t min_words;
    /* _is_boundary's regexes (bound methods) and word sets */
    PyObject *enumerator_search, *word_before_search, *next_word_match;
    PyObject *titles, *before_numbers, *after_names, *starters;
    /* per-document callbacks */
    PyObject *with_code, *marker_defects, *find_gaps, *gap_defect;
    Offsets bounds;
} Scan;

#define CH(s, i) PyUnicode_READ((s)->kind, (s)->data, (i))
#define IS_SPACE(c) Py_UNICODE_ISSPACE(c)
#define IS_UPPER(c) ((c) >= 'A' && (c) <= 'Z')
#define IS_LOWER(c) ((c) >= 'a' && (c) <= 'z')

/* The sentence-end punctuation and the closers after it (sentences._END). */
static int
is_punct(Py_UCS4 c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x2026; /* … */
}

/* '"', "'", ", ", », ")" */
static int
is_closer(Py_UCS4 c)
{
    return c == '"' || c == '\'' || c == 0x201D || c == 0x2019 || c == 0xBB || c == ')';
}

/* How a sentence may end, after which it owns no inline code (extract._ENDS). */
static int
is_end(Py_UCS4 c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x2026 || c == '"' || c == '\'' ||
           c == 0x201D || c == 0x2019 || c == 0xBB || c == ')' || c == ']';
}

/* The next sentence-end punctuation at or after pos (end if none). Most text is one
 * byte a character: read directly there, the general way otherwise. */
static Py_ssize_t
next_punct(Scan *s, Py_ssize_t pos, Py_ssize_t end)
{
    if (s->kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *d = s->data;
        while (pos < end && d[pos] != '.' && d[pos] != '!' && d[pos] != '?')
            pos++; /* "…" is not a one-byte character */
        return pos;
    }
    while (pos < end && !is_punct(CH(s, pos)))
        pos++;
    return pos;
}

static Py_ssize_t
bisect_right(const Py_ssize_t *a, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t x)
{
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (x < a[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static Py_ssize_t
bisect_left(const Py_ssize_t *a, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t x)
{
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A list of ints as a C array (PyMem); -1 with an exception on anything else. */
static int
as_offsets(PyObject *list, const char *what, Py_ssize_t **out, Py_ssize_t *n)
{
    if (!PyList_Check(list)) {
        PyErr_Format(PyExc_TypeError, "%s must be a list of int", what);
        return -1;
    }
    Py_ssize_t len = PyList_GET_SIZE(list);
    Py_ssize_t *items = PyMem_Malloc((size_t)(len ? len : 1) * sizeof(Py_ssize_t));
    if (items == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        items[i] = PyLong_AsSsize_t(PyList_GET_ITEM(list, i));
        if (items[i] == -1 && PyErr_Occurred()) {
            PyMem_Free(items);
            return -1;
        }
    }
    *out = items;
    *n = len;
    return 0;
}

/* 1-based (line, column) of an offset, as LineIndex.position gives it. */
static int
position(Scan *s, Py_ssize_t offset, Py_ssize_t *line, Py_ssize_t *column)
{
    Py_ssize_t index = bisect_right(s->line_starts, 0, s->nlines, offset) - 1;
    if (index < 0) {
        PyErr_SetString(PyExc_ValueError, "line starts must begin at offset 0");
        return -1;
    }
    *line = index + 1;
    *column = offset - s->line_starts[index] + 1;
    return 0;
}

/* A new instance of a named tuple type, its items stolen from `items` (n of them). */
static PyObject *
new_named(PyTypeObject *type, PyObject **items, Py_ssize_t n)
{
    /* As tuple.__new__(type, items) does it (tuple_subtype_new), without the tuple to
     * copy from: a named tuple has no fields of its own beyond the tuple's items. */
    PyObject *obj = type->tp_alloc(type, n);
    if (obj == NULL) {
        for (Py_ssize_t i = 0; i < n; i++)
            Py_XDECREF(items[i]);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (items[i] == NULL) { /* a failed PyLong_FromSsize_t */
            for (Py_ssize_t j = i + 1; j < n; j++)
                Py_XDECREF(items[j]);
            Py_DECREF(obj); /* dealloc skips the NULL items */
            return NULL;
        }
        PyTuple_SET_ITEM(obj, i, items[i]);
    }
    return obj;
}

/* Call `fn` and read the result's truth; -1 on error. */
static int
call_truth(PyObject *result)
{
    if (result == NULL)
        return -1;
    int truth = PyObject_IsTrue(result);
    Py_DECREF(result);
    return truth;
}

/* Whether the word text[start:stop] before a full stop is a plain word: ASCII letters
 * only, more than one, no abbreviation that needs the full rules, no roman numeral.
 * (The fast path of sentence_bounds: such a word always ends its sentence.) */
static int
plain_word(Scan *s, Py_ssize_t start, Py_ssize_t stop)
{
    Py_ssize_t len = stop - start;
    if (len <= 1)
        return 0;
    int roman = 1;
    for (Py_ssize_t i = start; i < stop; i++) {
        Py_UCS4 c = CH(s, i);
        if (IS_UPPER(c))
            c += 'a' - 'A';
        else if (!IS_LOWER(c))
            return 0;
        if (c != 'i' && c != 'v' && c != 'x' && c != 'l' && c != 'c')
            roman = 0;
    }
    if (roman)
        return 0;
    if (len > s->slow_max)
        return 1;
    char lower[64];
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = CH(s, start + i);
        lower[i] = (char)(IS_UPPER(c) ? c + ('a' - 'A') : c);
    }
    PyObject *word = PyUnicode_FromStringAndSize(lower, len);
    if (word == NULL)
        return -1;
    int slow = PySet_Contains(s->slow_words, word);
    Py_DECREF(word);
    return slow < 0 ? -1 : !slow;
}

/* "\"'“‘«([¿¡*_": what may open a sentence besides a capital or a digit. */
static int
is_opener(Py_UCS4 c)
{
    return c == '"' || c == '\'' || c == 0x201C || c == 0x2018 || c == 0xAB || c == '(' ||
           c == '[' || c == 0xBF || c == 0xA1 || c == '*' || c == '_';
}

/* Whether `word` (a new reference to a str, lowercased here) is in `set`: -1 on error. */
static int
in_set(PyObject *set, PyObject *word)
{
    return PySet_Contains(set, word);
}

/* group(1) of a match, or NULL (no exception) when `match` is None. New reference. */
static PyObject *
group1(PyObject *match)
{
    if (match == Py_None)
        return NULL;
    return PyObject_CallMethod(match, "group", "i", 1);
}

/* sentences._is_boundary: whether the punctuation text[punct_start:punct_end] (its
 * markers to `stop`) ends the sentence that started at sentence_start. 1, 0 or -1. The
 * same steps; its regexes are called as they are (enumerators, the word before,
 * the word after), only the Python around them is gone. */
static int
judge(Scan *s, Py_ssize_t sentence_start, Py_ssize_t punct_start, Py_ssize_t punct_end,
      Py_ssize_t stop, Py_ssize_t end)
{
    if (stop >= end)
        return 1;
    /* The next non-space character: after white space (_NEXT: "\s+(\S)"), or after
     * markers with or without it (_NEXT_AFTER_MARKER: "\s*(\S)"). */
    Py_ssize_t at = stop;
    if (stop == punct_end && !IS_SPACE(CH(s, stop)))
        return 0; /* "15.2", "example.com", "U.S.-led": something follows at once */
    while (at < end && IS_SPACE(CH(s, at)))
        at++;
    if (at >= end)
        return 1; /* nothing but white space to the block's end */
    Py_UCS4 first = CH(s, at);
    int capital = Py_UNICODE_ISALPHA(first) && !Py_UNICODE_ISLOWER(first);
    if (!(capital || Py_UNICODE_ISDIGIT(first) || is_opener(first)))
        return 0;
    if (punct_end - punct_start != 1 || CH(s, punct_start) != '.')
        return 1; /* "!", "?", "...", "…", '."': the capital decides */
    if (punct_start > sentence_start &&
        (CH(s, punct_start - 1) == ' ' || CH(s, punct_start - 1) == '\t'))
        return 1; /* "kompromat . Next": a stripped marker, still a sentence end */
    /* "1. The first point" at the start of a line. */
    Py_ssize_t window = punct_start - 12 > 0 ? punct_start - 12 : 0;
    int line_near = window == 0;
    for (Py_ssize_t i = window; i < punct_start && !line_near; i++)
        line_near = CH(s, i) == '\n';
    if (line_near) {
        int enumerator = call_truth(PyObject_CallFunction(s->enumerator_search, "Onn", s->text,
                                                          window, punct_start + 1));
        if (enumerator != 0)
            return enumerator < 0 ? -1 : 0;
    }
    /* The word the full stop ends (_word_before): usually a plain word after a space. */
    Py_ssize_t start = punct_start - 24 > sentence_start ? punct_start - 24 : sentence_start;
    Py_ssize_t space = punct_start - 1;
    while (space >= start && CH(s, space) != ' ')
        space--;
    Py_ssize_t word_start = space >= start ? space + 1 : start;
    int plain = word_start < punct_start;
    for (Py_ssize_t i = word_start; i < punct_start && plain; i++) {
        Py_UCS4 c = CH(s, i);
        plain = IS_UPPER(c) || IS_LOWER(c) || (c == '.' && i > word_start);
    }
    PyObject *word;
    if (plain) {
        word = PyUnicode_Substring(s->text, word_start, punct_start);
    }
    else {
        PyObject *match = PyObject_CallFunction(s->word_before_search, "Onn", s->text, start,
                                                punct_start + 1);
        if (match == NULL)
            return -1;
        word = group1(match);
        Py_DECREF(match);
        if (word == NULL)
            return PyErr_Occurred() ? -1 : 1;
    }
    if (word == NULL)
        return -1;
    /* Both ways give ASCII letters and dots: lowercase, without the dots at its end. */
    Py_ssize_t length = PyUnicode_GET_LENGTH(word);
    if (length == 1 && IS_UPPER(PyUnicode_READ_CHAR(word, 0))) {
        Py_DECREF(word);
        return 0; /* an initial: "J. Smith" */
    }
    int inner_dot = 0;
    Py_ssize_t trimmed = length;
    while (trimmed > 0 && PyUnicode_READ_CHAR(word, trimmed - 1) == '.')
        trimmed--;
    char lower[32];
    Py_ssize_t kept = trimmed < (Py_ssize_t)sizeof(lower) ? trimmed : 0;
    for (Py_ssize_t i = 0; i < trimmed; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(word, i);
        if (c == '.')
            inner_dot = 1;
        if (i < kept)
            lower[i] = (char)(IS_UPPER(c) ? c + ('a' - 'A') : c);
    }
    Py_DECREF(word);
    /* Longer words are in none of the sets (all are short abbreviations). */
    int titled = 0, before_number = 0, after_name = 0;
    if (kept == trimmed) {
        PyObject *key = PyUnicode_FromStringAndSize(lower, kept);
        if (key == NULL)
            return -1;
        titled = in_set(s->titles, key);
        if (titled == 0)
            before_number = in_set(s->before_numbers, key);
        if (titled == 0 && before_number == 0)
            after_name = in_set(s->after_names, key);
        Py_DECREF(key);
        if (titled < 0 || before_number < 0 || after_name < 0)
            return -1;
    }
    if (titled)
        return 0;
    if (before_number)
        return !Py_UNICODE_ISDIGIT(first);
    if (after_name || inner_dot) {
        /* "Apple Inc. The", "the U.S. The": ends only before a word that starts one. */
        PyObject *match = PyObject_CallFunction(s->next_word_match, "Onn", s->text, stop, end);
        if (match == NULL)
            return -1;
        PyObject *next_word = group1(match);
        Py_DECREF(match);
        if (next_word == NULL)
            return PyErr_Occurred() ? -1 : 0;
        int starts = PySet_Contains(s->starters, next_word);
        Py_DECREF(next_word);
        return starts;
    }
    return 1;
}

/* sentences.sentence_bounds: the sentences of text[start:end] as [start, stop) pairs in
 * s->bounds. markers[lo:hi] are the block's. */
static int
sentence_bounds(Scan *s, Py_ssize_t start, Py_ssize_t end, Py_ssize_t lo, Py_ssize_t hi)
{
    Offsets *out = &s->bounds;
    out->len = 0;
    Py_ssize_t sentence_start = start;
    while (sentence_start < end && IS_SPACE(CH(s, sentence_start)))
        sentence_start++;
    Py_ssize_t pos = start;
    while (pos < end) {
        /* The next match of _END: a run of punctuation, its closers, then white space,
         * "[" or the block's end. A failed run cannot match from inside itself either,
         * so the search goes on after it. */
        pos = next_punct(s, pos, end);
        if (pos >= end)
            break;
        Py_ssize_t punct_start = pos, q = pos;
        while (q < end && is_punct(CH(s, q)))
            q++;
        while (q < end && is_closer(CH(s, q)))
            q++;
        pos = q;
        if (q < end) {
            Py_UCS4 after = CH(s, q);
            if (!(IS_SPACE(after) || after == '['))
                continue;
        }
        Py_ssize_t punct_end = q;
        if (punct_start < sentence_start)
            continue;
        Py_ssize_t stop = punct_end;
        if (hi > lo) {
            /* Punctuation inside a marker ("[@a, p. 4]") is not the prose's. */
            Py_ssize_t inside = bisect_right(s->mstarts, lo, hi, punct_start) - 1;
            if (inside >= lo && punct_start < s->mends[inside])
                continue;
            for (;;) { /* markers after the punctuation cite the sentence before */
                Py_ssize_t probe = stop;
                while (probe < end && (CH(s, probe) == ' ' || CH(s, probe) == '\t'))
                    probe++;
                Py_ssize_t k = bisect_left(s->mstarts, lo, hi, probe);
                if (k >= hi || s->mstarts[k] != probe)
                    break;
                stop = s->mends[k];
            }
        }
        if (stop < end) {
            int boundary;
            if (CH(s, stop) == ' ' && stop + 1 < end && IS_UPPER(CH(s, stop + 1))) {
                /* text[punct_start - 1], as Python indexes it (-1: the last character) */
                Py_UCS4 before = CH(s, punct_start > 0 ? punct_start - 1 : s->length - 1);
                if (punct_end - punct_start != 1 || CH(s, punct_start) != '.' || before == ']') {
                    boundary = 1;
                }
                else if (IS_LOWER(before)) {
                    Py_ssize_t window = punct_start - 24;
                    if (window < sentence_start)
                        window = sentence_start;
                    Py_ssize_t space = punct_start - 1;
                    while (space >= window && CH(s, space) != ' ')
                        space--;
                    Py_ssize_t word = space >= window ? space + 1 : window;
                    boundary = plain_word(s, word, punct_start);
                    if (boundary == 0)
                        boundary = judge(s, sentence_start, punct_start, punct_end, stop, end);
                }
                else {
                    boundary = judge(s, sentence_start, punct_start, punct_end, stop, end);
                }
            }
            else {
                boundary = judge(s, sentence_start, punct_start, punct_end, stop, end);
            }
            if (boundary < 0)
                return -1;
            if (!boundary)
                continue;
        }
        if (offsets_push(out, sentence_start) < 0 || offsets_push(out, stop) < 0)
            return -1;
        sentence_start = stop;
        while (sentence_start < end && IS_SPACE(CH(s, sentence_start)))
            sentence_start++;
    }
    Py_ssize_t tail = end;
    while (tail > sentence_start && IS_SPACE(CH(s, tail - 1)))
        tail--;
    if (tail > sentence_start) {
        if (offsets_push(out, sentence_start) < 0 || offsets_push(out, tail) < 0)
            return -1;
    }
    return 0;
}

/* text[start:end] as Python slices it (empty when end <= start). */
static PyObject *
slice(Scan *s, Py_ssize_t start, Py_ssize_t end)
{
    if (end < start)
        end = start;
    return PyUnicode_Substring(s->text, start, end);
}

/* _SPACE_RE.sub(" ", text).strip(): runs of white space to one space, none at the ends.
 * A new reference; `text` itself when nothing changes (most sentences). */
static PyObject *
collapse(PyObject *text)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_ssize_t i;
    for (i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (IS_SPACE(c) &&
            (c != ' ' || i == 0 || i == n - 1 || IS_SPACE(PyUnicode_READ(kind, data, i - 1))))
            break;
    }
    if (i == n)
        return Py_NewRef(text);
    Py_UCS4 *buffer = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Py_UCS4));
    if (buffer == NULL)
        return PyErr_NoMemory();
    Py_ssize_t len = 0;
    int in_space = 0;
    for (i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (IS_SPACE(c)) {
            in_space = 1;
            continue;
        }
        if (in_space && len > 0)
            buffer[len++] = ' ';
        in_space = 0;
        buffer[len++] = c;
    }
    PyObject *out = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buffer, len);
    PyMem_Free(buffer);
    return out;
}

/* Whether `words` (lowercase ASCII) occurs in ASCII `text` ignoring case. */
static int
ascii_contains(int kind, const void *data, Py_ssize_t n, PyObject *words)
{
    Py_ssize_t m;
    const char *w = PyUnicode_AsUTF8AndSize(words, &m);
    if (w == NULL)
        return -1;
    for (Py_ssize_t i = 0; i + m <= n; i++) {
        Py_ssize_t j = 0;
        for (; j < m; j++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i + j);
            if (IS_UPPER(c))
                c += 'a' - 'A';
            if (c != (Py_UCS4)(unsigned char)w[j])
                break;
        }
        if (j == m)
            return 1;
    }
    return 0;
}

/* claims.sentence_role for `text` (the sentence with its markers left out). A borrowed
 * SentenceRole, or NULL with an exception. */
static PyObject *
sentence_role(Scan *s, PyObject *text, int holds_claims, int cited, int block_is_boilerplate)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_ssize_t first = 0;
    while (first < n && IS_SPACE(PyUnicode_READ(kind, data, first)))
        first++;
    /* text.lstrip()[:2]: a dateline may start there (DATELINE_RE is tried only then). */
    Py_ssize_t head_len = n - first < 2 ? n - first : 2;
    int maybe_dateline = 0;
    Py_UCS4 head[2] = {0, 0};
    for (Py_ssize_t i = 0; i < head_len; i++) {
        head[i] = PyUnicode_READ(kind, data, first + i);
        if (head[i] >= 128)
            maybe_dateline = 1;
    }
    if (!maybe_dateline && head_len >= 1 && head[0] >= '0' && head[0] <= '9')
        maybe_dateline = 1;
    if (!maybe_dateline && head_len == 2) {
        char pair[2];
        for (int i = 0; i < 2; i++)
            pair[i] = (char)(IS_UPPER(head[i]) ? head[i] + ('a' - 'A') : head[i]);
        Py_ssize_t count = PyTuple_GET_SIZE(s->heads);
        for (Py_ssize_t i = 0; i < count; i++) {
            Py_ssize_t size;
            const char *h = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(s->heads, i), &size);
            if (h == NULL)
                return NULL;
            if (size == 2 && h[0] == pair[0] && h[1] == pair[1]) {
                maybe_dateline = 1;
                break;
            }
        }
    }
    if (maybe_dateline) {
        Py_ssize_t last = n;
        while (last > first && IS_SPACE(PyUnicode_READ(kind, data, last - 1)))
            last--;
        PyObject *stripped = PyUnicode_Substring(text, first, last);
        if (stripped == NULL)
            return NULL;
        int dated = call_truth(PyObject_CallOneArg(s->dateline_match, stripped));
        Py_DECREF(stripped);
        if (dated < 0)
            return NULL;
        if (dated)
            return s->dateline;
    }
    if (!holds_claims)
        return s->heading;
    /* text.rstrip().rstrip(_CLOSERS) ends with: */
    Py_ssize_t e = n;
    while (e > 0 && IS_SPACE(PyUnicode_READ(kind, data, e - 1)))
        e--;
    while (e > 0 && is_closer(PyUnicode_READ(kind, data, e - 1)))
        e--;
    Py_UCS4 last_char = e > 0 ? PyUnicode_READ(kind, data, e - 1) : 0;
    if (e > 0 && last_char == '?')
        return s->question;
    if (block_is_boilerplate)
        return s->boilerplate;
    int ascii = -1; /* computed on first need */
    Py_ssize_t nchecks = PyTuple_GET_SIZE(s->checks);
    for (Py_ssize_t i = 0; i < nchecks; i++) {
        PyObject *check = PyTuple_GET_ITEM(s->checks, i);
        PyObject *search = PyTuple_GET_ITEM(check, 0);
        PyObject *words = PyTuple_GET_ITEM(check, 1);
        if (words != Py_None) {
            if (ascii < 0) {
                ascii = 1;
                for (Py_ssize_t j = 0; j < n; j++) {
                    if (PyUnicode_READ(kind, data, j) >= 128) {
                        ascii = 0;
                        break;
                    }
                }
            }
            if (ascii) {
                /* An ASCII sentence without the words cannot match. */
                int found = ascii_contains(kind, data, n, words);
                if (found < 0)
                    return NULL;
                if (!found)
                    continue;
            }
        }
        int matched = call_truth(PyObject_CallOneArg(search, text));
        if (matched < 0)
            return NULL;
        if (matched)
            return s->boilerplate;
    }
    if (!cited && !(e > 0 && (last_char == '.' || last_char == '!' || last_char == 0x2026 ||
                              last_char == ';' || last_char == ':')))
        return s->fragment;
    if (s->min_words > 0) {
        /* At least min_words runs of \w (str.isalnum() or "_", as the regex engine has it). */
        Py_ssize_t words = 0;
        int in_word = 0;
        for (Py_ssize_t j = 0; j < n && words < s->min_words; j++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, j);
            int w = Py_UNICODE_ISALNUM(c) || c == '_';
            if (w && !in_word)
                words++;
            in_word = w;
        }
        if (words < s->min_words)
            return s->fragment;
    }
    return s->claim;
}

/* The citations of a sentence's markers (markers[first:last]): a new tuple. */
static PyObject *
citations_of(Scan *s, Py_ssize_t first, Py_ssize_t last)
{
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = first; i < last; i++) {
        PyObject *marker = PyTuple_GET_ITEM(s->markers, i);
        if (PyTuple_GET_ITEM(marker, 3) != s->citation_kind)
            continue;
        PyObject *raw = PyTuple_GET_ITEM(marker, 2);
        PyObject *items = PyTuple_GET_ITEM(marker, 4);
        if (!PyTuple_Check(items)) {
            PyErr_SetString(PyExc_TypeError, "a marker's items must be a tuple");
            goto fail;
        }
        Py_ssize_t offset = s->mstarts[i], line, column;
        if (position(s, offset, &line, &column) < 0)
            goto fail;
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(items); j++) {
            PyObject *item = PyTuple_GET_ITEM(items, j);
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < 3) {
                PyErr_SetString(PyExc_TypeError, "a marker item must be (key, kind, locator)");
                goto fail;
            }
            PyObject *fields[7] = {
                Py_NewRef(PyTuple_GET_ITEM(item, 0)),
                Py_NewRef(PyTuple_GET_ITEM(item, 1)),
                Py_NewRef(raw),
                PyLong_FromSsize_t(offset),
                PyLong_FromSsize_t(line),
                PyLong_FromSsize_t(column),
                Py_NewRef(PyTuple_GET_ITEM(item, 2)),
            };
            PyObject *citation = new_named(s->citation_type, fields, 7);
            if (citation == NULL)
                goto fail;
            int failed = PyList_Append(out, citation);
            Py_DECREF(citation);
            if (failed < 0)
                goto fail;
        }
    }
    PyObject *tuple = PyList_AsTuple(out);
    Py_DECREF(out);
    return tuple;
fail:
    Py_DECREF(out);
    return NULL;
}

/* text[start:end] without the markers[first:last] inside it (extract._plain_text). */
static PyObject *
plain_text(Scan *s, Py_ssize_t start, Py_ssize_t end, Py_ssize_t first, Py_ssize_t last)
{
    PyObject *parts = PyList_New(0);
    if (parts == NULL)
        return NULL;
    Py_ssize_t cursor = start;
    for (Py_ssize_t i = first; i <= last; i++) {
        Py_ssize_t upto = i < last ? s->mstarts[i] : end;
        PyObject *part = slice(s, cursor, upto);
        if (part == NULL || PyList_Append(parts, part) < 0) {
            Py_XDECREF(part);
            Py_DECREF(parts);
            return NULL;
        }
        Py_DECREF(part);
        if (i < last)
            cursor = s->mends[i];
    }
    PyObject *empty = PyUnicode_FromStringAndSize("", 0);
    PyObject *joined = empty == NULL ? NULL : PyUnicode_Join(empty, parts);
    Py_XDECREF(empty);
    Py_DECREF(parts);
    return joined;
}

static int
append_steal(PyObject *list, PyObject *item)
{
    if (item == NULL)
        return -1;
    int failed = PyList_Append(list, item);
    Py_DECREF(item);
    return failed;
}

/* One block's sentences into the four output lists. */
static int
scan_block(Scan *s, PyObject *block, PyObject *sentences, PyObject *claims,
           PyObject *citations, PyObject *defects)
{
    if (!PyTuple_Check(block) || PyTuple_GET_SIZE(block) < 3) {
        PyErr_SetString(PyExc_TypeError, "a block must be (start, end, kind)");
        return -1;
    }
    Py_ssize_t block_start = PyLong_AsSsize_t(PyTuple_GET_ITEM(block, 0));
    if (block_start == -1 && PyErr_Occurred())
        return -1;
    Py_ssize_t block_end = PyLong_AsSsize_t(PyTuple_GET_ITEM(block, 1));
    if (block_end == -1 && PyErr_Occurred())
        return -1;
    /* An empty heading ("# ") may start after it ends: no sentences, as in Python. */
    if (block_start < 0 || block_end < 0 || block_start > s->length || block_end > s->length) {
        PyErr_SetString(PyExc_ValueError, "a block lies outside the text");
        return -1;
    }
    PyObject *kind = PyTuple_GET_ITEM(block, 2);
    int holds_claims = 1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(s->no_claim_kinds); i++) {
        if (PyTuple_GET_ITEM(s->no_claim_kinds, i) == kind)
            holds_claims = 0;
    }
    int block_is_boilerplate = 0;
    if (PyTuple_GET_SIZE(s->starts_boilerplate) > 0) {
        Py_ssize_t lstripped = block_start;
        while (lstripped < block_end && IS_SPACE(CH(s, lstripped)))
            lstripped++;
        PyObject *block_text = slice(s, lstripped, block_end);
        if (block_text == NULL)
            return -1;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(s->starts_boilerplate); i++) {
            int matched = call_truth(
                PyObject_CallOneArg(PyTuple_GET_ITEM(s->starts_boilerplate, i), block_text));
            if (matched < 0) {
                Py_DECREF(block_text);
                return -1;
            }
            if (matched) {
                block_is_boilerplate = 1;
                break;
            }
        }
        Py_DECREF(block_text);
    }
    /* Where a claim may have lost its marker: looked for once per block (most have none). */
    Py_ssize_t *gaps = NULL, ngaps = 0;
    Py_ssize_t at = bisect_left(s->gap_candidates, 0, s->ngap_candidates, block_start);
    if (at < s->ngap_candidates && s->gap_candidates[at] < block_end - 1) {
        PyObject *found = PyObject_CallFunction(s->find_gaps, "nn", block_start, block_end);
        if (found == NULL)
            return -1;
        if (!PyList_Check(found)) {
            Py_DECREF(found);
            PyErr_SetString(PyExc_TypeError, "find_gaps must return a list");
            return -1;
        }
        ngaps = PyList_GET_SIZE(found);
        gaps = PyMem_Malloc((size_t)(ngaps ? 2 * ngaps : 1) * sizeof(Py_ssize_t));
        if (gaps == NULL) {
            Py_DECREF(found);
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < ngaps; i++) {
            PyObject *gap = PyList_GET_ITEM(found, i);
            if (!PyArg_ParseTuple(gap, "nn", &gaps[2 * i], &gaps[2 * i + 1])) {
                Py_DECREF(found);
                PyMem_Free(gaps);
                return -1;
            }
        }
        Py_DECREF(found);
    }
    int status = -1;
    Py_ssize_t next_code = s->ncode ? bisect_left(s->code_starts, 0, s->ncode, block_start) : 0;
    Py_ssize_t lo = bisect_left(s->mstarts, 0, s->nmarkers, block_start);
    Py_ssize_t hi = bisect_left(s->mstarts, lo, s->nmarkers, block_end);
    if (sentence_bounds(s, block_start, block_end, lo, hi) < 0)
        goto done;
    Py_ssize_t cursor = lo;
    for (Py_ssize_t b = 0; b < s->bounds.len; b += 2) {
        Py_ssize_t raw_start = s->bounds.items[b], raw_end = s->bounds.items[b + 1];
        Py_ssize_t first = cursor;
        while (cursor < hi && s->mstarts[cursor] < raw_end)
            cursor++;
        PyObject *flat, *plain;
        int has_markers = cursor > first;
        if (has_markers) {
            flat = citations_of(s, first, cursor);
            plain = flat == NULL ? NULL : plain_text(s, raw_start, raw_end, first, cursor);
        }
        else {
            flat = PyTuple_New(0);
            plain = flat == NULL ? NULL : slice(s, raw_start, raw_end);
        }
        if (plain == NULL) {
            Py_XDECREF(flat);
            goto done;
        }
        int cited = PyTuple_GET_SIZE(flat) > 0;
        PyObject *role = sentence_role(s, plain, holds_claims, cited, block_is_boilerplate);
        if (role == NULL) {
            Py_DECREF(flat);
            Py_DECREF(plain);
            goto done;
        }
        Py_ssize_t line, column, end_line, end_column, last = raw_end - 1;
        if (position(s, raw_start, &line, &column) < 0 ||
            position(s, last, &end_line, &end_column) < 0) {
            Py_DECREF(flat);
            Py_DECREF(plain);
            goto done;
        }
        /* A sentence shows the code before its end, and (when it does not end with
         * punctuation) the code after it to the block's end. */
        PyObject *shown;
        if (next_code < s->ncode && s->code_starts[next_code] <= block_end &&
            (s->code_starts[next_code] < raw_end || !is_end(CH(s, raw_end - 1)))) {
            shown = PyObject_CallFunction(s->with_code, "nnnn", raw_start, raw_end, block_start,
                                          block_end);
            if (shown != NULL && !PyUnicode_Check(shown)) {
                Py_DECREF(shown);
                shown = NULL;
                PyErr_SetString(PyExc_TypeError, "with_code must return a str");
            }
            next_code = bisect_left(s->code_starts, next_code, s->ncode, raw_end);
        }
        else if (has_markers) {
            shown = slice(s, raw_start, raw_end);
        }
        else {
            shown = Py_NewRef(plain);
        }
        Py_DECREF(plain);
        PyObject *sentence_text = shown == NULL ? NULL : collapse(shown);
        Py_XDECREF(shown);
        if (sentence_text == NULL) {
            Py_DECREF(flat);
            goto done;
        }
        PyObject *fields[8] = {
            Py_NewRef(sentence_text),
            Py_NewRef(role),
            PyLong_FromSsize_t(raw_start),
            PyLong_FromSsize_t(line),
            PyLong_FromSsize_t(column),
            PyLong_FromSsize_t(end_line),
            PyLong_FromSsize_t(end_column),
            Py_NewRef(flat),
        };
        PyObject *sentence = new_named(s->sentence_type, fields, 8);
        if (sentence == NULL || PyList_Append(sentences, sentence) < 0 ||
            (role == s->claim && PyList_Append(claims, sentence) < 0)) {
            Py_XDECREF(sentence);
            Py_DECREF(sentence_text);
            Py_DECREF(flat);
            goto done;
        }
        int failed = 0;
        if (has_markers) {
            for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(flat) && !failed; i++)
                failed = PyList_Append(citations, PyTuple_GET_ITEM(flat, i)) < 0;
            for (Py_ssize_t i = first; i < cursor && !failed; i++) {
                if (PyTuple_GET_ITEM(PyTuple_GET_ITEM(s->markers, i), 3) == s->citation_kind)
                    continue;
                /* empty brackets or "citation needed": the Python side builds the defects */
                PyObject *own = PyTuple_GetSlice(s->markers, first, cursor);
                PyObject *found = own == NULL ? NULL
                                              : PyObject_CallFunctionObjArgs(
                                                    s->marker_defects, sentence, own, NULL);
                Py_XDECREF(own);
                if (found == NULL)
                    failed = 1;
                else {
                    PyObject *extended = PySequence_InPlaceConcat(defects, found);
                    Py_DECREF(found);
                    failed = extended == NULL;
                    Py_XDECREF(extended);
                }
                break;
            }
        }
        if (!failed && ngaps && role == s->claim) {
            for (Py_ssize_t i = 0; i < ngaps && !failed; i++) {
                Py_ssize_t gap_start = gaps[2 * i], gap_end = gaps[2 * i + 1];
                if (gap_start < raw_start || gap_end > raw_end)
                    continue;
                PyObject *defect = PyObject_CallFunction(s->gap_defect, "nnO", gap_start, gap_end,
                                                         sentence_text);
                if (defect == NULL)
                    failed = 1;
                else if (defect == Py_None)
                    Py_DECREF(defect);
                else
                    failed = append_steal(defects, defect) < 0;
            }
        }
        Py_DECREF(sentence);
        Py_DECREF(sentence_text);
        Py_DECREF(flat);
        if (failed)
            goto done;
    }
    status = 0;
done:
    PyMem_Free(gaps);
    return status;
}

/* Whether original[start:end] == raw (Python's slice: shorter past the end). */
static int
same_text(PyObject *original, Py_ssize_t start, Py_ssize_t end, PyObject *raw)
{
    if (end > PyUnicode_GET_LENGTH(original) || PyUnicode_GET_LENGTH(raw) != end - start)
        return 0;
    int kind = PyUnicode_KIND(original), raw_kind = PyUnicode_KIND(raw);
    const void *data = PyUnicode_DATA(original), *raw_data = PyUnicode_DATA(raw);
    for (Py_ssize_t i = start; i < end; i++) {
        if (PyUnicode_READ(kind, data, i) != PyUnicode_READ(raw_kind, raw_data, i - start))
            return 0;
    }
    return 1;
}

/* Where a stripped marker may be (extract._GAP_CANDIDATE_RE): the white space right
 * before clause punctuation, " ." or "\u00a0,". Most blocks hold none. */
static int
gap_candidates(Scan *s)
{
    Offsets found = {NULL, 0, 0};
    /* The punctuation first: rarer than white space. */
    static const char clause[] = ".,;:!?";
    for (Py_ssize_t i = 1; i < s->length; i++) {
        if (s->kind == PyUnicode_1BYTE_KIND) {
            const Py_UCS1 *d = s->data;
            while (i < s->length && !(d[i] < 64 && d[i] != 0 && strchr(clause, d[i])))
                i++;
            if (i >= s->length)
                break;
        }
        Py_UCS4 c = CH(s, i);
        if (c != '.' && c != ',' && c != ';' && c != ':' && c != '!' && c != '?')
            continue;
        Py_UCS4 before = CH(s, i - 1);
        if ((before == ' ' || before == '\t' || before == 0xA0) &&
            offsets_push(&found, i - 1) < 0) {
            PyMem_Free(found.items);
            return -1;
        }
    }
    s->gap_candidates = found.items;
    s->ngap_candidates = found.len;
    return 0;
}

static int
parse_config(Scan *s, PyObject *config)
{
    PyObject *sentence_type, *citation_type, *roles, *boundary;
    if (!PyArg_ParseTuple(config, "O!O!OO!O!O!O!OO!O!nO!;config", &PyType_Type, &sentence_type,
                          &PyType_Type, &citation_type, &s->citation_kind, &PyTuple_Type, &roles,
                          &PyTuple_Type, &s->no_claim_kinds, &PyTuple_Type,
                          &s->starts_boilerplate, &PyTuple_Type, &s->checks, &s->dateline_match,
                          &PyTuple_Type, &s->heads, &PyFrozenSet_Type, &s->slow_words,
                          &s->min_words, &PyTuple_Type, &boundary))
        return -1;
    if (!PyArg_ParseTuple(boundary, "OOOO!O!O!O!;boundary", &s->enumerator_search,
                          &s->word_before_search, &s->next_word_match, &PyFrozenSet_Type,
                          &s->titles, &PyFrozenSet_Type, &s->before_numbers, &PyFrozenSet_Type,
                          &s->after_names, &PyFrozenSet_Type, &s->starters))
        return -1;
    s->sentence_type = (PyTypeObject *)sentence_type;
    s->citation_type = (PyTypeObject *)citation_type;
    if (!PyType_IsSubtype(s->sentence_type, &PyTuple_Type) ||
        !PyType_IsSubtype(s->citation_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "Sentence and Citation must be named tuples");
        return -1;
    }
    if (!PyArg_ParseTuple(roles, "OOOOOO;roles", &s->claim, &s->heading, &s->question,
                          &s->dateline, &s->boilerplate, &s->fragment))
        return -1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(s->checks); i++) {
        PyObject *check = PyTuple_GET_ITEM(s->checks, i);
        if (!PyTuple_Check(check) || PyTuple_GET_SIZE(check) != 2 ||
            (PyTuple_GET_ITEM(check, 1) != Py_None &&
             !PyUnicode_Check(PyTuple_GET_ITEM(check, 1)))) {
            PyErr_SetString(PyExc_TypeError, "a check must be (search, words or None)");
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(s->heads); i++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(s->heads, i))) {
            PyErr_SetString(PyExc_TypeError, "heads must be str");
            return -1;
        }
    }
    s->slow_max = 0;
    PyObject *iterator = PyObject_GetIter(s->slow_words);
    if (iterator == NULL)
        return -1;
    PyObject *word;
    while ((word = PyIter_Next(iterator)) != NULL) {
        Py_ssize_t len = PyUnicode_Check(word) ? PyUnicode_GET_LENGTH(word) : 0;
        if (len > s->slow_max)
            s->slow_max = len;
        Py_DECREF(word);
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred())
        return -1;
    if (s->slow_max > 63) {
        PyErr_SetString(PyExc_ValueError, "slow words must be shorter than 64 characters");
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(scan_doc,
"scan(text, original, blocks, markers, line_starts, code_starts, config, callbacks)\n"
"--\n\n"
"The sentences, claims, citations and defects of a view whose offsets are the file's\n"
"(`original`: the file's text; markers not written as such there are left out).\n\n"
"config: (Sentence, Citation, MarkerKind.CITATION, (the six SentenceRoles: claim,\n"
"heading, question, dateline, boilerplate, fragment), block kinds holding no claims,\n"
"boilerplate match functions, boilerplate checks, dateline match, dateline heads,\n"
"slow words, minimum words, (what _is_boundary uses: the enumerator search, the word\n"
"before search, the next word match, titles, words before numbers, words after names,\n"
"sentence starters)). callbacks: (with_code, marker_defects,\n"
"find_gaps, gap_defect). Returns (sentences, claims, citations, defects).");

static PyObject *
scan(PyObject *module, PyObject *args)
{
    Scan s;
    memset(&s, 0, sizeof(s));
    PyObject *original, *blocks_arg, *markers_arg, *line_starts, *code_starts, *config,
        *callbacks;
    if (!PyArg_ParseTuple(args, "UUOOOOO!O!:scan", &s.text, &original, &blocks_arg,
                          &markers_arg, &line_starts, &code_starts, &PyTuple_Type, &config,
                          &PyTuple_Type, &callbacks))
        return NULL;
    if (parse_config(&s, config) < 0)
        return NULL;
    if (!PyArg_ParseTuple(callbacks, "OOOO;callbacks", &s.with_code, &s.marker_defects,
                          &s.find_gaps, &s.gap_defect))
        return NULL;
    s.kind = PyUnicode_KIND(s.text);
    s.data = PyUnicode_DATA(s.text);
    s.length = PyUnicode_GET_LENGTH(s.text);
    PyObject *result = NULL, *blocks = NULL, *found = NULL;
    PyObject *sentences = NULL, *claims = NULL, *citations = NULL, *defects = NULL;
    /* Tuples of our own: a callback cannot change them under us. */
    found = PySequence_Tuple(markers_arg);
    blocks = found == NULL ? NULL : PySequence_Tuple(blocks_arg);
    if (blocks == NULL)
        goto done;
    if (as_offsets(line_starts, "line_starts", &s.line_starts, &s.nlines) < 0 ||
        as_offsets(code_starts, "code_starts", &s.code_starts, &s.ncode) < 0 ||
        gap_candidates(&s) < 0)
        goto done;
    s.markers = PyList_New(0);
    Py_ssize_t nfound = PyTuple_GET_SIZE(found);
    s.mstarts = PyMem_Malloc((size_t)(nfound ? nfound : 1) * sizeof(Py_ssize_t));
    s.mends = PyMem_Malloc((size_t)(nfound ? nfound : 1) * sizeof(Py_ssize_t));
    if (s.markers == NULL || s.mstarts == NULL || s.mends == NULL) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < nfound; i++) {
        PyObject *marker = PyTuple_GET_ITEM(found, i);
        if (!PyTuple_Check(marker) || PyTuple_GET_SIZE(marker) < 5 ||
            !PyUnicode_Check(PyTuple_GET_ITEM(marker, 2))) {
            PyErr_SetString(PyExc_TypeError, "a marker must be (start, end, raw, kind, items)");
            goto done;
        }
        Py_ssize_t start = PyLong_AsSsize_t(PyTuple_GET_ITEM(marker, 0));
        Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(marker, 1));
        if (PyErr_Occurred())
            goto done;
        Py_ssize_t n = s.nmarkers;
        if (start < 0 || end > s.length || start >= end || (n > 0 && start < s.mends[n - 1])) {
            PyErr_SetString(PyExc_ValueError, "markers must be sorted, apart, inside the text");
            goto done;
        }
        /* A marker must be written as such in the file: "[`x`]" or "[<br>1]" only look
         * like "[   ]" and "[    1]" once the markup inside is blanked. */
        if (!same_text(original, start, end, PyTuple_GET_ITEM(marker, 2)))
            continue;
        if (PyList_Append(s.markers, marker) < 0)
            goto done;
        s.mstarts[n] = start;
        s.mends[n] = end;
        s.nmarkers = n + 1;
    }
    PyObject *kept = PyList_AsTuple(s.markers);
    Py_DECREF(s.markers);
    s.markers = kept;
    if (kept == NULL)
        goto done;
    sentences = PyList_New(0);
    claims = PyList_New(0);
    citations = PyList_New(0);
    defects = PyList_New(0);
    if (sentences == NULL || claims == NULL || citations == NULL || defects == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(blocks); i++) {
        if (scan_block(&s, PyTuple_GET_ITEM(blocks, i), sentences, claims, citations, defects) <
            0)
            goto done;
    }
    result = PyTuple_Pack(4, sentences, claims, citations, defects);
done:
    Py_XDECREF(sentences);
    Py_XDECREF(claims);
    Py_XDECREF(citations);
    Py_XDECREF(defects);
    Py_XDECREF(blocks);
    Py_XDECREF(found);
    Py_XDECREF(s.markers);
    PyMem_Free(s.line_starts);
    PyMem_Free(s.code_starts);
    PyMem_Free(s.gap_candidates);
    PyMem_Free(s.mstarts);
    PyMem_Free(s.mends);
    PyMem_Free(s.bounds.items);
    return result;
}

/* ---- The report's JSON rows (spool.document_json) ------------------------------------
 *
 * A document's claims and citations are most of the report's JSON: one f-string per row
 * in Python. Written here into one buffer of code points, then made a str. */

typedef struct {
    Py_UCS4 *items;
    Py_ssize_t len;
    Py_ssize_t cap;
} Writer;

static int
writer_reserve(Writer *w, Py_ssize_t more)
{
    if (w->len + more <= w->cap)
        return 0;
    Py_ssize_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + more) {
        if (cap > PY_SSIZE_T_MAX / 2 / (Py_ssize_t)sizeof(Py_UCS4)) {
            PyErr_NoMemory();
            return -1;
        }
        cap *= 2;
    }
    Py_UCS4 *items = PyMem_Realloc(w->items, (size_t)cap * sizeof(Py_UCS4));
    if (items == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    w->items = items;
    w->cap = cap;
    return 0;
}

static int
write_ascii(Writer *w, const char *text)
{
    Py_ssize_t n = (Py_ssize_t)strlen(text);
    if (writer_reserve(w, n) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++)
        w->items[w->len++] = (unsigned char)text[i];
    return 0;
}

/* An int as str(int) writes it; only exact Python ints of C range are expected. */
static int
write_int(Writer *w, PyObject *value)
{
    if (!PyLong_CheckExact(value)) { /* anything else as an f-string shows it: str() */
        PyObject *shown = PyObject_Str(value);
        if (shown == NULL)
            return -1;
        Py_ssize_t n = PyUnicode_GET_LENGTH(shown);
        int failed = writer_reserve(w, n);
        for (Py_ssize_t i = 0; i < n && !failed; i++)
            w->items[w->len++] = PyUnicode_READ_CHAR(shown, i);
        Py_DECREF(shown);
        return failed;
    }
    long long n = PyLong_AsLongLong(value);
    if (n == -1 && PyErr_Occurred())
        return -1;
    char digits[32];
    snprintf(digits, sizeof(digits), "%lld", n);
    return write_ascii(w, digits);
}

/* json.encoder.encode_basestring: quoted, with \\, \", the short escapes and \u00XX. */
static int
write_string(Writer *w, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "expected a str");
        return -1;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n > (PY_SSIZE_T_MAX - 2) / 6 || writer_reserve(w, 6 * n + 2) < 0) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        return -1;
    }
    static const char hex[] = "0123456789abcdef";
    Py_UCS4 *out = w->items + w->len;
    *out++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= ' ' && c != '"' && c != '\\') {
            *out++ = c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '\\': *out++ = '\\'; break;
        case '"': *out++ = '"'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = hex[(c >> 4) & 0xf];
            *out++ = hex[c & 0xf];
        }
    }
    *out++ = '"';
    w->len = out - w->items;
    return 0;
}

/* A list of ids: "[]", or each on a line of its own at the claim's depth. */
static int
write_ids(Writer *w, PyObject *ids)
{
    if (!PyList_Check(ids)) {
        PyErr_SetString(PyExc_TypeError, "ids must be a list");
        return -1;
    }
    Py_ssize_t n = PyList_GET_SIZE(ids);
    if (n == 0)
        return write_ascii(w, "[]");
    if (write_ascii(w, "[\n            ") < 0)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((i > 0 && write_ascii(w, ",\n            ") < 0) ||
            write_string(w, PyList_GET_ITEM(ids, i)) < 0)
            return -1;
    }
    return write_ascii(w, "\n          ]");
}

static PyObject *
writer_finish(Writer *w)
{
    PyObject *out = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, w->items, w->len);
    PyMem_Free(w->items);
    return out;
}

static int
row_of(PyObject *row, Py_ssize_t size, const char *what)
{
    if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != size) {
        PyErr_Format(PyExc_TypeError, "a %s row must be a tuple of %zd", what, size);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(claims_json_doc,
"claims_json(rows)\n--\n\n"
"The claims of a document as spool.document_json writes them (joined by \",\\n\"):\n"
"rows of (text, line, column, end_line, end_column, keys, cited, sources).");

static PyObject *
claims_json(PyObject *module, PyObject *rows)
{
    if (!PyList_Check(rows)) {
        PyErr_SetString(PyExc_TypeError, "rows must be a list");
        return NULL;
    }
    Writer w = {NULL, 0, 0};
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(rows); i++) {
        PyObject *row = PyList_GET_ITEM(rows, i);
        if (row_of(row, 8, "claim") < 0)
            goto fail;
        int cited = PyObject_IsTrue(PyTuple_GET_ITEM(row, 6));
        if (cited < 0 || (i > 0 && write_ascii(&w, ",\n") < 0) ||
            write_ascii(&w, "        {\n          \"text\": ") < 0 ||
            write_string(&w, PyTuple_GET_ITEM(row, 0)) < 0 ||
            write_ascii(&w, ",\n          \"line\": ") < 0 ||
            write_int(&w, PyTuple_GET_ITEM(row, 1)) < 0 ||
            write_ascii(&w, ",\n          \"column\": ") < 0 ||
            write_int(&w, PyTuple_GET_ITEM(row, 2)) < 0 ||
            write_ascii(&w, ",\n          \"end_line\": ") < 0 ||
            write_int(&w, PyTuple_GET_ITEM(row, 3)) < 0 ||
            write_ascii(&w, ",\n          \"end_column\": ") < 0 ||
            write_int(&w, PyTuple_GET_ITEM(row, 4)) < 0 ||
            write_ascii(&w, ",\n          \"citations\": ") < 0 ||
            write_ids(&w, PyTuple_GET_ITEM(row, 5)) < 0 ||
            write_ascii(&w, cited ? ",\n          \"cited\": true,\n          \"sources\": "
                                  : ",\n          \"cited\": false,\n          \"sources\": ") < 0 ||
            write_ids(&w, PyTuple_GET_ITEM(row, 7)) < 0 ||
            write_ascii(&w, ",\n          \"verdicts\": {}\n        }") < 0)
            goto fail;
    }
    return writer_finish(&w);
fail:
    PyMem_Free(w.items);
    return NULL;
}

PyDoc_STRVAR(citations_json_doc,
"citations_json(rows)\n--\n\n"
"The citations of a document as spool.document_json writes them (joined by \",\\n\"):\n"
"rows of (key, kind, marker, line, column, source or None, locator or None).");

static PyObject *
citations_json(PyObject *module, PyObject *rows)
{
    if (!PyList_Check(rows)) {
        PyErr_SetString(PyExc_TypeError, "rows must be a list");
        return NULL;
    }
    Writer w = {NULL, 0, 0};
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(rows); i++) {
        PyObject *row = PyList_GET_ITEM(rows, i);
        if (row_of(row, 7, "citation") < 0)
            goto fail;
        PyObject *source = PyTuple_GET_ITEM(row, 5), *locator = PyTuple_GET_ITEM(row, 6);
        if ((i > 0 && write_ascii(&w, ",\n") < 0) ||
            write_ascii(&w, "        {\n          \"id\": ") < 0 ||
            write_string(&w, PyTuple_GET_ITEM(row, 0)) < 0 ||
            write_ascii(&w, ",\n          \"kind\": ") < 0 ||
            write_string(&w, PyTuple_GET_ITEM(row, 1)) < 0 ||
            write_ascii(&w, ",\n          \"marker\": ") < 0 ||
            write_string(&w, PyTuple_GET_ITEM(row, 2)) < 0 ||
            write_ascii(&w, ",\n          \"line\": ") < 0 ||
            write_int(&w, PyTuple_GET_ITEM(row, 3)) < 0 ||
            write_ascii(&w, ",\n          \"column\": ") < 0 ||
            write_int(&w, PyTuple_GET_ITEM(row, 4)) < 0 ||
            write_ascii(&w, ",\n          \"source\": ") < 0 ||
            (source == Py_None ? write_ascii(&w, "null") : write_string(&w, source)) < 0 ||
            write_ascii(&w, ",\n          \"locator\": ") < 0 ||
            (locator == Py_None ? write_ascii(&w, "null") : write_string(&w, locator)) < 0 ||
            write_ascii(&w, "\n        }") < 0)
            goto fail;
    }
    return writer_finish(&w);
fail:
    PyMem_Free(w.items);
    return NULL;
}

/* ---- Markers (markers.find_markers) ------------------------------------------------ */

/* A new Marker (start, end, raw, kind, items); `items` a new reference, stolen. */
static PyObject *
new_marker(PyTypeObject *type, Py_ssize_t start, Py_ssize_t end, PyObject *raw, PyObject *kind,
           PyObject *items)
{
    PyObject *fields[5] = {
        PyLong_FromSsize_t(start), PyLong_FromSsize_t(end), Py_NewRef(raw), Py_NewRef(kind),
        items,
    };
    return new_named(type, fields, 5);
}

PyDoc_STRVAR(find_markers_doc,
"find_markers(text, search, config)\n--\n\n"
"markers.find_markers with the marker regex's `search`. config: (Marker, MarkerItem,\n"
"MarkerKind.CITATION, .EMPTY, .NEEDED, CitationKind.FOOTNOTE, _numeric_items,\n"
"_pandoc_items, _looks_like_code).");

static PyObject *
find_markers(PyObject *module, PyObject *args)
{
    PyObject *text, *search, *config;
    PyObject *marker_type, *item_type, *citation, *empty, *needed, *footnote, *numeric_items,
        *pandoc_items, *looks_like_code;
    if (!PyArg_ParseTuple(args, "UOO!:find_markers", &text, &search, &PyTuple_Type, &config) ||
        !PyArg_ParseTuple(config, "O!O!OOOOOOO;config", &PyType_Type, &marker_type,
                          &PyType_Type, &item_type, &citation, &empty, &needed, &footnote,
                          &numeric_items, &pandoc_items, &looks_like_code))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)marker_type, &PyTuple_Type) ||
        !PyType_IsSubtype((PyTypeObject *)item_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "Marker and MarkerItem must be named tuples");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    PyObject *markers = PyList_New(0);
    if (markers == NULL)
        return NULL;
    Py_ssize_t pos = 0;
    while (pos <= length) {
        PyObject *match = PyObject_CallFunction(search, "On", text, pos);
        if (match == NULL)
            goto fail;
        if (match == Py_None) {
            Py_DECREF(match);
            break;
        }
        /* Which alternative matched: the one group that took part (none nests another). */
        PyObject *span = PyObject_CallMethod(match, "span", NULL);
        PyObject *group = span == NULL ? NULL : PyObject_GetAttrString(match, "lastgroup");
        PyObject *body = NULL, *raw = NULL;
        if (group != NULL && PyUnicode_Check(group)) {
            body = PyObject_CallMethod(match, "group", "O", group);
            raw = body == NULL ? NULL : PyObject_CallMethod(match, "group", "i", 0);
        }
        else if (group != NULL) {
            PyErr_SetString(PyExc_ValueError, "the marker regex matched no named group");
        }
        Py_DECREF(match);
        Py_ssize_t start = 0, end = 0;
        if (raw == NULL || !PyArg_ParseTuple(span, "nn", &start, &end) || !PyUnicode_Check(body) ||
            end <= start) {
            if (raw != NULL && !PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "a marker must be a non-empty match");
            Py_XDECREF(span);
            Py_XDECREF(group);
            Py_XDECREF(body);
            Py_XDECREF(raw);
            goto fail;
        }
        Py_DECREF(span);
        pos = end; /* finditer goes on after a (non-empty) match */
        PyObject *marker = NULL; /* stays NULL without an error: not a marker */
        PyObject *marker_kind = citation;
        if (PyUnicode_CompareWithASCIIString(group, "num") == 0) {
            PyObject *items = PyObject_CallOneArg(numeric_items, body);
            if (items != NULL && items != Py_None)
                marker = new_marker((PyTypeObject *)marker_type, start, end, raw, citation, items);
            else
                Py_XDECREF(items);
        }
        else if (PyUnicode_CompareWithASCIIString(group, "fn") == 0) {
            PyObject *key = PyUnicode_FromFormat("^%U", body);
            PyObject *fields[3] = {key, Py_NewRef(footnote), Py_NewRef(Py_None)};
            PyObject *item = key == NULL ? NULL : new_named((PyTypeObject *)item_type, fields, 3);
            if (key == NULL) {
                Py_DECREF(fields[1]);
                Py_DECREF(fields[2]);
            }
            PyObject *items = item == NULL ? NULL : PyTuple_Pack(1, item);
            Py_XDECREF(item);
            if (items != NULL)
                marker = new_marker((PyTypeObject *)marker_type, start, end, raw, citation, items);
        }
        else if (PyUnicode_CompareWithASCIIString(group, "needed") == 0) {
            marker_kind = needed;
            marker = new_marker((PyTypeObject *)marker_type, start, end, raw, needed, PyTuple_New(0));
        }
        else if (PyUnicode_CompareWithASCIIString(group, "pandoc") == 0) {
            PyObject *items = PyObject_CallOneArg(pandoc_items, body);
            if (items != NULL && items != Py_None)
                marker = new_marker((PyTypeObject *)marker_type, start, end, raw, citation, items);
            else
                Py_XDECREF(items);
        }
        else {
            marker_kind = empty;
            marker = new_marker((PyTypeObject *)marker_type, start, end, raw, empty, PyTuple_New(0));
        }
        Py_DECREF(group);
        Py_DECREF(body);
        Py_DECREF(raw);
        if (marker == NULL) {
            if (PyErr_Occurred())
                goto fail;
            continue;
        }
        if (marker_kind == citation) {
            /* _looks_like_code: only a marker glued to a name, a ")" or another marker can be
             * indexing ("arr[1]", "f(x)[2]", "a[1][2]"); "claim [1]" never is. */
            Py_UCS4 before = start > 0 ? PyUnicode_READ(kind, data, start - 1) : 0;
            int glued = before == ']' || (before == '\n' && start > 1 &&
                                          PyUnicode_READ(kind, data, start - 2) == ']');
            if (glued || (start > 0 && (Py_UNICODE_ISALNUM(before) || before == '_' ||
                                        before == ')'))) {
                int code = call_truth(
                    PyObject_CallFunction(looks_like_code, "Onn", text, start, end));
                if (code != 0) {
                    Py_DECREF(marker);
                    if (code < 0)
                        goto fail;
                    continue;
                }
            }
        }
        if (append_steal(markers, marker) < 0)
            goto fail;
    }
    return markers;
fail:
    Py_DECREF(markers);
    return NULL;
}

/* resolved[id(citation)], as a new reference; NULL with KeyError when it is not there. */
static PyObject *
resolved_of(PyObject *resolved, PyObject *citation)
{
    PyObject *key = PyLong_FromVoidPtr(citation);
    if (key == NULL)
        return NULL;
    PyObject *value = PyDict_GetItemWithError(resolved, key);
    if (value == NULL && !PyErr_Occurred())
        PyErr_SetObject(PyExc_KeyError, key);
    Py_DECREF(key);
    return value == NULL ? NULL : Py_NewRef(value);
}

/* Whether id(citation) is in the set `years`: -1 on error. */
static int
is_year(PyObject *years, PyObject *citation)
{
    PyObject *key = PyLong_FromVoidPtr(citation);
    if (key == NULL)
        return -1;
    int found = PySet_Contains(years, key);
    Py_DECREF(key);
    return found;
}

/* Append `item` (a new reference, stolen) to `list` unless an equal one is there. */
static int
append_new(PyObject *list, PyObject *item)
{
    if (item == NULL)
        return -1;
    int there = PySequence_Contains(list, item);
    int failed = there < 0 || (!there && PyList_Append(list, item) < 0);
    Py_DECREF(item);
    return failed ? -1 : 0;
}

/* One claim's row; its draft appended to `drafts` when it cites nothing. */
static PyObject *
claim_row(PyObject *claim, PyObject *resolved, PyObject *years, PyObject *diagnosed,
          PyTypeObject *draft, PyObject *uncited, PyObject *drafts, int *cited)
{
    if (!PyTuple_Check(claim) || PyTuple_GET_SIZE(claim) != 8 ||
        !PyTuple_Check(PyTuple_GET_ITEM(claim, 7))) {
        PyErr_SetString(PyExc_TypeError, "a claim must be a Sentence");
        return NULL;
    }
    PyObject *text = PyTuple_GET_ITEM(claim, 0);
    PyObject *all = PyTuple_GET_ITEM(claim, 7);
    PyObject *keys = PyList_New(0), *sources = PyList_New(0);
    if (keys == NULL || sources == NULL)
        goto fail;
    Py_ssize_t count = 0; /* citations left once the years are out */
    int filter = PySet_GET_SIZE(years) > 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(all); i++) {
        PyObject *citation = PyTuple_GET_ITEM(all, i);
        if (filter) {
            int year = is_year(years, citation);
            if (year < 0)
                goto fail;
            if (year)
                continue;
        }
        if (!PyTuple_Check(citation) || PyTuple_GET_SIZE(citation) < 1) {
            PyErr_SetString(PyExc_TypeError, "a citation must be a Citation");
            goto fail;
        }
        count++;
        if (append_new(keys, Py_NewRef(PyTuple_GET_ITEM(citation, 0))) < 0)
            goto fail;
        PyObject *source = resolved_of(resolved, citation);
        if (source == NULL)
            goto fail;
        if (source == Py_None)
            Py_DECREF(source);
        else if (append_new(sources, source) < 0)
            goto fail;
    }
    *cited = count > 0;
    if (count == 0) {
        int known = PySet_Contains(diagnosed, text);
        if (known < 0)
            goto fail;
        if (!known) {
            /* (rule, severity, path, line, column, message, text, None, False) */
            PyObject *fields[9] = {
                Py_NewRef(PyTuple_GET_ITEM(uncited, 0)),
                Py_NewRef(PyTuple_GET_ITEM(uncited, 1)),
                Py_NewRef(PyTuple_GET_ITEM(uncited, 2)),
                Py_NewRef(PyTuple_GET_ITEM(claim, 3)),
                Py_NewRef(PyTuple_GET_ITEM(claim, 4)),
                Py_NewRef(PyTuple_GET_ITEM(uncited, 3)),
                Py_NewRef(text),
                Py_NewRef(Py_None),
                Py_NewRef(Py_False),
            };
            if (append_steal(drafts, new_named(draft, fields, 9)) < 0)
                goto fail;
        }
    }
    /* (text, line, column, end_line, end_column, keys, cited, sources) */
    PyObject *row = PyTuple_Pack(8, text, PyTuple_GET_ITEM(claim, 3), PyTuple_GET_ITEM(claim, 4),
                                 PyTuple_GET_ITEM(claim, 5), PyTuple_GET_ITEM(claim, 6), keys,
                                 count ? Py_True : Py_False, sources);
    Py_DECREF(keys);
    Py_DECREF(sources);
    return row;
fail:
    Py_XDECREF(keys);
    Py_XDECREF(sources);
    return NULL;
}

PyDoc_STRVAR(claim_rows_doc,
"claim_rows(claims, resolved, years, diagnosed, draft, uncited)\n--\n\n"
"spool.claim_rows: (rows, how many claims cite something, uncited-claim drafts).");

static PyObject *
claim_rows(PyObject *module, PyObject *args)
{
    PyObject *claims, *resolved, *years, *diagnosed, *draft, *uncited;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!:claim_rows", &PyList_Type, &claims,
                          &PyDict_Type, &resolved, &PySet_Type, &years, &PySet_Type, &diagnosed,
                          &PyType_Type, &draft, &PyTuple_Type, &uncited))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)draft, &PyTuple_Type) ||
        PyTuple_GET_SIZE(uncited) != 4) {
        PyErr_SetString(PyExc_TypeError, "draft must be a named tuple, uncited 4 fields");
        return NULL;
    }
    PyObject *rows = PyList_New(0), *drafts = PyList_New(0);
    Py_ssize_t cited_count = 0;
    if (rows == NULL || drafts == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(claims); i++) {
        int cited = 0;
        PyObject *row = claim_row(PyList_GET_ITEM(claims, i), resolved, years, diagnosed,
                                  (PyTypeObject *)draft, uncited, drafts, &cited);
        if (append_steal(rows, row) < 0)
            goto fail;
        cited_count += cited;
    }
    PyObject *result = Py_BuildValue("(OnO)", rows, cited_count, drafts);
    Py_DECREF(rows);
    Py_DECREF(drafts);
    return result;
fail:
    Py_XDECREF(rows);
    Py_XDECREF(drafts);
    return NULL;
}

static PyMethodDef methods[] = {
    {"find_markers", find_markers, METH_VARARGS, find_markers_doc},
    {"claim_rows", claim_rows, METH_VARARGS, claim_rows_doc},
    {"scan", scan, METH_VARARGS, scan_doc},
    {"claims_json", claims_json, METH_O, claims_json_doc},
    {"citations_json", citations_json, METH_O, citations_json_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "provenance.extract._speedups",
    "The per-sentence loop of extraction, compiled (see provenance/extract/_speedups.c).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
