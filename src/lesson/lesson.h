/* lesson.h: lesson files. lesson_parse turns a lesson's Markdown (read with md4c) into
 * titled steps of narration (styled runs, maths set in Unicode), scene keys, and
 * predict-then-reveal questions, each key with its line and column. Pure: no I/O; the
 * format is documented in lessons/README.md.
 *
 * Ownership: a Lesson owns every string and array it points to; lesson_free releases them. */
#ifndef ATTN_LESSON_H
#define ATTN_LESSON_H

#include <stddef.h>

#define LESSON_MAX_BYTES (1024 * 1024)

/* Styles of a run of narration (bits). */
enum { LESSON_EM = 1, LESSON_STRONG = 2, LESSON_CODE = 4, LESSON_MATH = 8 };

typedef struct {
    int style;     /* LESSON_* bits */
    char *text;    /* UTF-8; maths already converted by lesson_math */
} LessonRun;

/* A block of narration. */
typedef enum { LP_PARA, LP_BULLET, LP_NUMBERED, LP_HEADING, LP_IMAGE } LessonParaKind;

typedef struct {
    LessonParaKind kind;
    int number;          /* LP_NUMBERED: the item's number */
    int depth;           /* list nesting: 0 for top-level blocks and the items of a top-level
                          * list; a paragraph or image that continues a list item is one
                          * deeper than the item */
    int n_runs;
    LessonRun *runs;
    char *image;         /* LP_IMAGE: the file as written (runs hold the alt text) */
    int line, col;       /* where the block's first text is in the file (1-based; a heading's
                          * '#', an image's "![") */
} LessonPara;

typedef struct {
    char *key, *value;   /* trimmed */
    int line, col;       /* of the key; the value's column is col_value */
    int col_value;
} LessonKV;

typedef struct {
    char *title;
    int line;            /* of the heading (the file's first line for the introduction) */
    int n_paras;
    LessonPara *paras;
    int n_scene;
    LessonKV *scene;     /* the step's scene block (several are joined), in order */
    /* the question block, when has_question */
    int has_question;
    int q_line;          /* of the question block's opening fence */
    int n_question;
    LessonKV *question;  /* ask, choices, answer, tolerance, reveal: raw, in order */
    char *ask;           /* maths converted (other markup dropped) */
    int n_choices;
    char **choices;      /* split on '|', trimmed, maths converted; empty (0) for a typed
                          * numeric answer */
    int answer;          /* the right choice, 1-based; 0 for a numeric answer */
    double number;       /* the numeric answer */
    double tolerance;    /* default 0.01 */
    int n_reveal_runs;
    LessonRun *reveal_runs; /* the reveal text, styled like narration */
    int n_reveal;
    LessonKV *reveal;    /* the reveal block's scene keys (the block right after the question) */
} LessonStep;

typedef struct {
    char *title;
    int n_steps;
    LessonStep *steps;
} Lesson;

/* Parses a lesson. name is used in messages. Returns 0, or -1 with
 * "NAME:LINE:COLUMN: message" in err (and *out empty) for: invalid UTF-8 or a NUL byte, a
 * file over LESSON_MAX_BYTES, anything before the "# " title, no title, an empty one or a
 * second one, a "## " step without a title, a lesson with no step, a fence (``` or ~~~)
 * that is never closed, a fenced block without a tag or with one other than scene,
 * question or reveal, a line in such a block that is not "key = value" (blank lines and
 * lines starting with '#' are skipped), a question key other than ask, choices, answer,
 * tolerance, reveal (or one given twice), a question without ask or answer, an empty choice
 * or fewer than two, an answer that is not a choice number (1..choices) or, without
 * choices, not a number, a tolerance that is not a number >= 0, a second question in a
 * step, a reveal block not right after a question (only blank lines between).
 * Lines and columns are 1-based, columns in bytes; a leading BOM is skipped and CRLF line
 * ends count like LF. Text between the title and the first "## " is an introduction step
 * titled like the lesson (line 1). "###" and deeper headings are LP_HEADING paragraphs;
 * each line of an indented code block is an LP_PARA of one LESSON_CODE run.
 * Checking scene keys against what the engine accepts is lesson_check's job (app layer). */
int lesson_parse(Lesson *out, const char *text, size_t len, const char *name, char *err, size_t errlen);
void lesson_free(Lesson *l);

/* Sets TeX-like maths in Unicode: \alpha -> α, \alpha' -> α′, \sqrt{d_k} -> √dₖ,
 * \sum_j -> Σⱼ, x^2 -> x², q^{i} -> qⁱ, a_{i,j} -> aᵢ,ⱼ, \cdot -> ·, \top and ^T -> ᵀ,
 * \sqrt{15} -> √15 (√(x+1) for more than one symbol or number), \frac{a}{b} -> a/b (a part
 * with a space or an operator in parentheses), - -> −, and the other names listed in
 * lessons/README.md; unknown commands lose their backslash. A sub- or superscript is set in
 * Unicode when every character of it has a form (digits, + − =, the letters that have one;
 * commas stay commas); otherwise the whole group is written _(...) or ^(...)
 * (x_{(1)} -> x_(1): a group already in parentheses gets no second pair).
 * Writes at most len bytes, cut between characters, always NUL-terminated (len > 0). */
void lesson_math(char *out, size_t len, const char *tex);

/* The whole narration of a step as plain text (for exports and tests): paragraphs separated
 * by blank lines, consecutive list items by single line breaks, bullets as "• ", numbered
 * items as "N. ", two spaces of indentation per depth, an image as its alt text (its file
 * when there is none). Returns a malloc'd string (NULL when out of memory). */
char *lesson_step_text(const LessonStep *s);

#endif
