/* harness.h: running the built attnlab ($ATTNLAB_BIN) from the tests: a case's sandbox folders,
 * the child's environment and captured output, and reading back its files, state and PNGs. */
#ifndef ATTN_HARNESS_H
#define ATTN_HARNESS_H

#include "test.h"

#include <stddef.h>

/* ---------------------------------------------------------------- files */

/* A case's own folders, all absolute: DIR, DIR/config (XDG_CONFIG_HOME), DIR/export
 * (ATTNLAB_EXPORT_DIR, made by attnlab when it exports) and DIR/no-lessons (ATTNLAB_LESSONS:
 * an empty folder, so no lesson opens, unless a case points it elsewhere). */
typedef struct {
    char dir[700], config[760], export_dir[760], lessons[760];
} HarnessBox;

/* The test folder (test_tmpdir()) as an absolute path. */
const char *harness_abs_tmpdir(void);
/* Makes a folder; 1 if it is there afterwards. */
int harness_make_dir(const char *path);
/* Makes the folders of case `name` under the test folder, as GROUP-NAME (GROUP: the suite).
 * Reports at file:line and returns 0 if it cannot. */
int harness_box(const char *file, int line, HarnessBox *b, const char *group, const char *name);
/* DIR/name, in one of a few rotating buffers. */
const char *harness_path(const HarnessBox *b, const char *name);
/* Writes text to path; reports at file:line and returns 0 if it cannot. */
int harness_write(const char *file, int line, const char *path, const char *text);
/* Writes len bytes to path as they are (no check, no report); 0, or -1 if it could not. */
int harness_write_bytes(const char *path, const void *data, size_t len);
#define WRITE(path, text) do { if (!harness_write(__FILE__, __LINE__, (path), (text))) return; } while (0)
/* Reads a whole file (NUL-terminated, malloc'd; its length in *len unless len is NULL);
 * NULL if it cannot be read. */
char *harness_slurp(const char *path, size_t *len);
/* Whether anything (a dangling link too) is at path. */
int harness_exists(const char *path);
/* The names in a folder that start with `start` (when "digit": with a digit) and end with
 * `end`, sorted; returns how many (at most max). */
int harness_list_names(const char *dir, const char *start, const char *end, char names[][128], int max);

/* ---------------------------------------------------------------- running attnlab */

/* The last run: its exit status and what it wrote (freed by the next run and by
 * harness_free). */
typedef struct {
    int status;
    char *out, *err;
    size_t out_len, err_len;
} HarnessRun;
extern HarnessRun harness_last;

/* How to run, beyond the defaults (no prefix, SDL_VIDEODRIVER=dummy, nothing added). */
typedef struct {
    const char *const *prefix; /* NULL-ended command run first with attnlab as its argument (xvfb-run ...) */
    int xvfb;                  /* under Xvfb: keep the real video driver, present without GL */
    const char *const *env;    /* NULL-ended "NAME=VALUE" entries, replacing inherited ones */
} HarnessOptions;

/* $ATTNLAB_BIN, or build/attnlab. */
const char *harness_bin(void);
/* Runs attnlab with args (NULL-ended) after opt's prefix; stdin from /dev/null, stdout and
 * stderr captured into harness_last. The environment is the inherited one with
 * SDL_VIDEODRIVER=dummy (unless opt->xvfb, which sets SDL_FRAMEBUFFER_ACCELERATION=0 instead:
 * SDL would present through Mesa's GL and unload it at exit, and LeakSanitizer reports what
 * Mesa leaves behind as leaks of an unknown module, which no suppression can name),
 * SDL_AUDIODRIVER=dummy, LSAN_OPTIONS kept with print_suppressions=0 (a sanitizer build would
 * list the suppressions it used on stderr), and, with a box (b not NULL), XDG_CONFIG_HOME,
 * ATTNLAB_EXPORT_DIR and ATTNLAB_LESSONS in it and HOME at the test folder; then opt's env.
 * opt may be NULL. Reports at file:line and returns 0 if the child could not run or did not
 * exit. */
int harness_run(const char *file, int line, const HarnessBox *b, const HarnessOptions *opt, const char *const *args);
/* Runs attnlab with the arguments in box b's sandbox; the run is harness_last. The test case
 * returns at once (reported) if attnlab could not run. */
#define ATTNLAB_IN(b, ...)                                                       \
    do {                                                                         \
        const char *const a_[] = {__VA_ARGS__, NULL};                            \
        if (!harness_run(__FILE__, __LINE__, (b), NULL, a_)) return;             \
    } while (0)
/* Writes the script to DIR/name and runs `--replay DIR/name [extra]` (extra: a scene or
 * lesson file, or NULL). */
int harness_replay(const char *file, int line, const HarnessBox *b, const char *name, const char *script,
                   const char *extra);
/* Frees what the last run wrote; a suite calls it at its end. */
void harness_free(void);

/* The exit status must be want; otherwise the failure shows what the child said. */
#define EXPECT_EXIT(want)                                                        \
    EXPECT_MSG(harness_last.status == (want), "exit status %d, expected %d; stderr: %s", harness_last.status, (want), harness_last.err)

/* Whether hay holds needle; reports at file:line when not. */
int harness_has(const char *file, int line, const char *hay, const char *needle);
#define EXPECT_HAS(hay, needle) do { if (!harness_has(__FILE__, __LINE__, (hay), (needle))) return; } while (0)

/* ---------------------------------------------------------------- state files */

/* The value of key in a state file's text ("key = value" lines), copied into one of a few
 * rotating buffers; NULL if there is none. */
const char *harness_value(const char *text, const char *key);

/* ---------------------------------------------------------------- screenshots */

typedef struct {
    unsigned char *px; /* RGB, from stb_image: stbi_image_free it */
    int w, h;
} HarnessImg;

/* Reads a PNG as RGB; reports at file:line (with the last run's stderr) and returns 0 if it
 * cannot. */
int harness_img(const char *file, int line, HarnessImg *im, const char *path);
#define IMG(im, path) do { if (!harness_img(__FILE__, __LINE__, (im), (path))) return; } while (0)
/* The pixel at x, y. */
const unsigned char *harness_px(const HarnessImg *im, int x, int y);
/* Whether every channel of p is within tol of rgb. */
int harness_near(const unsigned char *p, const int rgb[3], int tol);
/* Pixels of a colour in columns x0 and right of it. */
int harness_count_colour(const HarnessImg *im, int x0, const int rgb[3], int tol);

#endif
