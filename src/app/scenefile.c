/* scenefile.c: the "key = value" scene-file format (parsing and writing) and the settings
 * file under the user's config folder (its path, loading it whole or not at all, saving). */
#define _POSIX_C_SOURCE 200809L
#include "scenefile.h"
#include "../engine/msg.h"

#include "../engine/cross.h"
#include "../engine/tok.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define SCENEFILE_MAX_FILE (1024 * 1024) /* largest scene or settings file */
#define SCENEFILE_MAX_VALUE (64 * 1024)  /* longest value on one line */
#define WIN_MIN_SIZE 200
#define WIN_MAX_SIZE 16384
#define WIN_MIN_ZOOM 0.5
#define WIN_MAX_ZOOM 3.0

WinSettings win_settings_default(void)
{
    WinSettings w;
    memset(&w, 0, sizeof w);
    w.zoom = 1.0f;
    w.animate = 1;
    return w;
}

/* ---------------------------------------------------------------- parsing */

static int in_list(const char *key, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(key, list[i]) == 0) return 1;
    return 0;
}

static const char *const win_keys[] = {"window-width", "window-height", "zoom", "animate",
                                       "fullscreen", "lesson", "lesson-step", "lesson-progress", NULL};

static int set_on_off(int *slot, const char *key, const char *v, char *msg, size_t msglen)
{
    if (strcmp(v, "on") == 0) *slot = 1;
    else if (strcmp(v, "off") == 0) *slot = 0;
    else return msg_fail(msg, msglen, "%s: unknown value '%s' (allowed: on|off)", key, v);
    return 0;
}

