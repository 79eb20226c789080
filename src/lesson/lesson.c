/* lesson.c: lesson files: Markdown (read with md4c) into titled steps of styled narration,
 * scene keys and questions, each with its line and column; and TeX-like maths set in Unicode. */
#define _POSIX_C_SOURCE 200809L
#include "lesson.h"

#include "../engine/tok.h"

#include <limits.h>
#include <math.h>
#include <md4c.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MATH_MAX_DEPTH 24   /* nesting of braces and scripts followed in maths */
#define INLINE_MAX_DEPTH 8  /* nesting of emphasis followed in a reveal text */

/* ---------------------------------------------------------------- buffers */

/* A growable NUL-terminated string; once out of memory it stays so and takes no more. */
typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} Buf;

static void buf_put(Buf *b, const char *s, size_t n)
{
    if (b->oom || n == 0) return;
    if (n > SIZE_MAX / 4 - b->n) { b->oom = 1; return; }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) { b->oom = 1; return; }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void buf_putc(Buf *b, char c) { buf_put(b, &c, 1); }
static void buf_puts(Buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static int utf8_encode(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static void buf_cp(Buf *b, unsigned cp)
{
    char t[4];
    buf_put(b, t, (size_t)utf8_encode(t, cp));
}

static void buf_free(Buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* The contents as a malloc'd string (NULL when out of memory); the buffer is left empty. */
static char *buf_take(Buf *b)
{
    char *s = b->p;
    if (b->oom) { free(s); s = NULL; }
    else if (!s) s = strdup("");
    memset(b, 0, sizeof *b);
    return s;
}

/* Room for element n of an array that grows by doubling: its capacity is the power of two
 * above n, so it is not stored. Returns the (possibly moved) array, NULL when out of memory
 * (the old array then stays valid). */
static void *grow(void *arr, int n, size_t size)
{
    if (n > 0 && (n & (n - 1))) return arr;
    if (n > INT_MAX / 2) return NULL;
    size_t cap = n ? (size_t)n * 2 : 1;
    if (cap > SIZE_MAX / size) return NULL;
    return realloc(arr, cap * size);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* Decodes the code point at s (before e); invalid bytes read as U+FFFD, one byte each. */
static int next_cp(const char *s, const char *e, unsigned *cp)
{
    int n = tok_utf8_decode(s, (size_t)(e - s), cp);
    if (n > 0) return n;
    *cp = 0xFFFD;
    return 1;
}

/* ---------------------------------------------------------------- maths */

typedef struct {
    const char *name, *text;
} Sym;

/* \name -> text. Names not listed (and not handled in math_command) lose their backslash. */
static const Sym math_syms[] = {
    {"alpha", "α"}, {"beta", "β"}, {"gamma", "γ"}, {"delta", "δ"}, {"epsilon", "ϵ"},
    {"varepsilon", "ε"}, {"zeta", "ζ"}, {"eta", "η"}, {"theta", "θ"}, {"vartheta", "ϑ"},
    {"iota", "ι"}, {"kappa", "κ"}, {"lambda", "λ"}, {"mu", "μ"}, {"nu", "ν"}, {"xi", "ξ"},
    {"omicron", "ο"}, {"pi", "π"}, {"varpi", "ϖ"}, {"rho", "ρ"}, {"varrho", "ϱ"},
    {"sigma", "σ"}, {"varsigma", "ς"}, {"tau", "τ"}, {"upsilon", "υ"}, {"phi", "ϕ"},
    {"varphi", "φ"}, {"chi", "χ"}, {"psi", "ψ"}, {"omega", "ω"},
    {"Gamma", "Γ"}, {"Delta", "Δ"}, {"Theta", "Θ"}, {"Lambda", "Λ"}, {"Xi", "Ξ"},
    {"Pi", "Π"}, {"Sigma", "Σ"}, {"Upsilon", "Υ"}, {"Phi", "Φ"}, {"Psi", "Ψ"},
    {"Omega", "Ω"},
    {"sum", "Σ"}, {"prod", "Π"}, {"cdot", "·"}, {"times", "×"}, {"div", "÷"}, {"pm", "±"},
    {"mp", "∓"}, {"infty", "∞"}, {"leq", "≤"}, {"le", "≤"}, {"geq", "≥"}, {"ge", "≥"},
    {"neq", "≠"}, {"ne", "≠"}, {"approx", "≈"}, {"equiv", "≡"}, {"sim", "∼"},
    {"propto", "∝"}, {"to", "→"}, {"rightarrow", "→"}, {"leftarrow", "←"}, {"gets", "←"},
    {"Rightarrow", "⇒"}, {"mapsto", "↦"}, {"in", "∈"}, {"notin", "∉"}, {"subset", "⊂"},
    {"subseteq", "⊆"}, {"cup", "∪"}, {"cap", "∩"}, {"forall", "∀"}, {"exists", "∃"},
    {"partial", "∂"}, {"nabla", "∇"}, {"odot", "⊙"}, {"otimes", "⊗"}, {"oplus", "⊕"},
    {"circ", "∘"}, {"ast", "∗"}, {"star", "⋆"}, {"bullet", "•"}, {"ell", "ℓ"},
    {"top", "ᵀ"}, {"intercal", "ᵀ"}, {"prime", "′"}, {"ldots", "…"}, {"dots", "…"},
    {"cdots", "⋯"}, {"vdots", "⋮"}, {"ddots", "⋱"}, {"langle", "⟨"}, {"rangle", "⟩"},
    {"lVert", "‖"}, {"rVert", "‖"}, {"Vert", "‖"}, {"lvert", "|"}, {"rvert", "|"},
    {"vert", "|"}, {"mid", "|"}, {"lfloor", "⌊"}, {"rfloor", "⌋"}, {"lceil", "⌈"},
    {"rceil", "⌉"}, {"quad", " "}, {"qquad", " "},
    {"exp", "exp"}, {"log", "log"}, {"ln", "ln"}, {"softmax", "softmax"},
    {NULL, NULL}};

/* Commands that only size or style what follows: dropped. */
static const char *const math_silent[] = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
    "biggr", "Biggl", "Biggr", "displaystyle", "textstyle", "limits", "nolimits", NULL};

/* Commands whose one argument is maths shown as it is. */
static const char *const math_fonts[] = {
    "mathrm", "mathit", "mathbf", "mathsf", "mathtt", "mathcal", "boldsymbol", "bm",
    "operatorname", "mathbb", NULL};

/* Commands whose one argument is text, copied as written. */
static const char *const math_texts[] = {"text", "textrm", "textbf", "textit", "textnormal",
                                          "mbox", NULL};

typedef struct {
    unsigned from, to;
} CpMap;

static const CpMap sup_map[] = {
    {'0', 0x2070}, {'1', 0x00B9}, {'2', 0x00B2}, {'3', 0x00B3}, {'4', 0x2074}, {'5', 0x2075},
    {'6', 0x2076}, {'7', 0x2077}, {'8', 0x2078}, {'9', 0x2079}, {'+', 0x207A}, {'-', 0x207B},
    {0x2212, 0x207B}, {'=', 0x207C},
    {'a', 0x1D43}, {'b', 0x1D47}, {'c', 0x1D9C}, {'d', 0x1D48}, {'e', 0x1D49}, {'f', 0x1DA0},
    {'g', 0x1D4D}, {'h', 0x02B0}, {'i', 0x2071}, {'j', 0x02B2}, {'k', 0x1D4F}, {'l', 0x02E1},
    {'m', 0x1D50}, {'n', 0x207F}, {'o', 0x1D52}, {'p', 0x1D56}, {'r', 0x02B3}, {'s', 0x02E2},
    {'t', 0x1D57}, {'u', 0x1D58}, {'v', 0x1D5B}, {'w', 0x02B7}, {'x', 0x02E3}, {'y', 0x02B8},
    {'z', 0x1DBB},
    {'A', 0x1D2C}, {'B', 0x1D2E}, {'D', 0x1D30}, {'E', 0x1D31}, {'G', 0x1D33}, {'H', 0x1D34},
    {'I', 0x1D35}, {'J', 0x1D36}, {'K', 0x1D37}, {'L', 0x1D38}, {'M', 0x1D39}, {'N', 0x1D3A},
    {'O', 0x1D3C}, {'P', 0x1D3E}, {'R', 0x1D3F}, {'T', 0x1D40}, {'U', 0x1D41}, {'V', 0x2C7D},
    {'W', 0x1D42}, {0, 0}};

static const CpMap sub_map[] = {
    {'0', 0x2080}, {'1', 0x2081}, {'2', 0x2082}, {'3', 0x2083}, {'4', 0x2084}, {'5', 0x2085},
    {'6', 0x2086}, {'7', 0x2087}, {'8', 0x2088}, {'9', 0x2089}, {'+', 0x208A}, {'-', 0x208B},
    {0x2212, 0x208B}, {'=', 0x208C},
    {'a', 0x2090}, {'e', 0x2091}, {'h', 0x2095}, {'i', 0x1D62}, {'j', 0x2C7C}, {'k', 0x2096},
    {'l', 0x2097}, {'m', 0x2098}, {'n', 0x2099}, {'o', 0x2092}, {'p', 0x209A}, {'r', 0x1D63},
    {'s', 0x209B}, {'t', 0x209C}, {'u', 0x1D64}, {'v', 0x1D65}, {'x', 0x2093}, {0, 0}};

static int in_map_to(const CpMap *m, unsigned cp)
{
    for (; m->from; m++)
        if (m->to == cp) return 1;
    return 0;
}

static int is_prime(unsigned cp) { return cp >= 0x2032 && cp <= 0x2034; }

/* The superscript (sup) or subscript form of cp; itself for characters that are already in
 * that form or stay as they are (commas, primes, a superscript star); 0 when there is none. */
static unsigned script_form(int sup, unsigned cp)
{
    const CpMap *m = sup ? sup_map : sub_map;
    for (const CpMap *k = m; k->from; k++)
        if (k->from == cp) return k->to;
    if (cp == ',' || is_prime(cp) || in_map_to(m, cp)) return cp;
    if (sup && (cp == '*' || cp == 0x2217)) return cp;
    return 0;
}

static int is_script_char(unsigned cp) { return in_map_to(sup_map, cp) || in_map_to(sub_map, cp); }

static int in_list(const char *s, size_t n, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0) return 1;
    return 0;
}

/* The '}' that closes the '{' at p, or e when there is none. */
static const char *match_brace(const char *p, const char *e)
{
    int depth = 0;
    for (; p < e; p++) {
        if (*p == '\\' && p + 1 < e) { p++; continue; }
        if (*p == '{') depth++;
        else if (*p == '}' && --depth == 0) return p;
    }
    return e;
}

/* One argument of a command or script starting at p (spaces skipped): a {group} (without
 * its braces), a \command with any {groups} right after it, or one character. Returns the
 * end of what was read. */
static const char *math_arg(const char *p, const char *e, const char **as, const char **ae)
{
    while (p < e && is_space(*p)) p++;
    *as = *ae = p;
    if (p >= e) return e;
    if (*p == '{') {
        const char *q = match_brace(p, e);
        *as = p + 1;
        *ae = q;
        return q < e ? q + 1 : e;
    }
    if (*p == '\\') {
        const char *q = p + 1;
        if (q < e && is_letter(*q)) {
            while (q < e && is_letter(*q)) q++;
            while (q < e && *q == '{') {
                const char *r = match_brace(q, e);
                q = r < e ? r + 1 : e;
            }
        } else if (q < e) {
            unsigned cp;
            q += next_cp(q, e, &cp);
        }
        *ae = q;
        return q;
    }
    unsigned cp;
    *ae = p + next_cp(p, e, &cp);
    return *ae;
}

/* A single space, never first and never doubled. */
static void math_space(Buf *o)
{
    if (o->n > 0 && o->p[o->n - 1] != ' ') buf_putc(o, ' ');
}

static void trim_buf(Buf *b)
{
    size_t i = 0;
    while (i < b->n && b->p[i] == ' ') i++;
    if (i) {
        memmove(b->p, b->p + i, b->n - i + 1);
        b->n -= i;
    }
    while (b->n > 0 && b->p[b->n - 1] == ' ') b->p[--b->n] = '\0';
}

static void math_conv(Buf *o, const char *s, const char *e, int depth);

/* Converts s..e on its own (leading and trailing spaces dropped) into t. */
static void math_sub(Buf *t, const char *s, const char *e, int depth)
{
    math_conv(t, s, e, depth);
    if (t->n) trim_buf(t);
}

/* Whether t is wholly inside one pair of parentheses: "(1)" but not "(a)(b)". */
static int wrapped(const char *t, size_t n)
{
    if (n < 2 || t[0] != '(' || t[n - 1] != ')') return 0;
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '(') depth++;
        else if (t[i] == ')' && --depth == 0) return i == n - 1;
    }
    return 0;
}

