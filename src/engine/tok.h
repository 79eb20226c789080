/* tok.h: splits typed UTF-8 text into the tokens attention runs over.
 * Pure: no I/O, no allocation beyond the caller's TokList (which the caller frees
 * with tok_free). Errors come back as a message with the byte column. */
#ifndef ATTN_TOK_H
#define ATTN_TOK_H

#include <stddef.h>

#define TOK_MAX_TOKENS 4096 /* the engine's N limit */
#define TOK_MAX_BYTES 64    /* longest token, in bytes of UTF-8 */

typedef struct {
    int n;        /* number of tokens */
    char **text;  /* n NUL-terminated UTF-8 strings, owned by the list */
} TokList;

/* Splits text into tokens.
 * - If text contains '|', it is split on '|' only and each piece is trimmed of
 *   ASCII white space ("explicit" mode); an empty piece is an error.
 * - Otherwise: white space separates; runs of letters, digits and underscores
 *   form words (an apostrophe or hyphen between two word characters stays inside
 *   a word, as in "don't" and "self-attention", and a '.' between two digits
 *   inside a number, as in "3.14"); Hangul counts as letters, so Korean words
 *   stay whole; each CJK ideograph, kana or CJK/fullwidth punctuation character
 *   is a token of its own; every other punctuation or symbol character is a
 *   token of its own. Combining marks (and variation selectors, emoji skin
 *   tones) join the token before them; a ZWJ also joins the code point after
 *   it, and two regional indicators make one flag token.
 * Tokens are copied byte for byte from text (no normalisation). len bytes are
 * read; text need not be NUL-terminated, and a NUL byte inside len is an error.
 * Returns 0 and fills *out on success. On failure returns -1, fills err (at most
 * errlen bytes, NUL-terminated; err may be NULL) with a one-line message that
 * starts "column N: ", N the 1-based byte column of the problem, and leaves *out
 * empty. Invalid UTF-8 (bad lead byte, truncated or overlong sequence,
 * surrogate, > U+10FFFF), more than TOK_MAX_TOKENS tokens (column of the first
 * token too many), a token longer than TOK_MAX_BYTES (column of its start) and
 * text with no tokens (column 1) are errors. */
int tok_split(TokList *out, const char *text, size_t len, char *err, size_t errlen);

/* Frees the strings of a list filled by tok_split and empties it. Safe on an
 * empty (zeroed) list. */
void tok_free(TokList *list);

/* Decodes one UTF-8 code point at s (len bytes available). Returns the number of
 * bytes used (1..4) and stores the code point, or returns 0 for invalid input
 * (including len == 0) and leaves *cp alone. U+0000 decodes as valid. */
int tok_utf8_decode(const char *s, size_t len, unsigned *cp);

#endif
