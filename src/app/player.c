/* player.c: lessons driving the App. A step's scene is the default scene with every scene
 * block up to that step applied in order (a "reset = yes" starts again from the default);
 * lesson keys choose the tab, query, computation step and highlighted cells. Checking runs
 * the same application on a scratch scene, so `attnlab check` and the window agree. */
#define _DEFAULT_SOURCE /* realpath */
#include "player.h"
#include "../engine/msg.h"
#include "app.h"
#include "outfile.h"
#include "../audio/audscene.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void player_init(Player *p)
{
    memset(p, 0, sizeof *p);
}

static void free_files(Player *p)
{
    for (int i = 0; i < p->n_files; i++) {
        free(p->files[i]);
        free(p->titles[i]);
    }
    p->n_files = 0;
}

void player_free(Player *p)
{
    if (p->loaded) lesson_free(&p->lesson);
    free_files(p);
    memset(p, 0, sizeof *p);
}

/* ---------------------------------------------------------------- finding lessons */

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int player_lessons_dir(char *out, size_t len)
{
    const char *env = getenv("ATTNLAB_LESSONS");
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return is_dir(out) ? 0 : -1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            /* build/attnlab -> lessons/ beside build/; PREFIX/bin/attnlab -> PREFIX/share/attnlab/lessons */
            snprintf(out, len, "%s/../lessons", exe);
            if (is_dir(out)) return 0;
            snprintf(out, len, "%s/../share/attnlab/lessons", exe);
            if (is_dir(out)) return 0;
        }
    }
    snprintf(out, len, "lessons");
    return is_dir(out) ? 0 : -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static long long file_mtime(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

static char *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    /* a lesson's every message has a place, the size limit's included */
    if (stat(path, &st) == 0 && st.st_size > LESSON_MAX_BYTES) {
        msg_fail(err, errlen, "%s:1:1: larger than the limit of %d MB", path, LESSON_MAX_BYTES >> 20);
        return NULL;
    }
    return file_read(path, LESSON_MAX_BYTES, len, NULL, err, errlen);
}

void player_scan(Player *p, const char *dir)
{
    free_files(p);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) && p->n_files < PLAYER_MAX_LESSONS) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 3, ".md") != 0 || strcmp(e->d_name, "README.md") == 0) continue;
        char *path = malloc(strlen(dir) + l + 2);
        if (!path) break;
        sprintf(path, "%s/%s", dir, e->d_name);
        p->files[p->n_files++] = path;
    }
    closedir(d);
    qsort(p->files, (size_t)p->n_files, sizeof p->files[0], cmp_str);
    for (int i = 0; i < p->n_files; i++) {
        Lesson l;
        char err[64];
        size_t len;
        char *text = read_all(p->files[i], &len, err, sizeof err);
        const char *base = strrchr(p->files[i], '/');
        base = base ? base + 1 : p->files[i];
        if (text && lesson_parse(&l, text, len, p->files[i], err, sizeof err) == 0) {
            size_t tl = strlen(l.title) + 1;
            p->titles[i] = malloc(tl);
            if (p->titles[i]) memcpy(p->titles[i], l.title, tl);
            p->steps[i] = l.n_steps;
            lesson_free(&l);
        } else {
            size_t bl = strlen(base) + 32;
            p->titles[i] = malloc(bl);
            if (p->titles[i]) snprintf(p->titles[i], bl, "%s (does not open)", base);
            p->steps[i] = 0;
        }
        free(text);
    }
}

/* ---------------------------------------------------------------- applying steps */

/* What a sequence of scene blocks sets, besides the scene itself. */
typedef struct {
    int tab;        /* -1: unchanged */
    int query;      /* 1-based, 0: unchanged */
    int step;       /* 1-based, 0: unchanged */
    int n_highlight;
    int highlight[PLAYER_MAX_HIGHLIGHT][2];
} Extra;