/* Writes a sub- or superscript: Unicode forms when every character has one, else _(...). */
static void math_script(Buf *o, int sup, const char *as, const char *ae, int depth)
{
    Buf t = {0}, m = {0};
    math_sub(&t, as, ae, depth + 1);
    int ok = 1;
    for (size_t i = 0; i < t.n && ok;) {
        unsigned cp;
        i += (size_t)next_cp(t.p + i, t.p + t.n, &cp);
        if (cp == ' ') continue;
        unsigned f = script_form(sup, cp);
        if (f) buf_cp(&m, f);
        else ok = 0;
    }
    if (t.n == 0) {
        /* x^{} shows nothing */
    } else if (ok && m.n) {
        buf_put(o, m.p, m.n);
    } else {
        buf_putc(o, sup ? '^' : '_');
        if (wrapped(t.p, t.n)) buf_put(o, t.p, t.n);
        else {
            buf_putc(o, '(');
            buf_put(o, t.p, t.n);
            buf_putc(o, ')');
        }
    }
    if (t.oom || m.oom) o->oom = 1;
    buf_free(&t);
    buf_free(&m);
}

/* Whether a fraction's part needs parentheses: a space or an operator outside brackets. */
static int needs_parens(const char *t, size_t n)
{
    static const unsigned ops[] = {' ', '+', '-', 0x2212, '*', '/', 0xB7, 0xD7, '=', '<', '>',
                                   0x2264, 0x2265, 0x2260, 0x2248, 0xB1, 0x2213, ',', 0};
    int depth = 0;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        i += (size_t)next_cp(t + i, t + n, &cp);
        if (cp == '(' || cp == '[' || cp == '{' || cp == 0x27E8) depth++;
        else if (cp == ')' || cp == ']' || cp == '}' || cp == 0x27E9) depth--;
        else if (depth <= 0)
            for (int k = 0; ops[k]; k++)
                if (cp == ops[k]) return 1;
    }
    return 0;
}

/* One symbol, possibly with sub/superscripts and primes ("d", "dₖ", "α′ᵢ"), or a number. */
static int simple_symbol(const char *t, size_t n)
{
    unsigned cp;
    if (n == 0 || strspn(t, "0123456789.") == n) return 1;
    size_t i = (size_t)next_cp(t, t + n, &cp);
    while (i < n) {
        i += (size_t)next_cp(t + i, t + n, &cp);
        if (!is_script_char(cp) && !is_prime(cp)) return 0;
    }
    return 1;
}

static void put_part(Buf *o, const Buf *t, int parens)
{
    if (parens) buf_putc(o, '(');
    buf_put(o, t->p, t->n);
    if (parens) buf_putc(o, ')');
}

static unsigned double_struck(unsigned cp)
{
    switch (cp) {
    case 'R': return 0x211D;
    case 'N': return 0x2115;
    case 'Z': return 0x2124;
    case 'Q': return 0x211A;
    case 'C': return 0x2102;
    default: return cp;
    }
}

