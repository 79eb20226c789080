/* tok.c: turns typed UTF-8 text into the token list attention runs over
 * (UTF-8 validation, code point classes, word/CJK/explicit '|' splitting). */
#include "tok.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ---------------------------------------------------------------- */

enum { U_OK, U_BADLEAD, U_BADCONT, U_TRUNC, U_OVERLONG, U_SURROGATE, U_RANGE };

/* Decodes one code point and, on failure, says why and at which byte of the
 * sequence (*at), so tok_split can point the column at the real culprit. */
static int decode(const unsigned char *s, size_t len, unsigned *cp, int *why, size_t *at)
{
    unsigned b = s[0], c, min;
    int need;

    *at = 0;
    if (b < 0x80) { *cp = b; *why = U_OK; return 1; }
    if (b < 0xC0) { *why = U_BADLEAD; return 0; }  /* continuation byte as a lead */
    if (b < 0xC2) { *why = U_OVERLONG; return 0; } /* C0/C1 only ever encode ASCII twice */
    if (b < 0xE0) { need = 1; min = 0x80; c = b & 0x1F; }
    else if (b < 0xF0) { need = 2; min = 0x800; c = b & 0x0F; }
    else if (b < 0xF5) { need = 3; min = 0x10000; c = b & 0x07; }
    else { *why = U_BADLEAD; return 0; }           /* F5..FF would exceed U+10FFFF */

    for (int k = 1; k <= need; k++) {
        if ((size_t)k >= len) { *why = U_TRUNC; return 0; }
        if ((s[k] & 0xC0) != 0x80) { *why = U_BADCONT; *at = (size_t)k; return 0; }
        c = (c << 6) | (s[k] & 0x3Fu);
    }
    if (c < min) { *why = U_OVERLONG; return 0; }
    if (c >= 0xD800 && c <= 0xDFFF) { *why = U_SURROGATE; *cp = c; return 0; }
    if (c > 0x10FFFF) { *why = U_RANGE; return 0; }
    *cp = c;
    *why = U_OK;
    return need + 1;
}

int tok_utf8_decode(const char *s, size_t len, unsigned *cp)
{
    unsigned c = 0;
    int why, n;
    size_t at;

    if (!s || len == 0) return 0;
    n = decode((const unsigned char *)s, len, &c, &why, &at);
    if (n > 0 && cp) *cp = c;
    return n;
}

/* ---- code point classes ---------------------------------------------------- */

/* SINGLE is the default: CJK ideographs, kana, CJK and fullwidth punctuation,
 * ASCII punctuation, symbols and emoji all stand alone, one code point each. */
enum { C_SINGLE, C_SPACE, C_WORD, C_MARK };

typedef struct { unsigned lo, hi; } Range;

/* Sorted, non-overlapping. Marks attach to whatever token they follow, so an
 * accent, a vowel sign, a variation selector or a skin tone never stands alone. */
static const Range mark_ranges[] = {
    {0x00AD, 0x00AD},   /* soft hyphen: invisible, belongs inside its word */
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF},
    {0x05C1, 0x05C2}, {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A},
    {0x064B, 0x065F}, {0x0670, 0x0670}, {0x06D6, 0x06DC}, {0x06DF, 0x06E4},
    {0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x08D3, 0x08E1}, {0x08E3, 0x08FF},
    {0x0900, 0x0903}, {0x093A, 0x093C}, {0x093E, 0x094F}, {0x0951, 0x0957},
    {0x0962, 0x0963}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},
    {0x200C, 0x200D},   /* ZWNJ, ZWJ */
    {0x2060, 0x2060},   /* word joiner */
    {0x20D0, 0x20FF}, {0x2DE0, 0x2DFF},
    {0x302A, 0x302F},   /* ideographic tone marks */
    {0x3099, 0x309A},   /* combining kana voicing marks */
    {0xA66F, 0xA672}, {0xA674, 0xA67D}, {0xA69E, 0xA69F},
    {0xFE00, 0xFE0F},   /* variation selectors (text/emoji presentation) */
    {0xFE20, 0xFE2F},
    {0x1F3FB, 0x1F3FF}, /* emoji skin tones */
    {0xE0020, 0xE007F}, /* emoji tag sequences */
    {0xE0100, 0xE01EF},
};

