#define _DEFAULT_SOURCE
/* bench.c: `make bench`. Times the engine's forward pass with every intermediate kept and
 * the export of an 8-head grid, each case in its own process so its peak memory is its own.
 * Prints one line per case: "bench: NAME median_ms=... peak_mb=...". */
#include "../src/app/app.h"
#include "../src/app/compute.h"
#include "../src/audio/audio.h"
#include "../src/audio/audscene.h"
#include "../src/app/export.h"
#include "../src/draw/ui.h"
#include "../src/engine/attn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* n tokens drawn from a small vocabulary, as typed text would repeat words */
static const char **make_tokens(int n)
{
    static const char *vocab[] = {"the", "cat", "sat", "on", "a", "mat", "I", "saw", "自", "力", ".", ","};
    const char **t = malloc(sizeof *t * (size_t)n);
    for (int i = 0; i < n; i++) t[i] = vocab[(i * 7 + i / 3) % 12];
    return t;
}

static double bench_forward(int n, int heads, int d_model, int d_head, int runs)
{
    AttnScene s = attn_scene_default();
    const char **toks = make_tokens(n);
    s.n = n;
    s.tokens = toks;
    s.heads = heads;
    s.d_model = d_model;
    s.d_head = d_head;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    char err[256];
    double *ms = malloc(sizeof *ms * (size_t)runs);
    if (attn_forward(&t, &s, err, sizeof err)) { fprintf(stderr, "%s\n", err); exit(1); }
    for (int r = 0; r < runs; r++) {
        double t0 = now_ms();
        attn_forward(&t, &s, err, sizeof err);
        ms[r] = now_ms() - t0;
    }
    double m = median(ms, runs);
    free(ms);
    attn_trace_free(&t);
    free(toks);
    return m;
}

static double bench_export(int runs)
{
    AttnScene s = attn_scene_default();
    const char **toks = make_tokens(12);
    s.n = 12;
    s.tokens = toks;
    s.heads = 8;
    s.d_model = 64;
    s.d_head = 8;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    char err[256];
    if (attn_forward(&t, &s, err, sizeof err)) { fprintf(stderr, "%s\n", err); exit(1); }
    RenFonts *fonts = ren_fonts_open(err, sizeof err);
    if (!fonts) { fprintf(stderr, "%s\n", err); exit(1); }
    FigOptions o = fig_options_default();
    o.view = FIG_HEADS;
    char path[64];
    snprintf(path, sizeof path, "/tmp/attnlab-bench-%d.png", (int)getpid());
    double *ms = malloc(sizeof *ms * (size_t)runs);
    for (int r = 0; r < runs; r++) {
        double t0 = now_ms();
        if (export_png(path, &t, &o, 2.0f, fonts, NULL, NULL, err, sizeof err)) { fprintf(stderr, "%s\n", err); exit(1); }
        ms[r] = now_ms() - t0;
    }
    unlink(path);
    double m = median(ms, runs);
    free(ms);
    ren_fonts_close(fonts);
    attn_trace_free(&t);
    free(toks);
    return m;
}

/* A 1280 x 800 window on SDL's dummy driver with the software renderer, as the window
 * draws on a machine without a GPU. */
typedef struct {
    RenFonts *fonts;
    SDL_Window *win;
    SDL_Renderer *r;
    Ren *ren;
} Bench;

static Bench bench_open(void)
{
    Bench b;
    char err[256];
    setenv("SDL_VIDEODRIVER", "dummy", 0);
    if (SDL_Init(SDL_INIT_VIDEO) != 0) { fprintf(stderr, "%s\n", SDL_GetError()); exit(1); }
    b.fonts = ren_fonts_open(err, sizeof err);
    if (!b.fonts) { fprintf(stderr, "%s\n", err); exit(1); }
    b.win = SDL_CreateWindow("attnlab bench", 0, 0, 1280, 800, 0);
    b.r = b.win ? SDL_CreateRenderer(b.win, -1, SDL_RENDERER_SOFTWARE) : NULL;
    if (!b.r) { fprintf(stderr, "%s\n", SDL_GetError()); exit(1); }
    b.ren = ren_create(b.r, b.fonts, 1.0f);
    return b;
}

static void bench_close(Bench *b)
{
    ren_destroy(b->ren);
    SDL_DestroyRenderer(b->r);
    SDL_DestroyWindow(b->win);
    ren_fonts_close(b->fonts);
    SDL_Quit();
}