/* Converts the command at p (a backslash) and returns where the input continues. */
static const char *math_command(Buf *o, const char *p, const char *e, int depth)
{
    const char *q = p + 1;
    if (q >= e) return e;
    if (!is_letter(*q)) {
        unsigned cp;
        int n = next_cp(q, e, &cp);
        switch (cp) {
        case ',': case ';': case ':': case ' ': case '\\': math_space(o); break;
        case '!': break;
        case '|': buf_puts(o, "‖"); break;
        default: buf_cp(o, cp); break;   /* \{ \} \% \& \# \$ \_ and the like */
        }
        return q + n;
    }
    const char *ns = q;
    while (q < e && is_letter(*q)) q++;
    size_t nl = (size_t)(q - ns);

    for (const Sym *s = math_syms; s->name; s++)
        if (strlen(s->name) == nl && memcmp(s->name, ns, nl) == 0) {
            if (s->text[0] == ' ') math_space(o);
            else buf_puts(o, s->text);
            return q;
        }
    if (in_list(ns, nl, math_silent)) {
        if ((nl == 4 && memcmp(ns, "left", 4) == 0) || (nl == 5 && memcmp(ns, "right", 5) == 0)) {
            const char *r = q;
            while (r < e && is_space(*r)) r++;
            if (r < e && *r == '.') return r + 1;   /* \left. is an invisible delimiter */
        }
        return q;
    }

    const char *as, *ae;
    if (nl == 4 && memcmp(ns, "sqrt", 4) == 0) {
        Buf idx = {0}, t = {0};
        const char *r = q;
        while (r < e && is_space(*r)) r++;
        if (r < e && *r == '[') {
            const char *c = memchr(r, ']', (size_t)(e - r < 64 ? e - r : 64));   /* short */
            if (c) {
                math_sub(&idx, r + 1, c, depth + 1);
                q = c + 1;
            }
        }
        q = math_arg(q, e, &as, &ae);
        math_sub(&t, as, ae, depth + 1);
        if (idx.n == 1 && idx.p[0] == '3') buf_puts(o, "∛");
        else if (idx.n == 1 && idx.p[0] == '4') buf_puts(o, "∜");
        else {
            if (idx.n) math_script(o, 1, idx.p, idx.p + idx.n, depth);
            buf_puts(o, "√");
        }
        put_part(o, &t, !simple_symbol(t.p, t.n));
        if (idx.oom || t.oom) o->oom = 1;
        buf_free(&idx);
        buf_free(&t);
        return q;
    }
    if ((nl == 4 && memcmp(ns, "frac", 4) == 0) || (nl == 5 && memcmp(ns, "dfrac", 5) == 0) ||
        (nl == 5 && memcmp(ns, "tfrac", 5) == 0)) {
        Buf a = {0}, b = {0};
        q = math_arg(q, e, &as, &ae);
        math_sub(&a, as, ae, depth + 1);
        q = math_arg(q, e, &as, &ae);
        math_sub(&b, as, ae, depth + 1);
        put_part(o, &a, needs_parens(a.p, a.n));
        buf_putc(o, '/');
        put_part(o, &b, needs_parens(b.p, b.n));
        if (a.oom || b.oom) o->oom = 1;
        buf_free(&a);
        buf_free(&b);
        return q;
    }
    if (in_list(ns, nl, math_fonts)) {
        Buf t = {0};
        q = math_arg(q, e, &as, &ae);
        math_sub(&t, as, ae, depth + 1);
        int bb = nl == 6 && memcmp(ns, "mathbb", 6) == 0;
        for (size_t i = 0; i < t.n;) {
            unsigned cp;
            int n = next_cp(t.p + i, t.p + t.n, &cp);
            if (bb) buf_cp(o, double_struck(cp));
            else buf_put(o, t.p + i, (size_t)n);
            i += (size_t)n;
        }
        if (t.oom) o->oom = 1;
        buf_free(&t);
        return q;
    }
    if (in_list(ns, nl, math_texts)) {
        q = math_arg(q, e, &as, &ae);
        for (const char *r = as; r < ae;) {
            unsigned cp;
            int n = next_cp(r, ae, &cp);
            if (cp == '{' || cp == '}') { /* braces only group */ }
            else if (cp == '\\' && r + 1 < ae) { buf_putc(o, r[1]); n = 2; }
            else buf_cp(o, cp);
            r += n;
        }
        return q;
    }
    static const struct { const char *name; unsigned mark; } accents[] = {
        {"hat", 0x0302}, {"widehat", 0x0302}, {"bar", 0x0304}, {"overline", 0x0305},
        {"tilde", 0x0303}, {"widetilde", 0x0303}, {"vec", 0x20D7}, {"dot", 0x0307},
        {"ddot", 0x0308}, {NULL, 0}};
    for (int k = 0; accents[k].name; k++)
        if (strlen(accents[k].name) == nl && memcmp(accents[k].name, ns, nl) == 0) {
            Buf t = {0};
            q = math_arg(q, e, &as, &ae);
            math_sub(&t, as, ae, depth + 1);
            buf_put(o, t.p, t.n);
            if (t.n) buf_cp(o, accents[k].mark);
            if (t.oom) o->oom = 1;
            buf_free(&t);
            return q;
        }
    buf_put(o, ns, nl);   /* unknown: the name without its backslash */
    return q;
}

static void math_conv(Buf *o, const char *s, const char *e, int depth)
{
    const char *p = s;
    if (depth > MATH_MAX_DEPTH) {   /* far too deep to be maths: shown as written */
        while (p < e) {
            unsigned cp;
            p += next_cp(p, e, &cp);
            buf_cp(o, cp);
        }
        return;
    }
    while (p < e && !o->oom) {
        char c = *p;
        if (c == '\\') {
            p = math_command(o, p, e, depth);
        } else if (c == '{') {
            const char *q = match_brace(p, e);
            math_conv(o, p + 1, q, depth + 1);
            p = q < e ? q + 1 : e;
        } else if (c == '}') {
            p++;
        } else if (c == '^' || c == '_') {
            const char *as, *ae, *q = math_arg(p + 1, e, &as, &ae);
            if (q == p + 1 || (as == ae && q == ae)) buf_putc(o, c);   /* nothing follows */
            else math_script(o, c == '^', as, ae, depth);
            p = q;
        } else if (c == '\'') {
            int k = 0;
            while (p < e && *p == '\'') { k++; p++; }
            for (; k >= 3; k -= 3) buf_puts(o, "‴");
            if (k == 2) buf_puts(o, "″");
            else if (k == 1) buf_puts(o, "′");
        } else if (c == '-') {
            buf_puts(o, "−");
            p++;
        } else if (is_space(c) || c == '~') {
            math_space(o);
            p++;
        } else {
            unsigned cp;
            int n = next_cp(p, e, &cp);
            if (cp == 0xFFFD) buf_cp(o, cp);
            else buf_put(o, p, (size_t)n);
            p += n;
        }
    }
}

/* Copies src (n bytes) into out (len bytes), cut at a code point boundary, NUL-terminated. */
static void copy_cut(char *out, size_t len, const char *src, size_t n)
{
    if (n > len - 1) {
        n = len - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) n--;
    }
    if (n) memcpy(out, src, n);
    out[n] = '\0';
}

void lesson_math(char *out, size_t len, const char *tex)
{
    if (!out || len == 0) return;
    out[0] = '\0';
    if (!tex) return;
    Buf b = {0};
    math_sub(&b, tex, tex + strlen(tex), 0);
    if (b.p) copy_cut(out, len, b.p, b.n);
    buf_free(&b);
}

/* ---------------------------------------------------------------- runs */

/* Narration runs being collected: the last run's text grows in cur until the style changes. */
typedef struct {
    LessonRun *runs;
    int n;
    Buf cur;
    int style;
} RunB;

static int rb_flush(RunB *r)
{
    if (r->cur.oom) return -1;
    if (r->cur.n == 0) return 0;
    void *q = grow(r->runs, r->n, sizeof *r->runs);
    if (!q) return -1;
    r->runs = q;
    char *t = buf_take(&r->cur);
    if (!t) return -1;
    r->runs[r->n].style = r->style;
    r->runs[r->n].text = t;
    r->n++;
    return 0;
}

static int rb_add(RunB *r, int style, const char *s, size_t n)
{
    if (n == 0) return 0;
    if (r->cur.n > 0 && style != r->style && rb_flush(r)) return -1;
    r->style = style;
    buf_put(&r->cur, s, n);
    return r->cur.oom ? -1 : 0;
}

static void rb_free(RunB *r)
{
    for (int i = 0; i < r->n; i++) free(r->runs[i].text);
    free(r->runs);
    buf_free(&r->cur);
    memset(r, 0, sizeof *r);
}

/* Hands the runs over, white space trimmed at both ends and empty runs dropped. */
static int rb_finish(RunB *r, LessonRun **runs, int *n)
{
    if (rb_flush(r)) return -1;
    while (r->n > 0) {
        char *t = r->runs[0].text;
        size_t i = 0;
        while (is_space(t[i])) i++;
        if (t[i]) {
            memmove(t, t + i, strlen(t + i) + 1);
            break;
        }
        free(t);
        memmove(r->runs, r->runs + 1, (size_t)(r->n - 1) * sizeof *r->runs);
        r->n--;
    }
    while (r->n > 0) {
        char *t = r->runs[r->n - 1].text;
        size_t k = strlen(t);
        while (k > 0 && is_space(t[k - 1])) k--;
        if (k) {
            t[k] = '\0';
            break;
        }
        free(t);
        r->n--;
    }
    if (r->n == 0) {
        free(r->runs);
        r->runs = NULL;
    }
    *runs = r->runs;
    *n = r->n;
    r->runs = NULL;
    r->n = 0;
    return 0;
}

/* Adds maths s..e, converted, as one run. */
static int rb_math(RunB *r, int style, const char *s, const char *e)
{
    Buf t = {0};
    math_sub(&t, s, e, 0);
    int rc = t.oom ? -1 : rb_add(r, style | LESSON_MATH, t.p ? t.p : "", t.n);
    buf_free(&t);
    return rc;
}

/* ---------------------------------------------------------------- reveal text */