static int is_scene_key(const char *k)
{
    for (int i = 0; scene_keys[i]; i++)
        if (strcmp(scene_keys[i], k) == 0) return 1;
    return 0;
}

/* A file named in a lesson must lie inside the lesson's folder and exist. */
static int check_file(const char *dir, const char *file, char *msg, size_t msglen)
{
    if (file[0] == '/') return msg_fail(msg, msglen, "'%s' is outside the lesson's folder (name files relative to the lesson)", file);
    char full[PATH_MAX + 1100], rdir[PATH_MAX], rfile[PATH_MAX];
    snprintf(full, sizeof full, "%s/%s", dir, file);
    if (!realpath(dir, rdir)) return msg_fail(msg, msglen, "cannot resolve the lesson's folder %s", dir);
    if (!realpath(full, rfile)) return msg_fail(msg, msglen, "'%s' does not exist (looked for %s)", file, full);
    size_t dl = strlen(rdir);
    if (strncmp(rfile, rdir, dl) != 0 || rfile[dl] != '/')
        return msg_fail(msg, msglen, "'%s' is outside the lesson's folder", file);
    return 0;
}

/* The file a scene value names, if any: weights FILE, vectors FILE, image FILE, audio
 * FILE, graph FILE, a cross pair FILE, mask graph:/custom:FILE. */
static const char *named_file(const char *key, const char *v)
{
    if (strcmp(key, "weights") == 0)
        return strcmp(v, "random") && strcmp(v, "identity") && strcmp(v, "picture") ? v : NULL;
    if (strcmp(key, "image") == 0 || strcmp(key, "audio") == 0 || strcmp(key, "graph") == 0)
        return strncmp(v, "example:", 8) && strcmp(v, "none") ? v : NULL;
    if (strcmp(key, "cross") == 0) return strchr(v, '/') || strchr(v, '.') ? v : NULL;
    if (strcmp(key, "vectors") == 0) return strcmp(v, "hash") ? v : NULL;
    if (strcmp(key, "mask") == 0) {
        if (strncmp(v, "graph:", 6) == 0) return v + 6;
        if (strncmp(v, "custom:", 7) == 0) return v + 7;
    }
    return NULL;
}

/* Applies one key of a scene block. msg gets a message without the location. */
static int apply_kv(SceneSpec *sp, FigOptions *o, Extra *x, const char *dir, const LessonKV *kv,
                    char *msg, size_t msglen)
{
    const char *k = kv->key, *v = kv->value;
    if (is_scene_key(k)) {
        const char *file = named_file(k, v);
        if (file && check_file(dir, file, msg, msglen)) return -1;
        return scene_set(sp, k, v, msg, msglen);
    }
    /* "query" is a lesson key (the window's query token) before it is a figure option */
    int r = strcmp(k, "query") == 0 ? 1 : fig_set(o, k, v, msg, msglen);
    if (r <= 0) return r;
    if (strcmp(k, "tab") == 0) {
        for (int t = 0; t < TAB_COUNT; t++)
            if (strcmp(app_tab_name((AppTab)t), v) == 0) { x->tab = t; return 0; }
        char names[400] = "";
        for (int t = 0; t < TAB_COUNT; t++) {
            strncat(names, app_tab_name((AppTab)t), sizeof names - strlen(names) - 2);
            if (t + 1 < TAB_COUNT) strncat(names, "|", sizeof names - strlen(names) - 1);
        }
        return msg_fail(msg, msglen, "tab: unknown tab '%s' (allowed: %s)", v, names);
    }
    if (strcmp(k, "query") == 0 || strcmp(k, "step") == 0) {
        char *end;
        long q = strtol(v, &end, 10);
        int is_step = k[0] == 's';
        if (end == v || *end || q < 1 || (is_step && q > STEP_COUNT))
            return msg_fail(msg, msglen, is_step ? "step: '%s' is not a step 1..10" : "query: '%s' is not a token number from 1", v);
        if (is_step) x->step = (int)q;
        else {
            x->query = (int)q;
            o->query = (int)q - 1;
        }
        return 0;
    }
    if (strcmp(k, "highlight") == 0) {
        x->n_highlight = 0;
        if (strcmp(v, "none") == 0) return 0;
        const char *p = v;
        while (*p) {
            while (*p == ' ') p++;
            if (!*p) break;
            int r0, c0, used;
            if (sscanf(p, "%d,%d%n", &r0, &c0, &used) != 2 || r0 < 1 || c0 < 1)
                return msg_fail(msg, msglen, "highlight: expected ROW,COL pairs from 1, as in 2,3 2,4");
            if (x->n_highlight >= PLAYER_MAX_HIGHLIGHT)
                return msg_fail(msg, msglen, "highlight: more than %d cells", PLAYER_MAX_HIGHLIGHT);
            x->highlight[x->n_highlight][0] = r0 - 1;
            x->highlight[x->n_highlight][1] = c0 - 1;
            x->n_highlight++;
            p += used;
        }
        return 0;
    }
    if (strcmp(k, "reset") == 0) {
        if (strcmp(v, "yes") && strcmp(v, "no")) return msg_fail(msg, msglen, "reset: unknown value '%s' (allowed: yes|no)", v);
        return 0;
    }
    return msg_fail(msg, msglen, "unknown key '%s' (see lessons/README.md)", k);
}

