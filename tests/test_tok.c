/* test_tok.c: unit tests for the tokeniser (tok.c): splitting rules, explicit
 * '|' mode, error messages with their columns, and the UTF-8 decoder. */
#include "test.h"
#include "../src/engine/tok.h"

#include <stdlib.h>
#include <string.h>

/* Splits text[0..len) and checks the exact token strings; reports at the
 * caller's line. Returns 1 when everything matched. */
static int split_is(const char *text, size_t len, const char *const *want, int n, int line)
{
    TokList l = {0, NULL};
    char err[128];
    int ok = 1;

    if (tok_split(&l, text, len, err, sizeof err) != 0) {
        test_fail(__FILE__, line, "tok_split(\"%.*s\") failed: %s", (int)len, text, err);
        return 0;
    }
    if (l.n != n) {
        test_fail(__FILE__, line, "\"%.*s\" gave %d tokens, expected %d", (int)len, text, l.n, n);
        for (int i = 0; i < l.n; i++) fprintf(stderr, "    [%d] \"%s\"\n", i, l.text[i]);
        ok = 0;
    } else {
        for (int i = 0; i < n; i++) {
            if (strcmp(l.text[i], want[i]) != 0) {
                test_fail(__FILE__, line, "\"%.*s\" token %d is \"%s\", expected \"%s\"", (int)len, text, i,
                          l.text[i], want[i]);
                ok = 0;
                break;
            }
        }
    }
    tok_free(&l);
    return ok;
}

/* Checks that splitting fails with exactly the message msg and leaves the
 * list empty. */
static int split_fails(const char *text, size_t len, const char *msg, int line)
{
    TokList l = {0, NULL};
    char err[128];

    memset(err, 'x', sizeof err);
    if (tok_split(&l, text, len, err, sizeof err) != -1) {
        test_fail(__FILE__, line, "tok_split accepted text that should fail with \"%s\"", msg);
        tok_free(&l);
        return 0;
    }
    if (l.n != 0 || l.text != NULL) {
        test_fail(__FILE__, line, "failed split left a non-empty list (n=%d)", l.n);
        return 0;
    }
    if (memchr(err, '\0', sizeof err) == NULL || strcmp(err, msg) != 0) {
        test_fail(__FILE__, line, "error is \"%.*s\", expected \"%s\"", (int)sizeof err, err, msg);
        return 0;
    }
    return 1;
}

#define EXPECT_TOKENS(text, ...)                                                             \
    do {                                                                                     \
        static const char *const want_[] = {__VA_ARGS__};                                    \
        if (!split_is((text), strlen(text), want_, (int)(sizeof want_ / sizeof want_[0]), __LINE__)) \
            return;                                                                          \
    } while (0)

#define EXPECT_SPLIT_ERROR(text, len, msg)                                                   \
    do {                                                                                     \
        if (!split_fails((text), (len), (msg), __LINE__)) return;                            \
    } while (0)

#define EXPECT_ERROR(text, msg) EXPECT_SPLIT_ERROR((text), strlen(text), (msg))

/* ---- automatic splitting --------------------------------------------------- */

static void splits_words_and_punctuation(void)
{
    EXPECT_TOKENS("Hello, world!", "Hello", ",", "world", "!");
    EXPECT_TOKENS("The cat sat.", "The", "cat", "sat", ".");
    EXPECT_TOKENS("(a)", "(", "a", ")");
    EXPECT_TOKENS("x?!", "x", "?", "!");
}

static void same_word_twice_gives_equal_tokens(void)
{
    TokList l = {0, NULL};
    const char *s = "I saw a saw";
    EXPECT_INT(tok_split(&l, s, strlen(s), NULL, 0), 0);
    EXPECT_INT(l.n, 4);
    EXPECT_STR(l.text[0], "I");
    EXPECT_STR(l.text[1], "saw");
    EXPECT_STR(l.text[2], "a");
    EXPECT_STR(l.text[3], "saw");
    /* equal text, but each token owns its own string */
    EXPECT(l.text[1] != l.text[3]);
    tok_free(&l);
    EXPECT_INT(l.n, 0);
    EXPECT(l.text == NULL);
}