/* Where the run of k '*' closing an emphasis opened before s is (a run of exactly k, not
 * after a space), skipping code and maths; NULL when there is none. */
static const char *find_closer(const char *s, const char *e, int k)
{
    for (const char *q = s; q < e;) {
        if (*q == '\\' && q + 1 < e) { q += 2; continue; }
        if (*q == '`' || *q == '$') {
            const char *c = memchr(q + 1, *q, (size_t)(e - q - 1));
            q = c ? c + 1 : q + 1;
            continue;
        }
        if (*q != '*') { q++; continue; }
        const char *r = q;
        while (r < e && *r == '*') r++;
        if (r - q == k && !is_space(q[-1])) return q;
        q = r;
    }
    return NULL;
}

/* The reveal text's markup, kept minimal: *em*, **strong**, `code`, $maths$ and \ escapes. */
static int inline_runs(RunB *rb, const char *s, const char *e, int style, int depth)
{
    const char *lit = s, *p = s;
    const char *no_closer[4] = {NULL, NULL, NULL, NULL};   /* searches that found nothing */
    const char *no_code = NULL, *no_math = NULL;
#define FLUSH_LIT(upto) do { if (rb_add(rb, style, lit, (size_t)((upto) - lit))) return -1; } while (0)
    while (p < e) {
        char c = *p;
        if (c == '\\' && p + 1 < e && strchr("\\`*_$[]{}#|", p[1])) {
            FLUSH_LIT(p);
            lit = p + 1;
            p += 2;
        } else if (c == '`' || c == '$') {
            const char **none = c == '`' ? &no_code : &no_math;
            const char *q = *none && p >= *none ? NULL : memchr(p + 1, c, (size_t)(e - p - 1));
            if (!q) { *none = p; p++; continue; }
            FLUSH_LIT(p);
            if (c == '`' ? rb_add(rb, style | LESSON_CODE, p + 1, (size_t)(q - p - 1))
                         : rb_math(rb, style, p + 1, q))
                return -1;
            p = lit = q + 1;
        } else if (c == '*') {
            const char *r = p;
            while (r < e && *r == '*') r++;
            int k = (int)(r - p);
            const char *q = NULL;
            if (k <= 3 && r < e && !is_space(*r) && depth < INLINE_MAX_DEPTH &&
                !(no_closer[k] && p >= no_closer[k])) {
                q = find_closer(r, e, k);
                if (!q) no_closer[k] = p;
            }
            if (!q) { p = r; continue; }
            FLUSH_LIT(p);
            int bits = k == 1 ? LESSON_EM : k == 2 ? LESSON_STRONG : LESSON_EM | LESSON_STRONG;
            if (inline_runs(rb, r, q, style | bits, depth + 1)) return -1;
            p = lit = q + k;
        } else {
            p++;
        }
    }
    FLUSH_LIT(e);
#undef FLUSH_LIT
    return 0;
}

/* The text of value with its markup applied and dropped (maths converted); NULL when out of
 * memory. */
static char *inline_plain(const char *v)
{
    RunB rb = {0};
    Buf b = {0};
    LessonRun *runs;
    int n;
    if (inline_runs(&rb, v, v + strlen(v), 0, 0) || rb_finish(&rb, &runs, &n)) {
        rb_free(&rb);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        buf_puts(&b, runs[i].text);
        free(runs[i].text);
    }
    free(runs);
    return buf_take(&b);
}

/* ---------------------------------------------------------------- the parser's state */

typedef struct {
    int line, col, len;
    int base;   /* the list item's content column when the fence follows its marker, else 0 */
    char ch;
} Fence;

enum { BK_TITLE, BK_TEXT };
enum { CODE_NONE, CODE_INDENTED, CODE_SCENE, CODE_QUESTION, CODE_REVEAL };

/* A block that holds text: a heading for a title, or narration. */
typedef struct {
    int kind;
    LessonParaKind pkind;
    int number, depth;
    int used;   /* a paragraph came out of it already: more text is a continuation */
} Blk;

typedef struct {
    int ordered, next;
} List;

typedef struct {
    const char *doc, *name;
    size_t len;
    char *err;
    size_t errlen;
    int failed;

    unsigned *lines;   /* offsets of line starts */
    int n_lines;
    Fence *fences;     /* fences found by the line scan, in order */
    int n_fences, next_fence;

    Lesson *L;
    int has_title, title_line, title_col;

    Blk *blk;
    int n_blk;
    List *lists;
    int n_lists;
    int em, strong, code_span;
    int in_math;
    Buf math;
    const char *math_at;
    int img;           /* images open (alt text inside alt text counts) */
    int img_para;      /* the open image made a paragraph */

    int para;          /* the paragraph being filled in the current step, or -1 */
    RunB rb;

    Buf title;         /* a title heading's text */
    int hd_line, hd_col;

    int code;          /* CODE_*: inside a code block */
    LessonKV *kv;      /* its keys */
    int n_kv;
    int fence_line, fence_col;
    Buf code_line;     /* a line of an indented code block */
    const char *code_at;
    int after_question;

    size_t last_off;   /* the end of the last text seen in the source */
    int seen_text;
} Ctx;

static int failf(Ctx *c, int line, int col, const char *fmt, ...)
{
    if (c->failed) return -1;
    c->failed = 1;
    if (c->err && c->errlen) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(c->err, c->errlen, "%s:%d:%d: %s", c->name, line, col, msg);
    }
    return -1;
}

static int in_source(const Ctx *c, const char *p)
{
    return p && (uintptr_t)p >= (uintptr_t)c->doc && (uintptr_t)p <= (uintptr_t)(c->doc + c->len);
}

/* Line and column (1-based, bytes) of offset off. */
static void where_off(const Ctx *c, size_t off, int *line, int *col)
{
    int lo = 0, hi = c->n_lines - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (c->lines[mid] <= off) lo = mid;
        else hi = mid - 1;
    }
    *line = lo + 1;
    *col = (int)(off - c->lines[lo]) + 1;
}

static void where(const Ctx *c, const char *p, int *line, int *col)
{
    where_off(c, (size_t)(p - c->doc), line, col);
}

static int last_line(const Ctx *c)
{
    int line, col;
    if (!c->seen_text) return 0;
    where_off(c, c->last_off, &line, &col);
    return line;
}

static int oom(Ctx *c) { return failf(c, last_line(c) > 0 ? last_line(c) : 1, 1, "out of memory"); }

/* The end of line k (0-based), without its line break. */
static size_t line_end(const Ctx *c, int k)
{
    size_t e = k + 1 < c->n_lines ? c->lines[k + 1] : c->len;
    if (k + 1 < c->n_lines) {
        if (e > c->lines[k] && c->doc[e - 1] == '\n') e--;
        if (e > c->lines[k] && c->doc[e - 1] == '\r') e--;
    }
    return e;
}

static LessonStep *cur_step(Ctx *c) { return &c->L->steps[c->L->n_steps - 1]; }
static Blk *top_blk(Ctx *c) { return c->n_blk ? &c->blk[c->n_blk - 1] : NULL; }
static int is_list_kind(LessonParaKind k) { return k == LP_BULLET || k == LP_NUMBERED; }

/* ---------------------------------------------------------------- before md4c */

static int build_lines(Ctx *c)
{
    int n = 1;
    for (size_t i = 0; i < c->len; i++)
        if (c->doc[i] == '\n' || (c->doc[i] == '\r' && (i + 1 >= c->len || c->doc[i + 1] != '\n')))
            n++;
    c->lines = malloc((size_t)n * sizeof *c->lines);
    if (!c->lines) return -1;
    c->lines[0] = 0;
    c->n_lines = 1;
    for (size_t i = 0; i < c->len; i++)
        if (c->doc[i] == '\n' || (c->doc[i] == '\r' && (i + 1 >= c->len || c->doc[i + 1] != '\n')))
            c->lines[c->n_lines++] = (unsigned)(i + 1);
    return 0;
}

static int check_utf8(Ctx *c)
{
    for (size_t i = 0; i < c->len;) {
        unsigned char b = (unsigned char)c->doc[i];
        int line, col;
        if (b && b < 0x80) { i++; continue; }
        unsigned cp;
        int n = b ? tok_utf8_decode(c->doc + i, c->len - i, &cp) : 0;
        if (n == 0) {
            where_off(c, i, &line, &col);
            return failf(c, line, col, b ? "invalid UTF-8" : "NUL byte");
        }
        i += (size_t)n;
    }
    return 0;
}

/* Columns of indentation (tabs to the next multiple of 4) before the first non-blank. */
static int indent_of(const char *p, const char *e, const char **after)
{
    int w = 0;
    while (p < e && is_blank(*p)) {
        w = *p == '\t' ? (w / 4 + 1) * 4 : w + 1;
        p++;
    }
    *after = p;
    return w;
}