/* Applies the scene blocks of steps 0..upto (and the reveal block of step `upto` when
 * revealed) to a default scene. On failure: -1 with "NAME:LINE:COLUMN: message". */
static int build_scene(const Lesson *l, int upto, int revealed, const char *dir, const char *name,
                       SceneSpec *sp, FigOptions *o, Extra *x, char *err, size_t errlen)
{
    char msg[500];
    x->tab = -1;
    x->query = x->step = 0;
    x->n_highlight = 0;
    for (int s = 0; s <= upto && s < l->n_steps; s++) {
        const LessonStep *st = &l->steps[s];
        for (int pass = 0; pass < 2; pass++) {
            int n = pass ? st->n_reveal : st->n_scene;
            const LessonKV *kvs = pass ? st->reveal : st->scene;
            if (pass && !(revealed && s == upto)) break;
            for (int i = 0; i < n; i++) {
                if (strcmp(kvs[i].key, "reset") == 0 && strcmp(kvs[i].value, "yes") == 0) {
                    int dark = o->dark;
                    scene_spec_free(sp);
                    scene_spec_init(sp);
                    *o = fig_options_default();
                    o->dark = dark;
                    x->tab = -1;
                    x->query = x->step = x->n_highlight = 0;
                }
                if (apply_kv(sp, o, x, dir, &kvs[i], msg, sizeof msg))
                    return msg_fail(err, errlen, "%s:%d:%d: %s", name, kvs[i].line, kvs[i].col_value, msg);
            }
        }
        /* highlights belong to the step that names them */
        if (s < upto) x->n_highlight = 0;
    }
    return 0;
}