/* Sorted, non-overlapping. Letters and digits of scripts that separate words
 * with spaces, so a whole word becomes one token. Hangul is here (Korean puts
 * spaces between words); CJK ideographs and kana are deliberately not. */
static const Range word_ranges[] = {
    {'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'},
    {0x00AA, 0x00AA}, {0x00B2, 0x00B3}, {0x00B5, 0x00B5}, {0x00B9, 0x00BA},
    {0x00C0, 0x00D6}, {0x00D8, 0x00F6}, {0x00F8, 0x02C1}, {0x02C6, 0x02D1},
    {0x02E0, 0x02E4}, {0x02EC, 0x02EC}, {0x02EE, 0x02EE},
    /* Greek */
    {0x0370, 0x0373}, {0x0376, 0x0377}, {0x037A, 0x037D}, {0x037F, 0x037F},
    {0x0386, 0x0386}, {0x0388, 0x038A}, {0x038C, 0x038C}, {0x038E, 0x03A1},
    {0x03A3, 0x03F5}, {0x03F7, 0x03FF},
    /* Cyrillic, Armenian */
    {0x0400, 0x0481}, {0x048A, 0x052F}, {0x0531, 0x0556}, {0x0560, 0x0588},
    /* Hebrew, Arabic */
    {0x05D0, 0x05EA}, {0x05EF, 0x05F2}, {0x0620, 0x064A}, {0x0660, 0x0669},
    {0x066E, 0x066F}, {0x0671, 0x06D3}, {0x06D5, 0x06D5}, {0x06E5, 0x06E6},
    {0x06EE, 0x06FC}, {0x06FF, 0x06FF}, {0x0750, 0x077F}, {0x08A0, 0x08C9},
    /* Devanagari */
    {0x0904, 0x0939}, {0x093D, 0x093D}, {0x0950, 0x0950}, {0x0958, 0x0961},
    {0x0966, 0x096F}, {0x0971, 0x097F},
    /* Georgian, Hangul jamo */
    {0x10A0, 0x10C5}, {0x10C7, 0x10C7}, {0x10CD, 0x10CD}, {0x10D0, 0x10FA},
    {0x10FC, 0x10FF}, {0x1100, 0x11FF},
    /* Cyrillic Ext-C, Georgian Ext, phonetic, Latin/Greek Extended */
    {0x1C80, 0x1C88}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF}, {0x1D00, 0x1DBF},
    {0x1E00, 0x1FFF}, {0x2C60, 0x2C7F},
    /* Hangul compatibility jamo */
    {0x3131, 0x318E},
    /* Cyrillic Ext-B, Latin Ext-D, Hangul jamo Ext-A, Latin Ext-E */
    {0xA640, 0xA66E}, {0xA67F, 0xA69D}, {0xA722, 0xA788}, {0xA78B, 0xA7FF},
    {0xA960, 0xA97C}, {0xAB30, 0xAB5A}, {0xAB5C, 0xAB69},
    /* Hangul syllables and jamo Ext-B */
    {0xAC00, 0xD7A3}, {0xD7B0, 0xD7C6}, {0xD7CB, 0xD7FB},
    /* Latin ligatures, Hebrew and Arabic presentation forms */
    {0xFB00, 0xFB06}, {0xFB1D, 0xFB28}, {0xFB2A, 0xFB4F}, {0xFB50, 0xFBB1},
    {0xFBD3, 0xFD3D}, {0xFD50, 0xFDC7}, {0xFDF0, 0xFDFB}, {0xFE70, 0xFEFC},
    /* fullwidth digits, letters and low line; halfwidth Hangul */
    {0xFF10, 0xFF19}, {0xFF21, 0xFF3A}, {0xFF3F, 0xFF3F}, {0xFF41, 0xFF5A},
    {0xFFA0, 0xFFDC},
};

static int in_ranges(const Range *r, size_t n, unsigned cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo) hi = mid;
        else if (cp > r[mid].hi) lo = mid + 1;
        else return 1;
    }
    return 0;
}