/* After a list item's marker ("-", "*", "+", "1.", "1)") and the blank after it, or NULL. */
static const char *after_marker(const char *q, const char *e)
{
    if (q < e && (*q == '-' || *q == '+' || *q == '*')) q++;
    else {
        const char *d = q;
        while (q < e && q - d < 9 && *q >= '0' && *q <= '9') q++;
        if (q == d || q >= e || (*q != '.' && *q != ')')) return NULL;
        q++;
    }
    if (q >= e || !is_blank(*q)) return NULL;
    return q;
}

/* The length of the fence at q (3 or more '`' or '~'), or 0. */
static int fence_run(const char *q, const char *e, char *ch)
{
    if (q >= e || (*q != '`' && *q != '~')) return 0;
    const char *r = q;
    while (r < e && *r == *q) r++;
    if (r - q < 3) return 0;
    if (*q == '`' && memchr(r, '`', (size_t)(e - r))) return 0;   /* inline code, not a fence */
    *ch = *q;
    return (int)(r - q);
}

/* Finds the fenced blocks line by line (fences indented up to 3 spaces, also right after a
 * list item's marker) and reports one that is never closed. */
static int scan_fences(Ctx *c)
{
    int open = -1;
    for (int k = 0; k < c->n_lines; k++) {
        const char *s = c->doc + c->lines[k], *e = c->doc + line_end(c, k), *q;
        int w = indent_of(s, e, &q);
        if (open >= 0) {
            Fence *f = &c->fences[open];
            if (q == e) continue;
            if (w < f->base) {
                open = -1;   /* the list item ended, and the block with it */
            } else {
                const char *r = q;
                while (r < e && *r == f->ch) r++;
                if (w - f->base <= 3 && r - q >= f->len) {
                    while (r < e && is_blank(*r)) r++;
                    if (r == e) open = -1;
                }
                continue;
            }
        }
        if (w > 3) continue;
        int base = 0;
        const char *m = after_marker(q, e);
        if (m) {
            const char *r = m;
            while (r < e && *r == ' ' && r - m < 4) r++;
            base = w + (int)(r - q);
            q = r;
        }
        char ch;
        int len = fence_run(q, e, &ch);
        if (!len) continue;
        void *g = grow(c->fences, c->n_fences, sizeof *c->fences);
        if (!g) return oom(c);
        c->fences = g;
        Fence *f = &c->fences[c->n_fences];
        f->line = k + 1;
        f->col = (int)(q - s) + 1;
        f->len = len;
        f->base = base;
        f->ch = ch;
        open = c->n_fences++;
    }
    if (open >= 0) {
        const Fence *f = &c->fences[open];
        const char *s = c->doc + c->lines[f->line - 1] + f->col - 1 + f->len;
        const char *e = c->doc + line_end(c, f->line - 1);
        while (s < e && is_blank(*s)) s++;
        const char *t = s;
        while (t < e && !is_blank(*t) && t - s < 40) t++;
        return failf(c, f->line, f->col, "unterminated %.*s%.*s block (no closing fence)", f->len,
                     f->ch == '`' ? "``````````````````````````````" : "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
                     (int)(t - s), s);
    }
    return 0;
}

/* ---------------------------------------------------------------- steps and paragraphs */

static int add_step(Ctx *c, char *title, int line)
{
    Lesson *L = c->L;
    void *q = grow(L->steps, L->n_steps, sizeof *L->steps);
    if (!q || !title) {
        free(title);
        return oom(c);
    }
    L->steps = q;
    LessonStep *s = &L->steps[L->n_steps++];
    memset(s, 0, sizeof *s);
    s->title = title;
    s->line = line;
    return 0;
}

/* Content needs the title before it and a step to go in (the introduction, at first). */
static int ensure_step(Ctx *c, int line, int col)
{
    if (!c->has_title) return failf(c, line, col, "missing title: a lesson starts with a '# ' heading");
    if (c->L->n_steps == 0) return add_step(c, strdup(c->L->title), 1);
    return 0;
}

static LessonPara *para_add(Ctx *c, LessonParaKind kind, int number, int depth, int line, int col)
{
    LessonStep *s = cur_step(c);
    void *q = grow(s->paras, s->n_paras, sizeof *s->paras);
    if (!q) {
        oom(c);
        return NULL;
    }
    s->paras = q;
    LessonPara *p = &s->paras[s->n_paras++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->number = number;
    p->depth = depth;
    p->line = line;
    p->col = col;
    return p;
}

/* Ends the paragraph being filled; one left without text is dropped (an image stays). */
static int para_close(Ctx *c)
{
    if (c->para < 0) return 0;
    LessonStep *s = cur_step(c);
    LessonPara *p = &s->paras[c->para];
    c->para = -1;
    if (rb_finish(&c->rb, &p->runs, &p->n_runs)) return oom(c);
    if (p->n_runs == 0 && p->kind != LP_IMAGE) {
        free(p->image);
        s->n_paras--;
    }
    return 0;
}

/* Position of text at `at` (or of the last text seen, when it is not in the source); for a
 * heading, the column of its '#'. */
static void text_pos(const Ctx *c, const char *at, int heading, int *line, int *col)
{
    if (!at) {
        *line = last_line(c) > 0 ? last_line(c) : 1;
        *col = 1;
        return;
    }
    where(c, at, line, col);
    if (heading) {   /* an ATX heading's line starts with its '#' (a setext one's with text) */
        const char *ls = c->doc + c->lines[*line - 1], *q = ls;
        while (q < at && is_blank(*q)) q++;
        if (q < at && *q == '#') *col = (int)(q - ls) + 1;
    }
}

/* Position of an image: its "![" when that is on the line before `at`. */
static void image_pos(const Ctx *c, const char *at, int *line, int *col)
{
    text_pos(c, at, 0, line, col);
    if (!at) return;
    const char *ls = c->doc + c->lines[*line - 1];
    for (const char *q = at; q - 2 >= ls; q--)
        if (q[-2] == '!' && q[-1] == '[') {
            *col = (int)(q - 2 - ls) + 1;
            return;
        }
}

/* The paragraph text goes into, opened on the first text of a block. Returns -1 on error,
 * 0 when the text has no place (it is dropped), 1 with c->para set. */
static int para_open(Ctx *c, const char *at)
{
    if (c->para >= 0) return 1;
    Blk *b = top_blk(c);
    if (!b || b->kind != BK_TEXT) return 0;
    int line, col;
    text_pos(c, at, b->pkind == LP_HEADING, &line, &col);
    if (ensure_step(c, line, col)) return -1;
    LessonParaKind kind = b->used ? (b->pkind == LP_HEADING ? LP_HEADING : LP_PARA) : b->pkind;
    int depth = b->used && is_list_kind(b->pkind) ? b->depth + 1 : b->depth;
    b->used = 1;
    if (!para_add(c, kind, b->number, depth, line, col)) return -1;
    c->para = cur_step(c)->n_paras - 1;
    return 1;
}

/* Adds text to the title being read or to the narration. */
static int emit(Ctx *c, int style, const char *s, size_t n, const char *at)
{
    Blk *b = top_blk(c);
    if (!b) return 0;
    if (b->kind == BK_TITLE) {
        if (!c->hd_line && at) text_pos(c, at, 1, &c->hd_line, &c->hd_col);
        buf_put(&c->title, s, n);
        return c->title.oom ? oom(c) : 0;
    }
    int r = para_open(c, at);
    if (r <= 0) return r;
    LessonPara *p = &cur_step(c)->paras[c->para];
    if (p->kind == LP_IMAGE && p->line == 0 && at) image_pos(c, at, &p->line, &p->col);
    return rb_add(&c->rb, style, s, n) ? oom(c) : 0;
}

static int cur_style(const Ctx *c)
{
    return (c->em ? LESSON_EM : 0) | (c->strong ? LESSON_STRONG : 0) |
           (c->code_span ? LESSON_CODE : 0);
}

static int push_blk(Ctx *c, int kind, LessonParaKind pkind, int number, int depth)
{
    void *q = grow(c->blk, c->n_blk, sizeof *c->blk);
    if (!q) return oom(c);
    c->blk = q;
    Blk *b = &c->blk[c->n_blk++];
    b->kind = kind;
    b->pkind = pkind;
    b->number = number;
    b->depth = depth;
    b->used = 0;
    return 0;
}

/* ---------------------------------------------------------------- fenced blocks */

static const char *const question_keys[] = {"ask", "choices", "answer", "tolerance", "reveal", NULL};

static const LessonKV *find_kv(const LessonKV *kv, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0) return &kv[i];
    return NULL;
}