int player_check(const Lesson *l, const char *dir, const char *name, char *err, size_t errlen)
{
    char msg[600];
    for (int s = 0; s < l->n_steps; s++) {
        const LessonStep *st = &l->steps[s];
        for (int revealed = 0; revealed <= (st->n_reveal > 0); revealed++) {
            SceneSpec sp;
            FigOptions o = fig_options_default();
            Extra x;
            scene_spec_init(&sp);
            int r = build_scene(l, s, revealed, dir, name, &sp, &o, &x, err, errlen);
            if (!r && aud_scene_load(&sp, dir, msg, sizeof msg))
                r = msg_fail(err, errlen, "%s:%d:1: step \"%s\": %s", name, st->line, st->title, msg);
            int n = sp.scene.n;
            if (!r && x.query > n)
                r = msg_fail(err, errlen, "%s:%d:1: step \"%s\": query %d is beyond the %d tokens", name, st->line, st->title, x.query, n);
            if (!r && o.head >= sp.scene.heads)
                r = msg_fail(err, errlen, "%s:%d:1: step \"%s\": head %d is beyond the %d heads", name, st->line, st->title, o.head + 1, sp.scene.heads);
            for (int h = 0; !r && h < x.n_highlight; h++)
                if (x.highlight[h][0] >= n || x.highlight[h][1] >= n)
                    r = msg_fail(err, errlen, "%s:%d:1: step \"%s\": highlight %d,%d is beyond the %d tokens", name, st->line,
                             st->title, x.highlight[h][0] + 1, x.highlight[h][1] + 1, n);
            scene_spec_free(&sp);
            if (r) return -1;
        }
        for (int i = 0; i < st->n_paras; i++) {
            const LessonPara *pa = &st->paras[i];
            if (pa->kind != LP_IMAGE) continue;
            if (check_file(dir, pa->image, msg, sizeof msg))
                return msg_fail(err, errlen, "%s:%d:%d: image %s", name, pa->line, pa->col, msg);
        }
    }
    return 0;
}

static void dir_of(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(out, len, "%.*s", (int)(slash - path), path);
    else snprintf(out, len, ".");
}

int player_load(Lesson *out, const char *path, char *err, size_t errlen)
{
    size_t len;
    char dir[1024];
    char *text = read_all(path, &len, err, errlen);
    if (!text) return -1;
    if (len > LESSON_MAX_BYTES) {
        free(text);
        return msg_fail(err, errlen, "%s:1:1: larger than the limit of %d MB", path, LESSON_MAX_BYTES >> 20);
    }
    Lesson l;
    int r = lesson_parse(&l, text, len, path, err, errlen);
    free(text);
    if (r) return -1;
    dir_of(path, dir, sizeof dir);
    if (player_check(&l, dir, path, err, errlen)) {
        lesson_free(&l);
        return -1;
    }
    *out = l;
    return 0;
}

/* ---------------------------------------------------------------- in the App */

static void show(Player *p, App *app, int step, int revealed)
{
    SceneSpec sp;
    FigOptions o = fig_options_default();
    Extra x;
    char err[700];
    o.dark = app->fig.dark;
    scene_spec_init(&sp);
    if (build_scene(&p->lesson, step, revealed, p->dir, p->path, &sp, &o, &x, err, sizeof err)) {
        /* checked when loaded, so only a file changed since can get here */
        scene_spec_free(&sp);
        snprintf(p->error, sizeof p->error, "%s", err);
        app_status(app, 1, "%s", err);
        return;
    }
    scene_spec_free(&app->spec);
    app->spec = sp;
    app->fig = o;
    snprintf(app->base_dir, sizeof app->base_dir, "%s", p->dir);
    app_drop_edits(app);
    app_recompute(app);
    if (x.tab >= 0) app->tab = (AppTab)x.tab;
    if (x.query > 0) app->query = x.query - 1 < app->trace.n ? x.query - 1 : app->trace.n - 1;
    if (x.step > 0) app->step = x.step - 1;
    app->step_changed_at = app->now;
    p->n_highlight = x.n_highlight;
    memcpy(p->highlight, x.highlight, sizeof x.highlight);
    app->cursor = (int)strlen(app->spec.text ? app->spec.text : "");
    app->dirty = 1;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void player_progress_from(Player *p, const char *progress)
{
    for (int i = 0; i < p->n_files; i++) {
        const char *name = base_name(p->files[i]);
        size_t nl = strlen(name);
        for (const char *q = progress; *q;) {
            if (strncmp(q, name, nl) == 0 && q[nl] == '=') p->progress[i] = atoi(q + nl + 1);
            const char *sp = strchr(q, ' ');
            if (!sp) break;
            q = sp + 1;
        }
    }
}

/* The furthest step of every lesson, as WinSettings keeps it. */
static void progress_to(const Player *p, char *out, size_t len)
{
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; i < p->n_files; i++) {
        if (p->progress[i] <= 0) continue;
        int n = snprintf(out + at, len - at, "%s=%d ", base_name(p->files[i]), p->progress[i]);
        if (n < 0 || (size_t)n >= len - at) {
            out[at] = 0;
            return;
        }
        at += (size_t)n;
    }
}