static void white_space_of_all_kinds_separates(void)
{
    EXPECT_TOKENS("  a\tb\nc\r\nd\v\fe  ", "a", "b", "c", "d", "e");
    EXPECT_TOKENS("f\xC2\xA0g", "f", "g");         /* U+00A0 no-break space */
    EXPECT_TOKENS("h\xE3\x80\x80i", "h", "i");     /* U+3000 ideographic space */
    EXPECT_TOKENS("j\xE2\x80\x80k", "j", "k");     /* U+2000 en quad */
    EXPECT_TOKENS("l\xE2\x80\x8Bm", "l", "m");     /* U+200B zero width space */
    EXPECT_TOKENS("\xEF\xBB\xBFn", "n");           /* a leading BOM is dropped */
}

static void underscore_and_digits_are_word_characters(void)
{
    EXPECT_TOKENS("x_1 42abc _", "x_1", "42abc", "_");
}

static void apostrophe_and_hyphen_inside_words(void)
{
    EXPECT_TOKENS("don't self-attention", "don't", "self-attention");
    EXPECT_TOKENS("don\xE2\x80\x99t", "don\xE2\x80\x99t"); /* U+2019 */
    EXPECT_TOKENS("rock'n'roll COVID-19", "rock'n'roll", "COVID-19");
    /* not between two word characters: each is a token of its own */
    EXPECT_TOKENS("'hi' -x y- a--b", "'", "hi", "'", "-", "x", "y", "-", "a", "-", "-", "b");
    EXPECT_TOKENS("a -b", "a", "-", "b");
    EXPECT_TOKENS("a'!", "a", "'", "!");
}

static void decimal_point_between_digits_stays(void)
{
    EXPECT_TOKENS("pi is 3.14.", "pi", "is", "3.14", ".");
    EXPECT_TOKENS("v1.2.3", "v1.2.3");
    EXPECT_TOKENS("a.b", "a", ".", "b");
    EXPECT_TOKENS("3.x", "3", ".", "x");
    EXPECT_TOKENS("x.5", "x", ".", "5");
    EXPECT_TOKENS(".5", ".", "5");
}

static void symbols_and_emoji_are_single_tokens(void)
{
    EXPECT_TOKENS("a+b=c", "a", "+", "b", "=", "c");
    EXPECT_TOKENS("$5 #1", "$", "5", "#", "1");
    EXPECT_TOKENS("\xF0\x9F\x98\x80\xF0\x9F\x98\x80ok", "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", "ok");
    EXPECT_TOKENS("\xC2\xA9\xE2\x82\xAC", "\xC2\xA9", "\xE2\x82\xAC"); /* (c) and euro */
}

static void emoji_sequences_stay_whole(void)
{
    /* woman ZWJ laptop */
    EXPECT_TOKENS("\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB!",
                  "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB", "!");
    /* thumbs up + skin tone */
    EXPECT_TOKENS("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD");
    /* heart + VS16 */
    EXPECT_TOKENS("\xE2\x9D\xA4\xEF\xB8\x8Fx", "\xE2\x9D\xA4\xEF\xB8\x8F", "x");
    /* two flags (FR, DE) are two tokens, three regional indicators a flag and a half */
    EXPECT_TOKENS("\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA",
                  "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7", "\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA");
    EXPECT_TOKENS("\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7\xF0\x9F\x87\xA9",
                  "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7", "\xF0\x9F\x87\xA9");
    /* half a flag, a word, then another half: no pairing across the word */
    EXPECT_TOKENS("\xF0\x9F\x87\xAB" "a\xF0\x9F\x87\xB7", "\xF0\x9F\x87\xAB", "a", "\xF0\x9F\x87\xB7");
}