/* One line of a scene, question or reveal block (s..s+n, in the source). */
static int kv_line(Ctx *c, const char *s, size_t n)
{
    const char *p = s, *e = s + n;
    while (p < e && is_blank(*p)) p++;
    while (e > p && is_space(e[-1])) e--;
    if (p == e || *p == '#') return 0;
    int line, col, vline, vcol;
    where(c, p, &line, &col);
    const char *eq = memchr(p, '=', (size_t)(e - p));
    if (!eq || eq == p) return failf(c, line, col, "expected key = value");
    const char *ke = eq, *v = eq + 1;
    while (ke > p && is_blank(ke[-1])) ke--;
    while (v < e && is_blank(*v)) v++;
    where(c, v, &vline, &vcol);
    size_t kn = (size_t)(ke - p);
    if (c->code == CODE_QUESTION) {
        if (!in_list(p, kn, question_keys))
            return failf(c, line, col,
                         "unknown question key '%.*s' (allowed: ask, choices, answer, tolerance, reveal)",
                         (int)(kn > 40 ? 40 : kn), p);
        for (int i = 0; i < c->n_kv; i++)
            if (strlen(c->kv[i].key) == kn && memcmp(c->kv[i].key, p, kn) == 0)
                return failf(c, line, col, "'%s' is given twice in this question", c->kv[i].key);
    }
    void *q = grow(c->kv, c->n_kv, sizeof *c->kv);
    if (!q) return oom(c);
    c->kv = q;
    LessonKV *kv = &c->kv[c->n_kv];
    kv->key = dup_n(p, kn);
    kv->value = dup_n(v, (size_t)(e - v));
    kv->line = line;
    kv->col = col;
    kv->col_value = vcol;
    c->n_kv++;
    if (!kv->key || !kv->value) return oom(c);
    return 0;
}