/* From a keystroke to the finished frame in the window: the text changes (one character
 * typed, then removed), the engine recomputes, the step-through or a figure is drawn on the
 * software renderer, and the frame is presented. */
static double bench_window(int n, int heads, int d_model, int d_head, AppTab tab, int runs)
{
    char err[256];
    Bench b = bench_open();
    Ren *ren = b.ren;
    SDL_Renderer *r = b.r;
    static App app;
    static UiLayout lay;
    app_init(&app);
    const char **toks = make_tokens(n);
    size_t len = 0;
    for (int i = 0; i < n; i++) len += strlen(toks[i]) + 1;
    char *text = malloc(len + 1), *p = text;
    for (int i = 0; i < n; i++) p += sprintf(p, "%s%s", i ? " " : "", toks[i]);
    Action a;
    memset(&a, 0, sizeof a);
    a.kind = ACT_TEXT_SET;
    snprintf(a.text, sizeof a.text, "x");
    app_apply(&app, &a);
    scene_set(&app.spec, "text", text, err, sizeof err);
    app.spec.scene.heads = heads;
    app.spec.scene.d_model = d_model;
    app.spec.scene.d_head = d_head;
    app.tab = tab;
    app.cursor = (int)strlen(text);
    app.win.animate = 0;
    if (app_recompute(&app)) { fprintf(stderr, "%s\n", app.status); exit(1); }
    if (app.trace.n != n) { fprintf(stderr, "expected %d tokens, got %d\n", n, app.trace.n); exit(1); }
    double *ms = malloc(sizeof *ms * (size_t)runs);
    ui_draw(ren, &app, 1280, 800, &lay);
    SDL_RenderPresent(r);
    for (int k = 0; k < runs; k++) {
        memset(&a, 0, sizeof a);
        /* the same word typed and removed: n tokens all along, every number recomputed */
        a.kind = k % 2 ? ACT_TEXT_BACKSPACE : ACT_TEXT_INSERT;
        snprintf(a.text, sizeof a.text, "s");
        double t0 = now_ms();
        app_apply(&app, &a);
        ui_draw(ren, &app, 1280, 800, &lay);
        SDL_RenderPresent(r);
        ms[k] = now_ms() - t0;
    }
    double m = median(ms, runs);
    free(ms);
    free(text);
    free(toks);
    app_free(&app);
    bench_close(&b);
    return m;
}

/* A 64 x 64 picture, every pixel a token (N = 4096), one head of d_head 16: a change of
 * seed recomputes everything and the picture view is drawn again. */
static double split_compute_ms = -1, split_draw_ms = -1; /* the parts of a window case */

static double bench_picture(AppTab tab, int runs)
{
    char err[256];
    Bench b = bench_open();
    Ren *ren = b.ren;
    SDL_Renderer *r = b.r;
    static App app;
    static UiLayout lay;
    app_init(&app);
    scene_set(&app.spec, "image", "example:gradient", err, sizeof err);
    scene_set(&app.spec, "patch", "1", err, sizeof err);
    scene_set(&app.spec, "grid", "64", err, sizeof err);
    app.spec.scene.heads = 1;
    app.spec.scene.d_model = 16;
    app.spec.scene.d_head = 16;
    app.tab = tab;
    app.win.animate = 0;
    if (app_recompute(&app) || app.trace.n != 4096) { fprintf(stderr, "picture scene: %s\n", app.status); exit(1); }
    double *ms = malloc(sizeof *ms * (size_t)runs), *part = malloc(sizeof *part * 2 * (size_t)runs);
    ui_draw(ren, &app, 1280, 800, &lay);
    SDL_RenderPresent(r);
    for (int k = 0; k < runs; k++) {
        Action a;
        memset(&a, 0, sizeof a);
        a.kind = k % 2 ? ACT_FIELD_PREV : ACT_FIELD_NEXT;
        a.i = FIELD_SEED;
        double t0 = now_ms();
        app_apply(&app, &a);
        double t1 = now_ms();
        ui_draw(ren, &app, 1280, 800, &lay);
        SDL_RenderPresent(r);
        ms[k] = now_ms() - t0;
        part[k] = t1 - t0;
        part[runs + k] = ms[k] - part[k];
    }
    double m = median(ms, runs);
    split_compute_ms = median(part, runs);
    split_draw_ms = median(part + runs, runs);
    free(ms);
    free(part);
    app_free(&app);
    bench_close(&b);
    return m;
}