static void cjk_splits_per_character(void)
{
    EXPECT_TOKENS("自注意力", "自", "注", "意", "力");
    EXPECT_TOKENS("すしカレー", "す", "し", "カ", "レ", "ー");
    EXPECT_TOKENS("你好。", "你", "好", "。");
    /* two adjacent characters each from Ext A, Ext B and the compatibility block */
    EXPECT_TOKENS("\xE3\x90\x80\xE3\x90\x81\xF0\xA0\x80\x80\xF0\xA0\x80\x81\xEF\xA4\x80\xEF\xA4\x81",
                  "\xE3\x90\x80", "\xE3\x90\x81", "\xF0\xA0\x80\x80", "\xF0\xA0\x80\x81",
                  "\xEF\xA4\x80", "\xEF\xA4\x81");
    /* a combining voicing mark stays with its kana: か + U+3099 */
    EXPECT_TOKENS("\xE3\x81\x8B\xE3\x82\x99\xE3\x81\x8B", "\xE3\x81\x8B\xE3\x82\x99", "\xE3\x81\x8B");
}

static void mixed_latin_and_cjk(void)
{
    EXPECT_TOKENS("GPT自注意力", "GPT", "自", "注", "意", "力");
    EXPECT_TOKENS("自GPT力", "自", "GPT", "力");
    EXPECT_TOKENS("注意 attention", "注", "意", "attention");
}

static void fullwidth_punctuation_is_a_token(void)
{
    EXPECT_TOKENS("你好，世界！", "你", "好", "，", "世", "界", "！");
    EXPECT_TOKENS("ok！？", "ok", "！", "？");
    /* fullwidth letters and digits make words */
    EXPECT_TOKENS("ＧＰＴ３！", "ＧＰＴ３", "！");
}

static void hangul_words_stay_whole(void)
{
    EXPECT_TOKENS("자기 주의 메커니즘.", "자기", "주의", "메커니즘", ".");
}

static void letters_of_other_scripts_form_words(void)
{
    EXPECT_TOKENS("café naïve Ελληνικά русский", "café", "naïve", "Ελληνικά", "русский");
    EXPECT_TOKENS("עברית العربية हिन्दी", "עברית", "العربية", "हिन्दी");
    EXPECT_TOKENS("Tiếng Việt, Straße", "Tiếng", "Việt", ",", "Straße");
    /* Latin-1 symbols are not letters */
    EXPECT_TOKENS("2\xC3\x97" "3", "2", "\xC3\x97", "3");
}

static void combining_marks_attach_to_previous_word(void)
{
    EXPECT_TOKENS("cafe\xCC\x81 x", "cafe\xCC\x81", "x");       /* e + U+0301 */
    EXPECT_TOKENS("e\xCC\x81" "e", "e\xCC\x81" "e");            /* mark inside a word */
    EXPECT_TOKENS("cafe\xCC\x81's", "cafe\xCC\x81's");          /* joiner after a mark */
    EXPECT_TOKENS("!\xCC\x81" "a", "!\xCC\x81", "a");           /* a mark never stands alone */
    EXPECT_TOKENS("\xCC\x81" "a b", "\xCC\x81" "a", "b");       /* a leading mark starts a word */
}

/* ---- explicit '|' mode ----------------------------------------------------- */

static void explicit_bar_mode_keeps_spaces(void)
{
    EXPECT_TOKENS("New York | is |big", "New York", "is", "big");
    EXPECT_TOKENS(" \ta  b \n|c\r", "a  b", "c");
    /* inside pieces the automatic rules do not apply */
    EXPECT_TOKENS("don't!|自注意力|x", "don't!", "自注意力", "x");
    EXPECT_TOKENS("a|b", "a", "b");
    /* only ASCII white space is trimmed */
    EXPECT_TOKENS("\xC2\xA0x|y", "\xC2\xA0x", "y");
}

static void explicit_empty_piece_names_column(void)
{
    EXPECT_ERROR("a||b", "column 3: empty token before '|'");
    EXPECT_ERROR("|a", "column 1: empty token before '|'");
    EXPECT_ERROR("a|", "column 2: empty token after '|'");
    EXPECT_ERROR("a|b|  \t", "column 4: empty token after '|'");
    EXPECT_ERROR("ab|  |c", "column 6: empty token before '|'");
    EXPECT_ERROR("|", "column 1: empty token before '|'");
}

/* ---- errors ---------------------------------------------------------------- */