static void free_kvs(LessonKV *kv, int n)
{
    for (int i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

/* Appends the block's keys to a step's list (or hands them over). */
static int take_kvs(Ctx *c, LessonKV **list, int *n)
{
    if (!*list) {
        *list = c->kv;
        *n = c->n_kv;
    } else {
        for (int i = 0; i < c->n_kv; i++) {
            void *q = grow(*list, *n, sizeof **list);
            if (!q) return oom(c);
            *list = q;
            (*list)[(*n)++] = c->kv[i];
            c->kv[i].key = c->kv[i].value = NULL;
        }
        free_kvs(c->kv, c->n_kv);
    }
    c->kv = NULL;
    c->n_kv = 0;
    return 0;
}

/* A whole number (digits only) in 1..max, or 0. */
static long choice_number(const char *v, int max)
{
    long x = 0;
    if (!*v) return 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        x = x * 10 + (*p - '0');
        if (x > max) return 0;
    }
    return x;
}

static int finite_number(const char *v, double *x)
{
    char *end;
    if (!*v || is_space(*v)) return 0;
    *x = strtod(v, &end);
    return *end == '\0' && isfinite(*x);
}

/* Checks a question block's keys and fills the step's question fields. */
static int question_done(Ctx *c, LessonStep *s)
{
    const LessonKV *ask = find_kv(s->question, s->n_question, "ask");
    const LessonKV *choices = find_kv(s->question, s->n_question, "choices");
    const LessonKV *answer = find_kv(s->question, s->n_question, "answer");
    const LessonKV *tol = find_kv(s->question, s->n_question, "tolerance");
    const LessonKV *reveal = find_kv(s->question, s->n_question, "reveal");

    if (!ask || !ask->value[0]) {
        if (ask) return failf(c, ask->line, ask->col_value, "ask: the question is empty");
        return failf(c, c->fence_line, c->fence_col, "a question needs ask = (the question)");
    }
    if (!(s->ask = inline_plain(ask->value))) return oom(c);
    if (choices) {
        const char *v = choices->value;
        int n = 1;
        for (const char *p = v; *p; p++) n += *p == '|';
        s->choices = calloc((size_t)n, sizeof *s->choices);
        if (!s->choices) return oom(c);
        const char *p = v;
        for (int i = 0; i < n; i++) {
            const char *bar = strchr(p, '|'), *e = bar ? bar : p + strlen(p), *t = p;
            while (t < e && is_blank(*t)) t++;
            const char *te = e;
            while (te > t && is_blank(te[-1])) te--;
            if (t == te)
                return failf(c, choices->line, choices->col_value + (int)(t - v),
                             "choices: choice %d is empty", i + 1);
            char *raw = dup_n(t, (size_t)(te - t));
            s->choices[i] = raw ? inline_plain(raw) : NULL;
            free(raw);
            if (!s->choices[i]) return oom(c);
            s->n_choices = i + 1;
            p = e + 1;
        }
        if (n < 2)
            return failf(c, choices->line, choices->col_value,
                         "choices: give at least two, separated by '|'");
    }
    if (!answer) return failf(c, c->fence_line, c->fence_col, "a question needs answer = (the right answer)");
    if (s->n_choices) {
        s->answer = (int)choice_number(answer->value, s->n_choices);
        if (!s->answer)
            return failf(c, answer->line, answer->col_value,
                         "answer: '%.40s' is not a choice number from 1 to %d", answer->value,
                         s->n_choices);
    } else if (!finite_number(answer->value, &s->number)) {
        return failf(c, answer->line, answer->col_value, "answer: '%.40s' is not a number",
                     answer->value);
    }
    s->tolerance = 0.01;
    if (tol && (!finite_number(tol->value, &s->tolerance) || s->tolerance < 0))
        return failf(c, tol->line, tol->col_value, "tolerance: '%.40s' is not a number >= 0",
                     tol->value);
    if (reveal) {
        RunB rb = {0};
        if (inline_runs(&rb, reveal->value, reveal->value + strlen(reveal->value), 0, 0) ||
            rb_finish(&rb, &s->reveal_runs, &s->n_reveal_runs)) {
            rb_free(&rb);
            return oom(c);
        }
    }
    return 0;
}

/* Where the fence of a block without an info string is: the next fence the scan found after
 * the last text. */
static void untagged_fence_pos(Ctx *c, char ch, int *line, int *col)
{
    int after = last_line(c);
    while (c->next_fence < c->n_fences && c->fences[c->next_fence].line <= after) c->next_fence++;
    if (c->next_fence < c->n_fences) {
        *line = c->fences[c->next_fence].line;
        *col = c->fences[c->next_fence].col;
        c->next_fence++;
    } else {   /* a fence the scan does not see (in a block quote): the next line with one */
        *line = after + 1;
        *col = 1;
        for (int k = after; k < c->n_lines; k++) {
            const char *s = c->doc + c->lines[k], *e = c->doc + line_end(c, k);
            for (const char *q = s; q + 2 < e; q++)
                if (*q == ch && q[1] == ch && q[2] == ch) {
                    *line = k + 1;
                    *col = (int)(q - s) + 1;
                    return;
                }
        }
    }
}

static int code_enter(Ctx *c, const MD_BLOCK_CODE_DETAIL *d)
{
    int after_question = c->after_question;
    c->after_question = 0;
    if (!d->fence_char) {   /* an indented block: its lines are shown as code */
        c->code = CODE_INDENTED;
        c->code_at = NULL;
        return 0;
    }
    const MD_ATTRIBUTE *info = &d->info;
    int iline = 0, icol = 0;
    if (info->size > 0 && in_source(c, info->text)) {
        where(c, info->text, &iline, &icol);
        const char *ls = c->doc + c->lines[iline - 1], *q = info->text;
        while (q > ls && is_blank(q[-1])) q--;
        while (q > ls && q[-1] == d->fence_char) q--;
        c->fence_line = iline;
        c->fence_col = (int)(q - ls) + 1;
        while (c->next_fence < c->n_fences && c->fences[c->next_fence].line <= iline) c->next_fence++;
    } else {
        untagged_fence_pos(c, d->fence_char, &c->fence_line, &c->fence_col);
        if (info->size > 0) {
            iline = c->fence_line;
            icol = c->fence_col;
        }
    }
    if (ensure_step(c, c->fence_line, c->fence_col)) return -1;
    if (info->size == 0)
        return failf(c, c->fence_line, c->fence_col,
                     "a fenced block needs a tag (allowed: scene, question, reveal)");
    const char *t = info->text, *te = t + info->size;
    while (t < te && is_space(*t)) t++;
    while (te > t && is_space(te[-1])) te--;
    size_t tn = (size_t)(te - t);
    if (tn == 5 && memcmp(t, "scene", 5) == 0) c->code = CODE_SCENE;
    else if (tn == 8 && memcmp(t, "question", 8) == 0) c->code = CODE_QUESTION;
    else if (tn == 6 && memcmp(t, "reveal", 6) == 0) c->code = CODE_REVEAL;
    else
        return failf(c, iline, icol, "unknown block '%.*s' (allowed: scene, question, reveal)",
                     (int)(tn > 40 ? 40 : tn), t);
    LessonStep *s = cur_step(c);
    if (c->code == CODE_QUESTION && s->has_question)
        return failf(c, c->fence_line, c->fence_col, "a second question in this step (one per step)");
    if (c->code == CODE_REVEAL && !after_question)
        return failf(c, c->fence_line, c->fence_col,
                     "a reveal block must come right after a question block");
    if (c->code == CODE_QUESTION) {
        s->has_question = 1;
        s->q_line = c->fence_line;
    }
    return 0;
}

/* A line of an indented code block becomes a paragraph of code. */
static int code_line_done(Ctx *c)
{
    int rc = 0;
    const char *p = c->code_line.p;
    size_t n = c->code_line.n;
    if (c->code_line.oom) rc = oom(c);
    else if (n && strspn(p, " \t") < n) {
        Blk *b = top_blk(c);
        int line, col;
        text_pos(c, c->code_at, 0, &line, &col);
        int depth = !b ? 0 : is_list_kind(b->pkind) ? b->depth + 1 : b->depth;
        LessonPara *para;
        if (ensure_step(c, line, col) || !(para = para_add(c, LP_PARA, 0, depth, line, col))) rc = -1;
        else if (rb_add(&c->rb, LESSON_CODE, p, n) || rb_finish(&c->rb, &para->runs, &para->n_runs))
            rc = oom(c);
    }
    buf_free(&c->code_line);
    c->code_at = NULL;
    return rc;
}

static int code_text(Ctx *c, const char *s, size_t n, const char *at)
{
    if (c->code == CODE_INDENTED) {
        if (n == 1 && s[0] == '\n' && !at) return code_line_done(c);
        if (at && !c->code_at) c->code_at = at;
        buf_put(&c->code_line, s, n);
        return 0;
    }
    if (at && n > 0) return kv_line(c, s, n);
    return 0;
}

static int code_leave(Ctx *c)
{
    int kind = c->code, rc = 0;
    c->code = CODE_NONE;
    if (kind == CODE_INDENTED) return c->code_line.n ? code_line_done(c) : 0;
    LessonStep *s = cur_step(c);
    if (kind == CODE_SCENE) rc = take_kvs(c, &s->scene, &s->n_scene);
    else if (kind == CODE_REVEAL) rc = take_kvs(c, &s->reveal, &s->n_reveal);
    else if (kind == CODE_QUESTION) {
        if (take_kvs(c, &s->question, &s->n_question) || question_done(c, s)) return -1;
        c->after_question = 1;
    }
    return rc;
}

/* ---------------------------------------------------------------- md4c callbacks */

static int on_enter_block(MD_BLOCKTYPE type, void *detail, void *user)
{
    Ctx *c = user;
    if (c->failed) return 1;
    if (type == MD_BLOCK_DOC) return 0;
    if (para_close(c)) return 1;
    if (type == MD_BLOCK_CODE) return code_enter(c, detail) ? 1 : 0;
    c->after_question = 0;
    Blk *parent = top_blk(c);
    int in_item = parent && parent->kind == BK_TEXT && is_list_kind(parent->pkind);
    switch (type) {
    case MD_BLOCK_UL:
    case MD_BLOCK_OL: {
        void *q = grow(c->lists, c->n_lists, sizeof *c->lists);
        if (!q) return oom(c), 1;
        c->lists = q;
        c->lists[c->n_lists].ordered = type == MD_BLOCK_OL;
        c->lists[c->n_lists].next = type == MD_BLOCK_OL ? (int)((MD_BLOCK_OL_DETAIL *)detail)->start : 0;
        c->n_lists++;
        return 0;
    }
    case MD_BLOCK_LI: {
        List *l = c->n_lists ? &c->lists[c->n_lists - 1] : NULL;
        int ordered = l && l->ordered;
        int number = ordered ? l->next++ : 0;
        return push_blk(c, BK_TEXT, ordered ? LP_NUMBERED : LP_BULLET, number,
                        c->n_lists ? c->n_lists - 1 : 0) ? 1 : 0;
    }
    case MD_BLOCK_P:
        if (in_item) {
            int used = parent->used;
            parent->used = 1;
            return push_blk(c, BK_TEXT, used ? LP_PARA : parent->pkind, parent->number,
                            used ? parent->depth + 1 : parent->depth) ? 1 : 0;
        }
        return push_blk(c, BK_TEXT, LP_PARA, 0, parent ? parent->depth : 0) ? 1 : 0;
    case MD_BLOCK_H: {
        unsigned level = ((MD_BLOCK_H_DETAIL *)detail)->level;
        if (level <= 2) {
            buf_free(&c->title);
            c->hd_line = c->hd_col = 0;
            return push_blk(c, BK_TITLE, LP_HEADING, (int)level, 0) ? 1 : 0;
        }
        if (in_item) parent->used = 1;
        return push_blk(c, BK_TEXT, LP_HEADING, 0,
                        in_item ? parent->depth + 1 : parent ? parent->depth : 0) ? 1 : 0;
    }
    default:
        return 0;
    }
}

/* The line of a heading that had no text: the next line after the last text starting '#'. */
static void empty_heading_pos(const Ctx *c, int *line, int *col)
{
    for (int k = last_line(c); k < c->n_lines; k++) {
        const char *s = c->doc + c->lines[k], *e = c->doc + line_end(c, k), *q;
        indent_of(s, e, &q);
        if (q < e && *q == '#') {
            *line = k + 1;
            *col = (int)(q - s) + 1;
            return;
        }
    }
    *line = last_line(c) + 1;
    *col = 1;
}

static char *take_trimmed(Buf *b)
{
    if (b->n) {
        size_t i = 0;
        while (i < b->n && is_space(b->p[i])) i++;
        memmove(b->p, b->p + i, b->n - i + 1);
        b->n -= i;
        while (b->n && is_space(b->p[b->n - 1])) b->p[--b->n] = '\0';
    }
    return buf_take(b);
}

static int title_done(Ctx *c, int level)
{
    if (!c->hd_line) empty_heading_pos(c, &c->hd_line, &c->hd_col);
    if (level == 1) {
        if (c->has_title)
            return failf(c, c->hd_line, c->hd_col,
                         "a second title: a lesson has one '# ' heading (steps start with '## ')");
        if (!(c->L->title = take_trimmed(&c->title))) return oom(c);
        if (!c->L->title[0]) return failf(c, c->hd_line, c->hd_col, "missing title: the '# ' heading is empty");
        c->has_title = 1;
        c->title_line = c->hd_line;
        c->title_col = c->hd_col;
        return 0;
    }
    if (!c->has_title) return failf(c, c->hd_line, c->hd_col, "missing title: a lesson starts with a '# ' heading");
    char *title = take_trimmed(&c->title);
    if (title && !title[0]) {
        free(title);
        return failf(c, c->hd_line, c->hd_col, "a step needs a title after '## '");
    }
    return add_step(c, title, c->hd_line);
}

static int on_leave_block(MD_BLOCKTYPE type, void *detail, void *user)
{
    Ctx *c = user;
    (void)detail;
    if (c->failed) return 1;
    switch (type) {
    case MD_BLOCK_P:
    case MD_BLOCK_LI:
        if (para_close(c)) return 1;
        if (c->n_blk) c->n_blk--;
        return 0;
    case MD_BLOCK_H: {
        Blk *b = top_blk(c);
        if (para_close(c)) return 1;
        if (!b) return 0;
        c->n_blk--;
        if (b->kind == BK_TITLE) return title_done(c, b->number) ? 1 : 0;
        return 0;
    }
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
        if (c->n_lists) c->n_lists--;
        return 0;
    case MD_BLOCK_CODE:
        return code_leave(c) ? 1 : 0;
    default:
        return 0;
    }
}

static int on_enter_span(MD_SPANTYPE type, void *detail, void *user)
{
    Ctx *c = user;
    if (c->failed) return 1;
    switch (type) {
    case MD_SPAN_EM: c->em++; break;
    case MD_SPAN_STRONG: c->strong++; break;
    case MD_SPAN_CODE: c->code_span++; break;
    case MD_SPAN_LATEXMATH:
    case MD_SPAN_LATEXMATH_DISPLAY:
        c->in_math = 1;
        buf_free(&c->math);
        c->math_at = NULL;
        break;
    case MD_SPAN_IMG: {
        Blk *b = top_blk(c);
        if (c->img++ > 0 || !b || b->kind != BK_TEXT) break;   /* alt text flows on */
        const MD_SPAN_IMG_DETAIL *d = detail;
        const char *at = d->src.size > 0 && in_source(c, d->src.text) ? d->src.text : NULL;
        int line = 0, col = 0;
        if (para_close(c)) return 1;
        if (at) image_pos(c, at, &line, &col);
        if (ensure_step(c, line ? line : last_line(c) + 1, line ? col : 1)) return 1;
        LessonPara *p = para_add(c, LP_IMAGE, 0, is_list_kind(b->pkind) ? b->depth + 1 : b->depth,
                                 line, col);
        if (!p) return 1;
        if (!(p->image = dup_n(d->src.text ? d->src.text : "", d->src.size))) return oom(c), 1;
        c->para = cur_step(c)->n_paras - 1;
        c->img_para = 1;
        break;
    }
    default:
        break;
    }
    return 0;
}

static int on_leave_span(MD_SPANTYPE type, void *detail, void *user)
{
    Ctx *c = user;
    (void)detail;
    if (c->failed) return 1;
    switch (type) {
    case MD_SPAN_EM: c->em--; break;
    case MD_SPAN_STRONG: c->strong--; break;
    case MD_SPAN_CODE: c->code_span--; break;
    case MD_SPAN_LATEXMATH:
    case MD_SPAN_LATEXMATH_DISPLAY: {
        Buf t = {0};
        c->in_math = 0;
        if (c->math.oom) return oom(c), 1;
        math_sub(&t, c->math.p ? c->math.p : "", c->math.p ? c->math.p + c->math.n : "", 0);
        int rc = t.oom ? oom(c) : emit(c, cur_style(c) | LESSON_MATH, t.p ? t.p : "", t.n, c->math_at);
        buf_free(&t);
        return rc ? 1 : 0;
    }
    case MD_SPAN_IMG:
        if (c->img > 0 && --c->img == 0 && c->img_para) {
            c->img_para = 0;
            LessonPara *p = &cur_step(c)->paras[c->para];
            if (!p->line) text_pos(c, NULL, 0, &p->line, &p->col);
            if (para_close(c)) return 1;
        }
        break;
    default:
        break;
    }
    return 0;
}

/* An entity's character, or 0 when it is not one known here (it then shows as written). */
static unsigned entity_cp(const char *s, size_t n)
{
    static const struct { const char *name; unsigned cp; } named[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''},
        {"&nbsp;", 0xA0}, {"&copy;", 0xA9}, {"&mdash;", 0x2014}, {"&ndash;", 0x2013},
        {"&hellip;", 0x2026}, {"&times;", 0xD7}, {"&middot;", 0xB7}, {"&rarr;", 0x2192},
        {"&larr;", 0x2190}, {"&le;", 0x2264}, {"&ge;", 0x2265}, {"&ne;", 0x2260}, {NULL, 0}};
    if (n > 3 && s[1] == '#') {
        unsigned long x = 0;
        int hex = s[2] == 'x' || s[2] == 'X';
        for (size_t i = hex ? 3 : 2; i + 1 < n; i++) {
            char d = s[i];
            int v = d >= '0' && d <= '9' ? d - '0' : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
                  : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10 : -1;
            if (v < 0) return 0;
            x = x * (hex ? 16 : 10) + (unsigned long)v;
            if (x > 0x10FFFF) return 0xFFFD;
        }
        if (x == 0 || (x >= 0xD800 && x <= 0xDFFF)) return 0xFFFD;
        return (unsigned)x;
    }
    for (int i = 0; named[i].name; i++)
        if (strlen(named[i].name) == n && memcmp(named[i].name, s, n) == 0) return named[i].cp;
    return 0;
}