/* Sets one window key; returns 0 or -1 with a message (without the location). */
static int win_set(WinSettings *w, const char *key, const char *v, char *msg, size_t msglen)
{
    if (strcmp(key, "window-width") == 0 || strcmp(key, "window-height") == 0) {
        char *end;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (end == v || *end || errno == ERANGE)
            return msg_fail(msg, msglen, "%s: '%s' is not a whole number", key, v);
        if (x < WIN_MIN_SIZE || x > WIN_MAX_SIZE)
            return msg_fail(msg, msglen, "%s: %s is outside the limit %d..%d", key, v, WIN_MIN_SIZE,
                        WIN_MAX_SIZE);
        if (key[7] == 'w') w->width = (int)x;
        else w->height = (int)x;
        return 0;
    }
    if (strcmp(key, "zoom") == 0) {
        char *end;
        errno = 0;
        double z = strtod(v, &end);
        if (end == v || *end || errno == ERANGE || !isfinite(z))
            return msg_fail(msg, msglen, "zoom: '%s' is not a number", v);
        if (z < WIN_MIN_ZOOM || z > WIN_MAX_ZOOM)
            return msg_fail(msg, msglen, "zoom: %s is outside the limit %g..%g", v, WIN_MIN_ZOOM,
                        WIN_MAX_ZOOM);
        w->zoom = (float)z;
        return 0;
    }
    if (strcmp(key, "animate") == 0) return set_on_off(&w->animate, key, v, msg, msglen);
    if (strcmp(key, "fullscreen") == 0) return set_on_off(&w->fullscreen, key, v, msg, msglen);
    if (strcmp(key, "lesson") == 0) {
        if (strlen(v) >= sizeof w->lesson) return msg_fail(msg, msglen, "lesson: the path is too long");
        snprintf(w->lesson, sizeof w->lesson, "%s", v);
        return 0;
    }
    if (strcmp(key, "lesson-progress") == 0) {
        /* "FILE STEP": kept as FILE=STEP in a space-separated list */
        char name[256];
        long step;
        int used = 0;
        if (sscanf(v, "%255s %ld%n", name, &step, &used) != 2 || v[used] || step < 1 || step > 100000 ||
            strchr(name, '='))
            return msg_fail(msg, msglen, "lesson-progress: expected a lesson's file name and a step, as in 05-computing-b1.md 4");
        size_t have = strlen(w->progress);
        int n = snprintf(w->progress + have, sizeof w->progress - have, "%s=%ld ", name, step);
        if (n < 0 || (size_t)n >= sizeof w->progress - have) {
            w->progress[have] = 0;
            return msg_fail(msg, msglen, "lesson-progress: too many lessons remembered");
        }
        return 0;
    }
    if (strcmp(key, "lesson-step") == 0) {
        char *end;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (end == v || *end || errno == ERANGE || x < 1 || x > 100000)
            return msg_fail(msg, msglen, "lesson-step: '%s' is not a step number", v);
        w->lesson_step = (int)x;
        return 0;
    }
    return msg_fail(msg, msglen, "unknown key '%s'", key);
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Lines are "key = value"; columns are 1-based byte columns (after a leading BOM). */
int scenefile_parse(SceneSpec *sp, FigOptions *o, WinSettings *win, const char *text,
                    size_t len, const char *name, char *err, size_t errlen)
{
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) p += 3;
    char msg[512];
    for (int line = 1; p < end; line++) {
        const char *ls = p, *le = memchr(p, '\n', (size_t)(end - p));
        if (!le) le = end;
        p = le < end ? le + 1 : end;
        if (le > ls && le[-1] == '\r') le--;

        /* the whole line must be UTF-8 without NUL bytes, comments included */
        for (const char *q = ls; q < le;) {
            unsigned cp;
            int n = (unsigned char)*q < 0x80 ? 1 : tok_utf8_decode(q, (size_t)(le - q), &cp);
            if (n == 0)
                return msg_fail(err, errlen, "%s:%d:%d: invalid UTF-8", name, line, (int)(q - ls) + 1);
            if (*q == '\0')
                return msg_fail(err, errlen, "%s:%d:%d: NUL byte", name, line, (int)(q - ls) + 1);
            q += n;
        }

        const char *k = ls;
        while (k < le && is_blank(*k)) k++;
        if (k == le || *k == '#') continue;
        int kcol = (int)(k - ls) + 1;
        const char *eq = memchr(k, '=', (size_t)(le - k));
        if (!eq || eq == k) return msg_fail(err, errlen, "%s:%d:%d: expected key = value", name, line, kcol);
        const char *ke = eq;
        while (ke > k && is_blank(ke[-1])) ke--;
        const char *v = eq + 1, *ve = le;
        while (v < ve && is_blank(*v)) v++;
        while (ve > v && is_blank(ve[-1])) ve--;
        int vcol = (int)(v - ls) + 1;

        char key[64];
        size_t klen = (size_t)(ke - k);
        if (klen >= sizeof key)
            return msg_fail(err, errlen, "%s:%d:%d: unknown key '%.*s...'", name, line, kcol, 40, k);
        memcpy(key, k, klen);
        key[klen] = '\0';
        int is_scene = in_list(key, scene_keys), is_fig = in_list(key, fig_keys);
        int is_win = win && in_list(key, win_keys);
        if (!is_scene && !is_fig && !is_win)
            return msg_fail(err, errlen, "%s:%d:%d: unknown key '%s'", name, line, kcol, key);

        size_t vlen = (size_t)(ve - v);
        if (vlen > SCENEFILE_MAX_VALUE)
            return msg_fail(err, errlen, "%s:%d:%d: %s: the value is longer than the limit of %d KB",
                        name, line, vcol, key, SCENEFILE_MAX_VALUE / 1024);
        char *value = malloc(vlen + 1);
        if (!value) return msg_fail(err, errlen, "%s:%d:%d: out of memory", name, line, vcol);
        memcpy(value, v, vlen);
        value[vlen] = '\0';
        int r;
        msg[0] = '\0';
        if (is_scene) r = scene_set(sp, key, value, msg, sizeof msg);
        else if (is_fig) r = fig_set(o, key, value, msg, sizeof msg) ? -1 : 0;
        else r = win_set(win, key, value, msg, sizeof msg);
        free(value);
        if (r) return msg_fail(err, errlen, "%s:%d:%d: %s", name, line, vcol, msg);
    }
    return 0;
}

/* ---------------------------------------------------------------- writing */

/* The temperature as "%.9g", which reads back as the same float; at the very limits that
 * text can fall just outside what scene_set accepts (1e-6f is 9.99999997e-07, below the
 * double 1e-6f), and then the float's exact value is written with "%.17g". */
static void format_temperature(char *out, size_t len, float t)
{
    snprintf(out, len, "%.9g", (double)t);
    double back = strtod(out, NULL);
    if (back < ATTN_MIN_TEMPERATURE || back > ATTN_MAX_TEMPERATURE)
        snprintf(out, len, "%.17g", (double)t);
}

static void put_line(OutBuf *b, const char *key, const char *value)
{
    if (*value) out_printf(b, "%s = %s\n", key, value);
    else out_printf(b, "%s =\n", key);
}