static void invalid_utf8_is_refused_with_column(void)
{
    EXPECT_ERROR("abcdef\xFF", "column 7: invalid UTF-8 byte 0xff");
    EXPECT_ERROR("ab\x80", "column 3: invalid UTF-8 byte 0x80");            /* lone continuation */
    EXPECT_ERROR("\xC3\xA9\xBF", "column 3: invalid UTF-8 byte 0xbf");      /* one continuation too many */
    EXPECT_ERROR("ab\xC3", "column 3: truncated UTF-8 sequence at end of text");
    EXPECT_ERROR("a\xF0\x9F\x98", "column 2: truncated UTF-8 sequence at end of text");
    EXPECT_ERROR("ab\xC0\x80", "column 3: overlong UTF-8 encoding");
    EXPECT_ERROR("\xE0\x80\xAF", "column 1: overlong UTF-8 encoding");
    EXPECT_ERROR("x \xED\xA0\x80", "column 3: UTF-8 encodes surrogate U+D800");
    EXPECT_ERROR("\xF5\x80\x80\x80", "column 1: invalid UTF-8 byte 0xf5");
    EXPECT_ERROR("\xF4\x90\x80\x80", "column 1: code point above U+10FFFF");
    EXPECT_ERROR("a\xC3\x41", "column 3: expected a UTF-8 continuation byte, got 0x41");
    EXPECT_ERROR("\xE2\x82(", "column 3: expected a UTF-8 continuation byte, got 0x28");
    /* the first problem is reported, in either mode */
    EXPECT_ERROR("a|\xFF|\x80", "column 3: invalid UTF-8 byte 0xff");
}

static void nul_byte_is_refused(void)
{
    EXPECT_SPLIT_ERROR("ab\0c", 4, "column 3: NUL byte in text");
    EXPECT_SPLIT_ERROR("\xC3\0", 2, "column 2: NUL byte in text");
    EXPECT_SPLIT_ERROR("a|\0", 3, "column 3: NUL byte in text");
}

static void length_is_respected_without_terminator(void)
{
    static const char *const want[] = {"a", "b"};
    char *buf = malloc(3); /* exactly 3 bytes, no NUL: a sanitizer catches overreads */
    int ok;

    EXPECT(buf != NULL);
    memcpy(buf, "a b", 3);
    ok = split_is(buf, 3, want, 2, __LINE__);
    free(buf);
    if (!ok) return;
    {
        static const char *const hello[] = {"hello"};
        static const char *const a[] = {"a"};
        if (!split_is("hello world", 5, hello, 1, __LINE__)) return;
        if (!split_is("a|b", 1, a, 1, __LINE__)) return;  /* the '|' lies beyond len */
    }
}

static void too_many_tokens_refused(void)
{
    /* "x x x ... x": token k starts at byte 2k */
    size_t len = 2 * (TOK_MAX_TOKENS + 1) - 1;
    char *s = malloc(len + 1);
    TokList l = {0, NULL};
    char err[128];
    int rc;

    EXPECT(s != NULL);
    for (size_t i = 0; i < len; i++) s[i] = i % 2 ? ' ' : 'x';
    s[len] = '\0';
    rc = tok_split(&l, s, len - 2, err, sizeof err); /* exactly the limit */
    if (rc == 0) {
        rc = l.n == TOK_MAX_TOKENS && strcmp(l.text[TOK_MAX_TOKENS - 1], "x") == 0 ? 0 : 1;
        tok_free(&l);
    }
    if (rc != 0) { free(s); EXPECT_MSG(0, "%d tokens should be accepted", TOK_MAX_TOKENS); }
    if (!split_fails(s, len, "column 8193: more than 4096 tokens (the engine's limit)", __LINE__)) {
        free(s);
        return;
    }
    /* the same count in explicit mode */
    for (size_t i = 1; i < len; i += 2) s[i] = '|';
    split_fails(s, len, "column 8193: more than 4096 tokens (the engine's limit)", __LINE__);
    free(s);
}

