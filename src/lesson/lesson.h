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
    int depth;           /* list nesting, 0 for top-level blocks */
    int n_runs;
    LessonRun *runs;
    char *image;         /* LP_IMAGE: the file as written (runs hold the alt text) */
    int line, col;       /* where the block starts in the file (1-based) */
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
    LessonKV *scene;     /* the step's scene block, in order */
    /* the question block, when has_question */
    int has_question;
    int q_line;
    int n_question;
    LessonKV *question;  /* ask, choices, answer, tolerance, reveal: raw, in order */
    char *ask;           /* maths converted */
    int n_choices;
    char **choices;      /* maths converted; empty (0) for a typed numeric answer */
    int answer;          /* the right choice, 1-based; 0 for a numeric answer */
    double number;       /* the numeric answer */
    double tolerance;
    int n_reveal_runs;
    LessonRun *reveal_runs; /* the reveal text, styled like narration */
    int n_reveal;
    LessonKV *reveal;    /* the reveal block's scene keys */
} LessonStep;

typedef struct {
    char *title;
    int n_steps;
    LessonStep *steps;
} Lesson;

/* Parses a lesson. name is used in messages. Returns 0, or -1 with
 * "NAME:LINE:COLUMN: message" in err for: invalid UTF-8, a file over LESSON_MAX_BYTES, no
 * "# " title or a second one, a fence (``` or ~~~) that is never closed, a fenced block
 * with an unknown tag, a line in a scene, question or reveal block that is not
 * "key = value", a question without ask or answer, an answer that is not a choice number
 * (1..choices) or not a number, an empty choice, a reveal block not right after a question.
 * Checking scene keys against what the engine accepts is lesson_check's job (app layer). */
int lesson_parse(Lesson *out, const char *text, size_t len, const char *name, char *err, size_t errlen);
void lesson_free(Lesson *l);

/* Sets TeX-like maths in Unicode: \alpha -> α, \alpha' -> α′, \sqrt{d_k} -> √dₖ,
 * \sum_j -> Σⱼ, x^2 -> x², q^{i} -> qⁱ, a_{i,j} -> aᵢ,ⱼ, \cdot -> ·, \top and ^T -> ᵀ, and
 * the other names listed in lessons/README.md. Characters without a Unicode subscript or
 * superscript are written as _(...) or ^(...). Always NUL-terminates. */
void lesson_math(char *out, size_t len, const char *tex);

/* The whole narration of a step as plain text (for exports and tests): paragraphs separated
 * by blank lines, bullets as "• ". Returns a malloc'd string. */
char *lesson_step_text(const LessonStep *s);

#endif