static int is_space(unsigned cp)
{
    /* Beyond the usual set: NEL, Ogham, line/paragraph separators, narrow and
     * medium spaces, and a BOM, which pasted text often carries. */
    return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

static int classify(unsigned cp)
{
    if (is_space(cp)) return C_SPACE;
    if (in_ranges(word_ranges, sizeof word_ranges / sizeof word_ranges[0], cp)) return C_WORD;
    if (in_ranges(mark_ranges, sizeof mark_ranges / sizeof mark_ranges[0], cp)) return C_MARK;
    return C_SINGLE;
}

/* Apostrophes and hyphens that stay inside a word when flanked by word
 * characters ("don't", "self-attention"); geresh/gershayim do the same job in
 * Hebrew abbreviations. */
static int is_inner_joiner(unsigned cp)
{
    return cp == '\'' || cp == 0x2019 || cp == '-' || cp == 0x2010 || cp == 0x2011 ||
           cp == 0x05F3 || cp == 0x05F4;
}

static int is_digit(unsigned cp) { return cp >= '0' && cp <= '9'; }

static int is_ascii_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* ---- building the list ------------------------------------------------------ */

typedef struct {
    TokList list;
    int cap;
    const char *text;
    char *err;
    size_t errlen;
} Builder;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0) return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Copies text[start, end) in as the next token; the column in any message is
 * that of the token's first byte. */
static int push(Builder *b, size_t start, size_t end)
{
    size_t n = end - start;
    char *s;

    if (n > TOK_MAX_BYTES) {
        set_err(b->err, b->errlen, "column %zu: token longer than %d bytes", start + 1, TOK_MAX_BYTES);
        return -1;
    }
    if (b->list.n >= TOK_MAX_TOKENS) {
        set_err(b->err, b->errlen, "column %zu: more than %d tokens (the engine's limit)", start + 1,
                TOK_MAX_TOKENS);
        return -1;
    }
    if (b->list.n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 16;
        char **t;
        if (cap > TOK_MAX_TOKENS) cap = TOK_MAX_TOKENS;
        t = realloc(b->list.text, (size_t)cap * sizeof *t);
        if (!t) goto oom;
        b->list.text = t;
        b->cap = cap;
    }
    s = malloc(n + 1);
    if (!s) goto oom;
    memcpy(s, b->text + start, n);
    s[n] = '\0';
    b->list.text[b->list.n++] = s;
    return 0;
oom:
    set_err(b->err, b->errlen, "column %zu: out of memory", start + 1);
    return -1;
}

/* Checks the whole text first so encoding problems are reported the same way in
 * both modes, and so the splitters can trust every sequence they decode. */
static int validate(const char *text, size_t len, char *err, size_t errlen)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;

    while (i < len) {
        unsigned cp = 0;
        int why, n;
        size_t at, col;

        if (s[i] == 0) { set_err(err, errlen, "column %zu: NUL byte in text", i + 1); return -1; }
        n = decode(s + i, len - i, &cp, &why, &at);
        if (n > 0) { i += (size_t)n; continue; }
        col = i + at + 1;
        switch (why) {
        case U_BADLEAD:
            set_err(err, errlen, "column %zu: invalid UTF-8 byte 0x%02x", col, (unsigned)s[i]);
            break;
        case U_BADCONT:
            if (s[i + at] == 0)
                set_err(err, errlen, "column %zu: NUL byte in text", col);
            else
                set_err(err, errlen, "column %zu: expected a UTF-8 continuation byte, got 0x%02x", col,
                        (unsigned)s[i + at]);
            break;
        case U_TRUNC:
            set_err(err, errlen, "column %zu: truncated UTF-8 sequence at end of text", col);
            break;
        case U_OVERLONG:
            set_err(err, errlen, "column %zu: overlong UTF-8 encoding", col);
            break;
        case U_SURROGATE:
            set_err(err, errlen, "column %zu: UTF-8 encodes surrogate U+%04X", col, cp);
            break;
        default:
            set_err(err, errlen, "column %zu: code point above U+10FFFF", col);
            break;
        }
        return -1;
    }
    return 0;
}