static void long_token_refused(void)
{
    char s[128];

    memset(s, 'a', 64);
    s[64] = '\0';
    {
        const char *const want[] = {s};
        if (!split_is(s, 64, want, 1, __LINE__)) return;
    }
    memcpy(s, "hi ", 3);
    memset(s + 3, 'a', 65);
    s[68] = '\0';
    EXPECT_ERROR(s, "column 4: token longer than 64 bytes");
    /* counted in bytes: 33 two-byte letters are 66 bytes */
    s[0] = '\0';
    for (int i = 0; i < 33; i++) strcat(s, "\xC3\xA9");
    EXPECT_ERROR(s, "column 1: token longer than 64 bytes");
    s[64] = '\0';
    {
        const char *const want[] = {s};
        if (!split_is(s, 64, want, 1, __LINE__)) return;
    }
    /* explicit mode measures the trimmed piece */
    memcpy(s, "a| ", 3);
    memset(s + 3, 'b', 65);
    s[68] = '\0';
    EXPECT_ERROR(s, "column 4: token longer than 64 bytes");
}

static void empty_text_refused(void)
{
    EXPECT_ERROR("", "column 1: no tokens in the text");
    EXPECT_ERROR(" \t\r\n", "column 1: no tokens in the text");
    EXPECT_ERROR("\xE3\x80\x80", "column 1: no tokens in the text"); /* only U+3000 */
    EXPECT_SPLIT_ERROR(NULL, 0, "column 1: no tokens in the text");
}

static void error_buffer_is_always_terminated(void)
{
    TokList l = {0, NULL};
    char small[8], untouched[4] = "abc";

    EXPECT_INT(tok_split(&l, "\xFF", 1, NULL, 0), -1);    /* err may be NULL */
    EXPECT_INT(tok_split(&l, "\xFF", 1, NULL, 100), -1);
    EXPECT_INT(tok_split(&l, "\xFF", 1, untouched, 0), -1);
    EXPECT_STR(untouched, "abc");
    memset(small, 'x', sizeof small);
    EXPECT_INT(tok_split(&l, "\xFF", 1, small, sizeof small), -1);
    EXPECT_STR(small, "column ");
    EXPECT(l.n == 0 && l.text == NULL);
    /* success clears a stale message */
    EXPECT_INT(tok_split(&l, "ok", 2, small, sizeof small), 0);
    EXPECT_STR(small, "");
    tok_free(&l);
}

static void tok_free_is_safe_on_empty_list(void)
{
    TokList l = {0, NULL};
    tok_free(&l);
    EXPECT(l.n == 0 && l.text == NULL);
    EXPECT_INT(tok_split(&l, "a b", 3, NULL, 0), 0);
    tok_free(&l);
    tok_free(&l);
    EXPECT(l.n == 0 && l.text == NULL);
}

/* ---- tok_utf8_decode ------------------------------------------------------- */

static void decode_accepts_valid_sequences(void)
{
    static const struct { const char *s; int n; unsigned cp; } ok[] = {
        {"A", 1, 0x41},
        {"\x7F", 1, 0x7F},
        {"\xC2\x80", 2, 0x80},
        {"\xC3\xA9", 2, 0xE9},
        {"\xDF\xBF", 2, 0x7FF},
        {"\xE0\xA0\x80", 3, 0x800},
        {"\xE2\x82\xAC", 3, 0x20AC},
        {"\xED\x9F\xBF", 3, 0xD7FF},
        {"\xEE\x80\x80", 3, 0xE000},
        {"\xEF\xBF\xBF", 3, 0xFFFF},
        {"\xF0\x90\x80\x80", 4, 0x10000},
        {"\xF0\x9F\x98\x80", 4, 0x1F600},
        {"\xF4\x8F\xBF\xBF", 4, 0x10FFFF},
    };
    unsigned cp = 0;

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cp = 0;
        EXPECT_INT(tok_utf8_decode(ok[i].s, strlen(ok[i].s), &cp), ok[i].n);
        EXPECT_INT(cp, ok[i].cp);
    }
    /* only the first code point is decoded */
    EXPECT_INT(tok_utf8_decode("\xC3\xA9x", 3, &cp), 2);
    EXPECT_INT(cp, 0xE9);
    /* U+0000 is valid UTF-8; tok_split is what refuses it */
    EXPECT_INT(tok_utf8_decode("\0", 1, &cp), 1);
    EXPECT_INT(cp, 0);
}