void scenefile_write(OutBuf *b, const SceneSpec *sp, const FigOptions *o, const WinSettings *win)
{
    const AttnScene *s = &sp->scene;
    char v[64];
    out_printf(b, "# attnlab %s\n", win ? "settings" : "scene");

    /* a value is one line: newlines (white space to the tokenizer) become spaces */
    const char *t = sp->text ? sp->text : "";
    out_printf(b, "text =%s", *t ? " " : "");
    for (const char *q = t; *q;) {
        size_t run = strcspn(q, "\r\n");
        out_append(b, q, run);
        q += run;
        if (*q) {
            out_append(b, " ", 1);
            q++;
        }
    }
    out_append(b, "\n", 1);

    out_printf(b, "heads = %d\n", s->heads);
    out_printf(b, "d-model = %d\n", s->d_model);
    out_printf(b, "d-head = %d\n", s->d_head);
    if (s->d_att) out_printf(b, "d-att = %d\n", s->d_att);
    out_printf(b, "score = %s\n", attn_score_name(s->score));
    if (s->mask == ATTN_MASK_GRAPH || s->mask == ATTN_MASK_CUSTOM) {
        /* without a file the mask cannot be written as scene_set reads it */
        if (sp->mask_file)
            out_printf(b, "mask = %s:%s\n", s->mask == ATTN_MASK_GRAPH ? "graph" : "custom",
                       sp->mask_file);
        else if (s->mask == ATTN_MASK_GRAPH && sp->graph)
            out_printf(b, "mask = graph\n"); /* the input graph's own edges */
    } else {
        attn_mask_spec(v, sizeof v, s->mask, s->mask_param);
        out_printf(b, "mask = %s\n", v);
    }
    out_printf(b, "posenc = %s\n", attn_posenc_name(s->posenc));
    out_printf(b, "norm = %s\n", attn_norm_name(s->norm));
    format_temperature(v, sizeof v, s->temperature);
    out_printf(b, "temperature = %s\n", v);
    out_printf(b, "seed = %llu\n", (unsigned long long)s->seed);
    out_printf(b, "weights = %s\n", attn_weights_name(s->weights));
    if (sp->weights_file) {
        /* the preset above stays: it fills the tensors the file leaves out */
        put_line(b, "weights", sp->weights_file);
    }
    put_line(b, "vectors", sp->vectors_file ? sp->vectors_file : "hash");
    put_line(b, "image", sp->image ? sp->image : "none");
    put_line(b, "audio", sp->audio ? sp->audio : "none");
    put_line(b, "graph", sp->graph ? sp->graph : "none");
    out_printf(b, "win-ms = %g\nhop-ms = %g\nbands = %d\n", (double)sp->win_ms, (double)sp->hop_ms, sp->bands);
    out_printf(b, "patch = %d\ngrid = %d\nlayers = %d\nd-ff = %d\n", sp->patch, sp->grid, sp->layers, sp->d_ff);
    out_printf(b, "cross = %s\ncross-score = %s\n", sp->cross, cross_score_name((CrossScore)sp->cross_score));

    for (int i = 0; fig_keys[i]; i++) {
        if (strcmp(fig_keys[i], "cell") == 0 && o->cell == 0) continue;
        if (strcmp(fig_keys[i], "query-patch") == 0) continue; /* another name for query */
        fig_get(o, fig_keys[i], v, sizeof v);
        put_line(b, fig_keys[i], v);
    }

    if (win) {
        if (win->width) out_printf(b, "window-width = %d\n", win->width);
        if (win->height) out_printf(b, "window-height = %d\n", win->height);
        out_printf(b, "zoom = %.9g\n", (double)win->zoom);
        out_printf(b, "animate = %s\n", win->animate ? "on" : "off");
        out_printf(b, "fullscreen = %s\n", win->fullscreen ? "on" : "off");
        if (win->lesson[0]) {
            put_line(b, "lesson", win->lesson);
            out_printf(b, "lesson-step = %d\n", win->lesson_step > 0 ? win->lesson_step : 1);
        }
        for (const char *p = win->progress; *p;) {
            const char *end = strchr(p, ' ');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            const char *eq = memchr(p, '=', len);
            if (eq) out_printf(b, "lesson-progress = %.*s %.*s\n", (int)(eq - p), p, (int)(len - (size_t)(eq - p) - 1), eq + 1);
            p += len;
            while (*p == ' ') p++;
        }
    }
}

/* ---------------------------------------------------------------- files */

/* Reads a whole file of at most SCENEFILE_MAX_FILE bytes into a malloc'd NUL-terminated
 * buffer. On failure returns NULL with "PATH: reason" in err; *missing is set when the
 * file does not exist. */
static char *read_small(const char *path, size_t *len, int *missing, char *err, size_t errlen)
{
    return file_read(path, SCENEFILE_MAX_FILE, len, missing, err, errlen);
}

int scenefile_load(SceneSpec *sp, FigOptions *o, const char *path, char *err, size_t errlen)
{
    size_t len;
    int missing;
    char *buf = read_small(path, &len, &missing, err, errlen);
    if (!buf) return -1;
    int r = scenefile_parse(sp, o, NULL, buf, len, path, err, errlen);
    free(buf);
    return r;
}