/* Explicit mode: pieces between '|' are tokens as typed, minus ASCII space at
 * the ends. An empty piece names the '|' that closes it, or for the last piece
 * the '|' that opens it. */
static int split_bars(Builder *b, size_t len)
{
    const char *t = b->text;
    size_t start = 0;

    for (;;) {
        size_t end = start, lo, hi;
        while (end < len && t[end] != '|') end++;
        lo = start;
        hi = end;
        while (lo < hi && is_ascii_space((unsigned char)t[lo])) lo++;
        while (hi > lo && is_ascii_space((unsigned char)t[hi - 1])) hi--;
        if (lo == hi) {
            if (end < len)
                set_err(b->err, b->errlen, "column %zu: empty token before '|'", end + 1);
            else
                set_err(b->err, b->errlen, "column %zu: empty token after '|'", start);
            return -1;
        }
        if (push(b, lo, hi) < 0) return -1;
        if (end == len) return 0;
        start = end + 1;
    }
}

enum { T_NONE, T_WORD, T_SINGLE };

static unsigned peek(const char *t, size_t len, size_t i)
{
    unsigned cp = 0;
    if (i >= len || tok_utf8_decode(t + i, len - i, &cp) == 0) return 0;
    return cp;
}

static int split_auto(Builder *b, size_t len)
{
    const char *t = b->text;
    size_t i = 0, start = 0;
    int cur = T_NONE;
    unsigned last = 0;    /* the code point before cp */
    int glue = 0;         /* a ZWJ asks for the next code point to join too */
    int lone_ri = 0;      /* current token is one regional indicator (half a flag) */

    while (i < len) {
        unsigned cp = 0;
        int n = tok_utf8_decode(t + i, len - i, &cp), cls = classify(cp);
        int ri = cp >= 0x1F1E6 && cp <= 0x1F1FF, starts_ri = 0;
        size_t next = i + (size_t)n;

        if (cls == C_SPACE) {
            if (cur != T_NONE && push(b, start, i) < 0) return -1;
            cur = T_NONE;
            glue = 0;
        } else if (cur != T_NONE && (cls == C_MARK || glue)) {
            glue = cp == 0x200D;
        } else if (cls == C_MARK || cls == C_WORD) {
            if (cur != T_WORD) {
                if (cur != T_NONE && push(b, start, i) < 0) return -1;
                cur = T_WORD;
                start = i;
            }
            glue = cp == 0x200D;
        } else if (cur == T_WORD && classify(peek(t, len, next)) == C_WORD &&
                   (is_inner_joiner(cp) ||
                    (cp == '.' && is_digit(last) && is_digit(peek(t, len, next))))) {
            /* stays inside the word: the next code point is a word character */
        } else if (ri && lone_ri) {
            /* second half of a flag */
        } else {
            if (cur != T_NONE && push(b, start, i) < 0) return -1;
            cur = T_SINGLE;
            start = i;
            starts_ri = ri;
        }
        lone_ri = starts_ri;
        last = cp;
        i = next;
    }
    if (cur != T_NONE && push(b, start, len) < 0) return -1;
    return 0;
}

int tok_split(TokList *out, const char *text, size_t len, char *err, size_t errlen)
{
    Builder b;
    int rc;

    if (err && errlen > 0) err[0] = '\0';
    if (!out) {
        set_err(err, errlen, "column 1: no token list to fill");
        return -1;
    }
    out->n = 0;
    out->text = NULL;
    if (!text) len = 0;
    if (validate(text, len, err, errlen) < 0) return -1;

    memset(&b, 0, sizeof b);
    b.text = text;
    b.err = err;
    b.errlen = errlen;
    rc = len > 0 && memchr(text, '|', len) ? split_bars(&b, len) : split_auto(&b, len);
    if (rc == 0 && b.list.n == 0) {
        set_err(err, errlen, "column 1: no tokens in the text");
        rc = -1;
    }
    if (rc < 0) {
        tok_free(&b.list);
        return -1;
    }
    *out = b.list;
    return 0;
}

void tok_free(TokList *list)
{
    if (!list) return;
    for (int i = 0; i < list->n; i++) free(list->text[i]);
    free(list->text);
    list->n = 0;
    list->text = NULL;
}