static int decodes(const char *s, size_t len)
{
    unsigned cp;
    return tok_utf8_decode(s, len, &cp);
}

static void decode_rejects_overlongs(void)
{
    EXPECT_INT(decodes("\xC0\x80", 2), 0);
    EXPECT_INT(decodes("\xC1\xBF", 2), 0);
    EXPECT_INT(decodes("\xE0\x80\x80", 3), 0);
    EXPECT_INT(decodes("\xE0\x9F\xBF", 3), 0);
    EXPECT_INT(decodes("\xF0\x80\x80\x80", 4), 0);
    EXPECT_INT(decodes("\xF0\x8F\xBF\xBF", 4), 0);
}

static void decode_rejects_surrogates(void)
{
    EXPECT_INT(decodes("\xED\xA0\x80", 3), 0);
    EXPECT_INT(decodes("\xED\xB0\x80", 3), 0);
    EXPECT_INT(decodes("\xED\xBF\xBF", 3), 0);
}

static void decode_rejects_above_10ffff(void)
{
    EXPECT_INT(decodes("\xF4\x90\x80\x80", 4), 0);
    EXPECT_INT(decodes("\xF5\x80\x80\x80", 4), 0);
    EXPECT_INT(decodes("\xF7\xBF\xBF\xBF", 4), 0);
    EXPECT_INT(decodes("\xF8\x88\x80\x80\x80", 5), 0);
    EXPECT_INT(decodes("\xFF", 1), 0);
}

static void decode_rejects_truncated_and_bad_continuation(void)
{
    EXPECT_INT(decodes("", 0), 0);
    EXPECT_INT(decodes("\x80", 1), 0);              /* lone continuation */
    EXPECT_INT(decodes("\xBF", 1), 0);
    EXPECT_INT(decodes("\xC3", 1), 0);
    EXPECT_INT(decodes("\xE2\x82", 2), 0);
    EXPECT_INT(decodes("\xE2\x82\xAC", 2), 0);      /* len cuts a valid sequence */
    EXPECT_INT(decodes("\xF0\x9F\x98", 3), 0);
    EXPECT_INT(decodes("\xC3\x41", 2), 0);
    EXPECT_INT(decodes("\xE2\x28\xA1", 3), 0);
    EXPECT_INT(decodes("\xE2\x82\xC0", 3), 0);
    EXPECT_INT(decodes("\xF0\x9F\x98\x41", 4), 0);
}

void suite_tok(void)
{
    RUN(splits_words_and_punctuation);
    RUN(same_word_twice_gives_equal_tokens);
    RUN(white_space_of_all_kinds_separates);
    RUN(underscore_and_digits_are_word_characters);
    RUN(apostrophe_and_hyphen_inside_words);
    RUN(decimal_point_between_digits_stays);
    RUN(symbols_and_emoji_are_single_tokens);
    RUN(emoji_sequences_stay_whole);
    RUN(cjk_splits_per_character);
    RUN(mixed_latin_and_cjk);
    RUN(fullwidth_punctuation_is_a_token);
    RUN(hangul_words_stay_whole);
    RUN(letters_of_other_scripts_form_words);
    RUN(combining_marks_attach_to_previous_word);
    RUN(explicit_bar_mode_keeps_spaces);
    RUN(explicit_empty_piece_names_column);
    RUN(invalid_utf8_is_refused_with_column);
    RUN(nul_byte_is_refused);
    RUN(length_is_respected_without_terminator);
    RUN(too_many_tokens_refused);
    RUN(long_token_refused);
    RUN(empty_text_refused);
    RUN(error_buffer_is_always_terminated);
    RUN(tok_free_is_safe_on_empty_list);
    RUN(decode_accepts_valid_sequences);
    RUN(decode_rejects_overlongs);
    RUN(decode_rejects_surrogates);
    RUN(decode_rejects_above_10ffff);
    RUN(decode_rejects_truncated_and_bad_continuation);
}