/* The window's thread while the worker computes the 64 x 64 picture pixel by pixel: the
 * seed changes (the scene goes to the worker), then the tab changes and the frame is drawn
 * with the last trace. Returns the median time of that input and frame; the trace that
 * arrives afterwards is checked to be the new one. */
static double bench_background(int runs)
{
    char err[256];
    Bench b = bench_open();
    static App app;
    static UiLayout lay;
    app_init(&app);
    app.compute = compute_start(NULL, NULL);
    if (!app.compute) { fprintf(stderr, "no worker thread\n"); exit(1); }
    scene_set(&app.spec, "image", "example:gradient", err, sizeof err);
    scene_set(&app.spec, "patch", "1", err, sizeof err);
    scene_set(&app.spec, "grid", "64", err, sizeof err);
    app.spec.scene.heads = 1;
    app.spec.scene.d_model = 16;
    app.spec.scene.d_head = 16;
    app.tab = TAB_PICTURE;
    app.win.animate = 0;
    app_recompute(&app);
    compute_wait(app.compute);
    app_poll_compute(&app);
    if (app.trace.n != 4096) { fprintf(stderr, "picture scene: %s\n", app.status); exit(1); }
    double *ms = malloc(sizeof *ms * (size_t)runs);
    for (int k = 0; k < runs; k++) {
        Action a;
        memset(&a, 0, sizeof a);
        a.kind = k % 2 ? ACT_FIELD_PREV : ACT_FIELD_NEXT;
        a.i = FIELD_SEED;
        app_apply(&app, &a);
        if (!app.computing) { fprintf(stderr, "the scene did not go to the worker\n"); exit(1); }
        double t0 = now_ms();
        memset(&a, 0, sizeof a);
        a.kind = ACT_TAB_SET;
        a.i = k % 2 ? TAB_PICTURE : TAB_CNN;
        app_apply(&app, &a);
        ui_draw(b.ren, &app, 1280, 800, &lay);
        SDL_RenderPresent(b.r);
        ms[k] = now_ms() - t0;
        compute_wait(app.compute);
        if (!app_poll_compute(&app) || app.computing || app.trace.seed != app.spec.scene.seed) {
            fprintf(stderr, "the worker's trace did not arrive\n");
            exit(1);
        }
    }
    double m = median(ms, runs);
    free(ms);
    app_free(&app);
    bench_close(&b);
    return m;
}

/* A 10 s sound (the synthesised speech, repeated) written as a WAV file, then read, framed
 * (25 ms every 10 ms: 998 frames) and attended with one head of d_head 16, with full
 * attention (window < 0) or a window of ±window frames. Returns the median time of the
 * whole: reading, framing, attention. */