void player_show(Player *p, App *app, int step)
{
    if (!p->loaded) return;
    if (step < 0) step = 0;
    if (step >= p->lesson.n_steps) step = p->lesson.n_steps - 1;
    if (step != p->step) {
        p->answered = p->chosen = p->correct = p->typing = 0;
        p->typed[0] = 0;
        p->scroll = 0;
    }
    p->step = step;
    show(p, app, step, p->answered);
    for (int i = 0; i < p->n_files; i++)
        if (strcmp(p->files[i], p->path) == 0 && p->progress[i] < step + 1) p->progress[i] = step + 1;
    progress_to(p, app->win.progress, sizeof app->win.progress);
    snprintf(app->win.lesson, sizeof app->win.lesson, "%s", p->path);
    app->win.lesson_step = step + 1;
    if (!app->status_error)
        app_status(app, 0, "%s · step %d of %d", p->lesson.title, step + 1, p->lesson.n_steps);
}

int player_open(Player *p, App *app, const char *path, int step)
{
    Lesson l;
    char err[700];
    if (player_load(&l, path, err, sizeof err)) {
        snprintf(p->error, sizeof p->error, "%s", err);
        if (!p->loaded) {
            /* nothing open: remember the file, so that player_poll opens it once fixed */
            if (path != p->path) snprintf(p->path, sizeof p->path, "%s", path);
            dir_of(p->path, p->dir, sizeof p->dir);
            p->mtime = file_mtime(p->path);
            p->step = step;
        }
        app_status(app, 1, "%s", err);
        app->dirty = 1;
        return -1;
    }
    if (p->loaded) lesson_free(&p->lesson);
    p->lesson = l;
    p->loaded = 1;
    p->error[0] = 0;
    if (path != p->path) snprintf(p->path, sizeof p->path, "%s", path); /* player_poll passes p->path */
    dir_of(path, p->dir, sizeof p->dir);
    p->mtime = file_mtime(path);
    p->step = -1;
    p->menu = 0;
    app_status(app, 0, "");
    player_show(p, app, step);
    return 0;
}

void player_answer(Player *p, App *app, int choice)
{
    if (!p->loaded || p->step < 0) return;
    const LessonStep *st = &p->lesson.steps[p->step];
    if (!st->has_question) return;
    if (st->n_choices > 0) {
        if (choice < 1 || choice > st->n_choices) return;
        p->chosen = choice;
        p->correct = choice == st->answer;
    } else {
        char *end;
        double v = strtod(p->typed, &end);
        if (end == p->typed || *end || !isfinite(v)) {
            app_status(app, 1, "type a number, then press Enter");
            return;
        }
        p->chosen = 0;
        p->correct = fabs(v - st->number) <= st->tolerance;
    }
    p->answered = 1;
    p->typing = 0;
    if (st->n_reveal > 0) show(p, app, p->step, 1);
    app_status(app, 0, p->correct ? "right" : "not quite: read the explanation");
    app->dirty = 1;
}

int player_poll(Player *p, App *app)
{
    if (!p->path[0]) return 0;
    long long m = file_mtime(p->path);
    if (m < 0 || m == p->mtime) return 0;
    p->mtime = m;
    int step = p->step < 0 ? 0 : p->step;
    int answered = p->answered;
    if (player_open(p, app, p->path, step) == 0) {
        if (answered) player_answer(p, app, p->chosen);
        app_status(app, 0, "reloaded %s", p->path);
    }
    p->mtime = m;
    return 1;
}