static int on_text(MD_TEXTTYPE type, const MD_CHAR *s, MD_SIZE n, void *user)
{
    Ctx *c = user;
    if (c->failed) return 1;
    const char *at = in_source(c, s) ? s : NULL;
    if (at && n > 0) {
        c->last_off = (size_t)(at - c->doc) + n - 1;
        c->seen_text = 1;
    }
    if (c->code) return code_text(c, s, n, at) ? 1 : 0;
    if (c->in_math) {
        if (!c->math_at) c->math_at = at;
        if (type == MD_TEXT_BR || type == MD_TEXT_SOFTBR) buf_putc(&c->math, ' ');
        else buf_put(&c->math, s, n);
        return 0;
    }
    int style = cur_style(c), rc;
    switch (type) {
    case MD_TEXT_BR:
    case MD_TEXT_SOFTBR:
        rc = emit(c, style, " ", 1, NULL);
        break;
    case MD_TEXT_NULLCHAR:
        rc = emit(c, style, "\xEF\xBF\xBD", 3, at);
        break;
    case MD_TEXT_ENTITY: {
        unsigned cp = entity_cp(s, n);
        char t[4];
        rc = cp ? emit(c, style, t, (size_t)utf8_encode(t, cp), at) : emit(c, style, s, n, at);
        break;
    }
    default:
        rc = emit(c, style, s, n, at);
        break;
    }
    return rc ? 1 : 0;
}

/* ---------------------------------------------------------------- the API */

void lesson_free(Lesson *l)
{
    if (!l) return;
    for (int i = 0; i < l->n_steps; i++) {
        LessonStep *s = &l->steps[i];
        free(s->title);
        for (int j = 0; j < s->n_paras; j++) {
            LessonPara *p = &s->paras[j];
            for (int k = 0; k < p->n_runs; k++) free(p->runs[k].text);
            free(p->runs);
            free(p->image);
        }
        free(s->paras);
        free_kvs(s->scene, s->n_scene);
        free_kvs(s->question, s->n_question);
        free(s->ask);
        for (int j = 0; j < s->n_choices; j++) free(s->choices[j]);
        free(s->choices);
        for (int j = 0; j < s->n_reveal_runs; j++) free(s->reveal_runs[j].text);
        free(s->reveal_runs);
        free_kvs(s->reveal, s->n_reveal);
    }
    free(l->steps);
    free(l->title);
    memset(l, 0, sizeof *l);
}

int lesson_parse(Lesson *out, const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    Ctx c;
    memset(&c, 0, sizeof c);
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = '\0';
    c.name = name ? name : "lesson";
    c.err = err;
    c.errlen = errlen;
    c.L = out;
    c.para = -1;
    if (!text) len = 0;
    if (len > LESSON_MAX_BYTES)
        return failf(&c, 1, 1, "the file is %zu bytes, over the limit of %d MB", len,
                     LESSON_MAX_BYTES / (1024 * 1024));
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {   /* columns count after a BOM */
        text += 3;
        len -= 3;
    }
    c.doc = text ? text : "";
    c.len = len;

    if (build_lines(&c)) {
        failf(&c, 1, 1, "out of memory");
    } else if (!check_utf8(&c) && !scan_fences(&c)) {
        MD_PARSER p;
        memset(&p, 0, sizeof p);
        p.flags = MD_FLAG_LATEXMATHSPANS | MD_FLAG_NOHTML;
        p.enter_block = on_enter_block;
        p.leave_block = on_leave_block;
        p.enter_span = on_enter_span;
        p.leave_span = on_leave_span;
        p.text = on_text;
        int rc = md_parse(c.doc, (MD_SIZE)c.len, &p, &c);
        if (rc && !c.failed) oom(&c);
        if (!c.failed && !c.has_title) failf(&c, 1, 1, "missing title: a lesson starts with a '# ' heading");
        if (!c.failed && out->n_steps == 0)
            failf(&c, c.title_line, c.title_col, "a lesson needs at least one step");
    }

    free(c.lines);
    free(c.fences);
    free(c.blk);
    free(c.lists);
    buf_free(&c.math);
    buf_free(&c.title);
    buf_free(&c.code_line);
    rb_free(&c.rb);
    free_kvs(c.kv, c.n_kv);
    if (c.failed) {
        lesson_free(out);
        return -1;
    }
    return 0;
}

char *lesson_step_text(const LessonStep *s)
{
    Buf b = {0};
    for (int i = 0; s && i < s->n_paras; i++) {
        const LessonPara *p = &s->paras[i];
        if (i > 0)
            buf_puts(&b, is_list_kind(p->kind) && is_list_kind(s->paras[i - 1].kind) ? "\n" : "\n\n");
        for (int d = 0; d < p->depth; d++) buf_puts(&b, "  ");
        if (p->kind == LP_BULLET) buf_puts(&b, "• ");
        else if (p->kind == LP_NUMBERED) {
            char num[24];
            snprintf(num, sizeof num, "%d. ", p->number);
            buf_puts(&b, num);
        }
        if (p->kind == LP_IMAGE && p->n_runs == 0 && p->image) buf_puts(&b, p->image);
        for (int k = 0; k < p->n_runs; k++) buf_puts(&b, p->runs[k].text);
    }
    return buf_take(&b);
}