static double bench_speech(int window, int runs)
{
    char err[300], path[256], mask[32];
    AudClip one, ten;
    if (aud_synth(&one, "speech", err, sizeof err)) { fprintf(stderr, "%s\n", err); exit(1); }
    ten.rate = one.rate;
    ten.n = one.rate * 10;
    ten.samples = malloc(sizeof(float) * (size_t)ten.n);
    for (int i = 0; i < ten.n; i++) ten.samples[i] = one.samples[i % one.n];
    snprintf(path, sizeof path, "/tmp/attnlab-bench-%d.wav", (int)getpid());
    if (aud_write_wav(&ten, path, err, sizeof err)) { fprintf(stderr, "%s\n", err); exit(1); }
    aud_clip_free(&one);
    aud_clip_free(&ten);
    SceneSpec sp;
    scene_spec_init(&sp);
    snprintf(mask, sizeof mask, window < 0 ? "none" : "window:%d", window);
    scene_set(&sp, "audio", path, err, sizeof err);
    scene_set(&sp, "mask", mask, err, sizeof err);
    scene_set(&sp, "heads", "1", err, sizeof err);
    scene_set(&sp, "d-model", "16", err, sizeof err);
    scene_set(&sp, "d-head", "16", err, sizeof err);
    AttnTrace t;
    memset(&t, 0, sizeof t);
    double *ms = malloc(sizeof *ms * (size_t)runs);
    for (int k = 0; k < runs; k++) {
        scene_picture_free(&sp); /* read and frame the sound every time */
        double t0 = now_ms();
        if (aud_scene_load(&sp, NULL, err, sizeof err) || attn_forward(&t, &sp.scene, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            exit(1);
        }
        ms[k] = now_ms() - t0;
        if (t.n != 998) { fprintf(stderr, "expected 998 frames, got %d\n", t.n); exit(1); }
    }
    double m = median(ms, runs);
    free(ms);
    attn_trace_free(&t);
    scene_spec_free(&sp);
    unlink(path);
    return m;
}

typedef struct {
    const char *name;
    int n, heads, d_model, d_head, runs; /* n == 0: the export case */
    int window;                          /* 0: engine only; else 1 + the AppTab drawn;
                                            for the speech cases (n == -3) the mask's
                                            window, -1 for full attention */
} Case;

int main(void)
{
    static const Case cases[] = {
        {"forward_n16_h8_d64", 16, 8, 64, 8, 201, 0},
        {"forward_n64_h8_d64", 64, 8, 64, 8, 101, 0},
        {"forward_n256_h8_d64", 256, 8, 64, 8, 51, 0},
        {"forward_n1024_h8_d64", 1024, 8, 64, 8, 15, 0},
        {"forward_n4096_h8_d64", 4096, 8, 64, 8, 5, 0},
        {"forward_n4096_h1_dhead16", 4096, 1, 64, 16, 9, 0},
        {"export_heads8_scale2", 0, 0, 0, 0, 9, 0},
        {"window_keystroke_n64_h8_d64_step", 64, 8, 64, 8, 41, 1 + TAB_STEP},
        {"window_keystroke_n64_h8_d64_weights", 64, 8, 64, 8, 41, 1 + TAB_WEIGHTS},
        {"window_keystroke_n64_h8_d64_overview", 64, 8, 64, 8, 41, 1 + TAB_OVERVIEW},
        {"window_keystroke_n512_h8_d64_weights", 512, 8, 64, 8, 21, 1 + TAB_WEIGHTS},
        {"window_keystroke_n512_h8_d64_step", 512, 8, 64, 8, 21, 1 + TAB_STEP},
        {"picture_pixels64x64_recompute_draw_picture", -1, 1, 16, 16, 9, 1 + TAB_PICTURE},
        {"picture_pixels64x64_recompute_draw_weights", -1, 1, 16, 16, 9, 1 + TAB_WEIGHTS},
        {"picture_pixels64x64_input_and_frame_while_computing", -2, 1, 16, 16, 9, 1},
        {"speech_10s_998frames_full", -3, 1, 16, 16, 9, -1},
        {"speech_10s_998frames_window10", -3, 1, 16, 16, 9, 10},
    };
    printf("# attnlab bench: median of several runs after one warm-up; %ld online cpus\n",
           sysconf(_SC_NPROCESSORS_ONLN));
    fflush(stdout);
    /* ATTNLAB_BENCH=TEXT runs only the cases whose names contain TEXT */
    const char *only = getenv("ATTNLAB_BENCH");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const Case *c = &cases[i];
        if (only && *only && !strstr(c->name, only)) continue;
        int fd[2];
        if (pipe(fd)) return 1;
        pid_t pid = fork();
        if (pid == 0) {
            close(fd[0]);
            double m = c->n == -3 ? bench_speech(c->window, c->runs)
                       : c->n == -2 ? bench_background(c->runs)
                       : c->n < 0 ? bench_picture((AppTab)(c->window - 1), c->runs)
                       : c->window ? bench_window(c->n, c->heads, c->d_model, c->d_head, (AppTab)(c->window - 1), c->runs)
                       : c->n ? bench_forward(c->n, c->heads, c->d_model, c->d_head, c->runs)
                              : bench_export(c->runs);
            double out[3] = {m, split_compute_ms, split_draw_ms};
            if (write(fd[1], out, sizeof out) != sizeof out) _exit(1);
            _exit(0);
        }
        close(fd[1]);
        double in[3] = {-1, -1, -1};
        ssize_t got = read(fd[0], in, sizeof in);
        double m = in[0];
        close(fd[0]);
        int status;
        struct rusage ru;
        wait4(pid, &status, 0, &ru);
        if (got != sizeof in || !WIFEXITED(status) || WEXITSTATUS(status)) {
            printf("bench: %s failed\n", c->name);
            fflush(stdout);
            continue;
        }
        if (in[1] >= 0)
            printf("bench: %s median_ms=%.3f peak_mb=%.1f (compute %.1f, draw %.1f)\n", c->name, m, ru.ru_maxrss / 1024.0,
                   in[1], in[2]);
        else
            printf("bench: %s median_ms=%.3f peak_mb=%.1f\n", c->name, m, ru.ru_maxrss / 1024.0);
        fflush(stdout);
    }
    return 0;
}