static int write_file(const SceneSpec *sp, const FigOptions *o, const WinSettings *win,
                      const char *path, char *err, size_t errlen)
{
    OutBuf b = {0};
    scenefile_write(&b, sp, o, win);
    if (b.failed) {
        out_buf_free(&b);
        return msg_fail(err, errlen, "cannot write %s: out of memory", path);
    }
    int r = file_write_atomic(path, b.data, b.len, err, errlen);
    out_buf_free(&b);
    return r;
}

int scenefile_save(const SceneSpec *sp, const FigOptions *o, const char *path, char *err, size_t errlen)
{
    return write_file(sp, o, NULL, path, err, errlen);
}

int settings_path(char *out, size_t len)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/') n = snprintf(out, len, "%s/attnlab/settings.txt", xdg);
    else if (home && *home) n = snprintf(out, len, "%s/.config/attnlab/settings.txt", home);
    else return -1;
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The fields a scene file sets, deep-copied into a fresh spec that owns nothing loaded. */
static int spec_copy_fields(SceneSpec *dst, const SceneSpec *src)
{
    scene_spec_init(dst);
    dst->scene = src->scene;
    dst->scene.n = 0;
    dst->scene.tokens = NULL;
    dst->scene.vectors = NULL;
    dst->scene.edges = NULL;
    dst->scene.n_edges = 0;
    dst->scene.mask_matrix = NULL;
    memset(&dst->scene.params, 0, sizeof dst->scene.params);
    free(dst->text);
    dst->text = NULL;
    const char *const from[4] = {src->text, src->mask_file, src->weights_file, src->vectors_file};
    char **to[4] = {&dst->text, &dst->mask_file, &dst->weights_file, &dst->vectors_file};
    for (int i = 0; i < 4; i++) {
        if (!from[i]) continue;
        size_t n = strlen(from[i]) + 1;
        if (!(*to[i] = malloc(n))) return -1;
        memcpy(*to[i], from[i], n);
    }
    return 0;
}

/* Moves the fields a scene file sets from src into dst; what dst has loaded (tokens,
 * matrices, the pointers its scene borrows) stays, as after scene_set. */
static void spec_take_fields(SceneSpec *dst, SceneSpec *src)
{
    AttnScene s = src->scene;
    s.n = dst->scene.n;
    s.tokens = dst->scene.tokens;
    s.vectors = dst->scene.vectors;
    s.edges = dst->scene.edges;
    s.n_edges = dst->scene.n_edges;
    s.mask_matrix = dst->scene.mask_matrix;
    s.params = dst->scene.params;
    dst->scene = s;
    char **from[4] = {&src->text, &src->mask_file, &src->weights_file, &src->vectors_file};
    char **to[4] = {&dst->text, &dst->mask_file, &dst->weights_file, &dst->vectors_file};
    for (int i = 0; i < 4; i++) {
        free(*to[i]);
        *to[i] = *from[i];
        *from[i] = NULL;
    }
}

int settings_load(SceneSpec *sp, FigOptions *o, WinSettings *win, char *warn, size_t warnlen)
{
    char path[4096], err[1024];
    if (settings_path(path, sizeof path)) return 0;
    size_t len;
    int missing;
    char *buf = read_small(path, &len, &missing, err, sizeof err);
    if (!buf) {
        if (missing) return 0;
        msg_fail(warn, warnlen, "%s; settings ignored", err);
        return 1;
    }
    SceneSpec tsp;
    FigOptions to = *o;
    WinSettings tw = win ? *win : win_settings_default();
    int r = spec_copy_fields(&tsp, sp);
    if (r) msg_fail(err, sizeof err, "%s: out of memory", path);
    else r = scenefile_parse(&tsp, &to, &tw, buf, len, path, err, sizeof err);
    free(buf);
    if (r) {
        scene_spec_free(&tsp);
        msg_fail(warn, warnlen, "%s; settings ignored", err);
        return 1;
    }
    spec_take_fields(sp, &tsp);
    scene_spec_free(&tsp);
    *o = to;
    if (win) *win = tw;
    return 0;
}

int settings_save(const SceneSpec *sp, const FigOptions *o, const WinSettings *win, char *err,
                  size_t errlen)
{
    char path[4096];
    if (settings_path(path, sizeof path))
        return msg_fail(err, errlen, "no settings folder: neither XDG_CONFIG_HOME nor HOME is set");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        if (file_make_dirs(dir, err, errlen)) return -1;
    }
    return write_file(sp, o, win, path, err, errlen);
}
