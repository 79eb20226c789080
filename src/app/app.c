/* app.c: the window's state changes: editing the text, stepping through one query's
 * computation, changing scene fields, poking inputs, weights and mask cells, zooming into
 * large matrices. Every change that touches the scene recomputes the trace at once. */
#include "app.h"
#include "compute.h"
#include "explain.h"
#include "outfile.h"
#include "../audio/audscene.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POKE_LIMIT 1000.0f /* poked values stay within +-this */

const char *const app_help_lines[] = {
    "Enter or click the text line   edit the sentence (Enter or Esc to stop)",
    "Right, Space, PageDown, .      next step (next tab outside the step-through)",
    "Left, Backspace, PageUp        previous step",
    "Up / Down or click a token     choose the query",
    "Tab / Shift+Tab, 1..9, 0       change tab",
    "H M K S X W P N T E I          heads, d_model, d_head, score, mask, window, positions,",
    "                               normalisation, temperature, seed, weights (Shift: back)",
    "V C O L G A                    head shown, colour map, orientation, theme, numbers,",
    "                               animation",
    "U Y                            a picture's patch size and grid (drop a picture first)",
    "Q D                            a sound's frame length and hop (drop a WAV file first)",
    "J F                            Transformer blocks stacked; the block shown",
    "drag a cell of a or W up/down  change that number (Shift: finely); click a mask cell",
    "                               to toggle it; R resets every edit",
    "mouse wheel / drag (right)     zoom / pan a large matrix; Z resets the zoom",
    "Ctrl+S / Ctrl+Shift+S          export the view under the mouse / every head as PNG",
    "F2, Home, click a step's mark  the lessons; this step's scene again; jump to a step",
    "F5                             save the scene to a file; drop a scene file or picture",
    "Ctrl+= Ctrl+- Ctrl+0           zoom text and cells;  F11 full screen;  B blank screen",
    "? or F1                        this help;  Esc closes it;  Ctrl+Q quits",
    NULL,
};

static const char *const tab_names[TAB_COUNT] = {
    "step-through", "overview", "inputs", "qkv", "scores", "scaled", "mask", "weights",
    "heads", "outputs", "positions", "params", "picture", "cnn", "block", "cross", "graph", "compare",
    "speech"};

const char *app_tab_name(AppTab t) { return t < TAB_COUNT ? tab_names[t] : "?"; }

FigView app_tab_view(AppTab t)
{
    switch (t) {
    case TAB_INPUTS: return FIG_INPUTS;
    case TAB_QKV: return FIG_QKV;
    case TAB_SCORES: return FIG_SCORES;
    case TAB_SCALED: return FIG_SCALED;
    case TAB_MASK: return FIG_MASK;
    case TAB_HEADS: return FIG_HEADS;
    case TAB_OUT: return FIG_OUT;
    case TAB_PE: return FIG_PE;
    case TAB_PARAMS: return FIG_PARAMS;
    case TAB_PICTURE: return FIG_PICTURE;
    case TAB_CNN: return FIG_CNN;
    case TAB_BLOCK: return FIG_BLOCK;
    case TAB_CROSS: return FIG_CROSS;
    case TAB_GRAPH: return FIG_GRAPH;
    case TAB_COMPARE: return FIG_COMPARE;
    case TAB_SPEECH: return FIG_SPEECH;
    default: return FIG_WEIGHTS;
    }
}

FigOptions app_figure(const App *app, FigView view)
{
    FigOptions o = app->fig;
    o.view = view;
    o.query = app->query;
    o.block = app->have_block ? &app->block : NULL;
    o.unmasked = app->have_unmasked ? &app->unmasked : NULL;
    o.cross = app->have_cross ? &app->cross : NULL;
    o.cross_src = app->cross_scene.src_words;
    o.cross_tgt = app->cross_scene.tgt_words;
    return o;
}

static const struct {
    const char *name, *key;
} fields[FIELD_COUNT] = {
    {"heads", "H"}, {"d_model", "M"}, {"d_head", "K"}, {"score", "S"}, {"mask", "X"},
    {"window/pad", "W"}, {"positions", "P"}, {"normalise", "N"}, {"temperature", "T"},
    {"seed", "E"}, {"weights", "I"}, {"head shown", "V"}, {"colour map", "C"},
    {"orientation", "O"}, {"theme", "L"}, {"numbers", "G"}, {"animation", "A"},
    {"patch", "U"}, {"grid", "Y"}, {"blocks", "J"}, {"block shown", "F"},
    {"frame", "Q"}, {"hop", "D"},
};

const char *app_field_name(AppField f) { return f < FIELD_COUNT ? fields[f].name : "?"; }
const char *app_field_key(AppField f) { return f < FIELD_COUNT ? fields[f].key : ""; }

void app_status(App *app, int error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->status, sizeof app->status, fmt, ap);
    va_end(ap);
    app->status_error = error;
    app->dirty = 1;
}

void app_field_value(const App *app, AppField f, char *out, size_t len)
{
    const AttnScene *s = &app->spec.scene;
    switch (f) {
    case FIELD_HEADS: snprintf(out, len, "%d", s->heads); break;
    case FIELD_D_MODEL: snprintf(out, len, "%d", s->d_model); break;
    case FIELD_D_HEAD: snprintf(out, len, "%d", s->d_head); break;
    case FIELD_SCORE: snprintf(out, len, "%s", attn_score_name(s->score)); break;
    case FIELD_MASK:
        if (app->mask_edit) snprintf(out, len, "custom (edited)");
        else if (s->mask == ATTN_MASK_WINDOW) snprintf(out, len, "window");
        else if (s->mask == ATTN_MASK_PADDING) snprintf(out, len, "padding");
        else attn_mask_spec(out, len, s->mask, s->mask_param);
        break;
    case FIELD_MASK_PARAM:
        if (s->mask == ATTN_MASK_WINDOW) snprintf(out, len, "±%d", s->mask_param);
        else if (s->mask == ATTN_MASK_PADDING) snprintf(out, len, "last %d", s->mask_param);
        else snprintf(out, len, "–");
        break;
    case FIELD_POSENC: snprintf(out, len, "%s", attn_posenc_name(s->posenc)); break;
    case FIELD_NORM: snprintf(out, len, "%s", attn_norm_name(s->norm)); break;
    case FIELD_TEMPERATURE: snprintf(out, len, "%g", (double)s->temperature); break;
    case FIELD_SEED: snprintf(out, len, "%llu", (unsigned long long)s->seed); break;
    case FIELD_WEIGHTS:
        snprintf(out, len, "%s%s", app->spec.weights_file ? "file" : attn_weights_name(s->weights),
                 app->par_edit ? " (edited)" : "");
        break;
    case FIELD_HEAD: snprintf(out, len, "%d of %d", app->fig.head + 1, s->heads); break;
    case FIELD_CMAP: fig_get(&app->fig, "cmap", out, len); break;
    case FIELD_ORIENT: snprintf(out, len, "%s", app->fig.transposed ? "KᵀQ (lecture)" : "QKᵀ (papers)"); break;
    case FIELD_THEME: fig_get(&app->fig, "theme", out, len); break;
    case FIELD_NUMBERS: fig_get(&app->fig, "numbers", out, len); break;
    case FIELD_ANIMATE: snprintf(out, len, "%s", app->win.animate ? "on" : "off"); break;
    case FIELD_PATCH:
        if (!app->spec.image) snprintf(out, len, "– (no picture)");
        else if (app->spec.patch == 1) snprintf(out, len, "1 (pixels)");
        else snprintf(out, len, "%d × %d", app->spec.patch, app->spec.patch);
        break;
    case FIELD_LAYERS: snprintf(out, len, app->spec.layers ? "%d" : "0 (attention alone)", app->spec.layers); break;
    case FIELD_LAYER: snprintf(out, len, app->spec.layers ? "%d of %d" : "–", app->fig.layer + 1, app->spec.layers); break;
    case FIELD_GRID:
        if (!app->spec.image) snprintf(out, len, "–");
        else snprintf(out, len, "%d × %d tokens", app->spec.grid_w, app->spec.grid_h);
        break;
    case FIELD_FRAME:
        if (!app->spec.audio) snprintf(out, len, "– (no sound)");
        else snprintf(out, len, "%g ms", (double)app->spec.win_ms);
        break;
    case FIELD_HOP:
        if (!app->spec.audio) snprintf(out, len, "–");
        else {
            /* the frames this hop gives the loaded sound, as aud_frames counts them */
            int rate = app->spec.wave_rate, fl = (int)lroundf(app->spec.win_ms * rate / 1000.0f);
            int hop = (int)lroundf(app->spec.hop_ms * rate / 1000.0f);
            int n = hop > 0 && app->spec.wave_n >= fl ? 1 + (app->spec.wave_n - fl) / hop : 0;
            snprintf(out, len, "%g ms (%d)", (double)app->spec.hop_ms, n); /* (frames) */
        }
        break;
    default: snprintf(out, len, "?"); break;
    }
}

/* ---------------------------------------------------------------- edits */

static void drop_vec_edit(App *app)
{
    free(app->vec_edit);
    app->vec_edit = NULL;
}

static void drop_par_edit(App *app)
{
    free(app->par_edit);
    app->par_edit = NULL;
}

static void drop_mask_edit(App *app)
{
    free(app->mask_edit);
    app->mask_edit = NULL;
}

void app_drop_edits(App *app)
{
    drop_vec_edit(app);
    drop_par_edit(app);
    drop_mask_edit(app);
}

/* The status line while the encoder-decoder tab decodes step by step. */
static void decode_status(App *app)
{
    int st = app->fig.decode_step;
    if (st < 0 || !app->have_cross) {
        app_status(app, 0, "every target step at once · Down decodes one step at a time");
        return;
    }
    const char *w = app->cross_scene.tgt_words ? app->cross_scene.tgt_words[st] : "";
    app_status(app, 0, "decoding step %d of %d (\"%s\"): its context built from its weights · Down: next, Up: back",
               st + 1, app->cross.n_tgt, w);
}

/* Settings that suit an input where the scene still has the text's defaults. A picture:
 * the picture preset (a colour head, a nearby head), 2-D positions, and room for the colour
 * and both halves of the 2-D encoding. A sound: similar spectra attend to each other
 * (identity weights, no positions, a sharper softmax) and a window of ±10 frames truncates
 * the attention. */
static void suit_picture(SceneSpec *sp)
{
    AttnScene *s = &sp->scene;
    if (s->weights == ATTN_WEIGHTS_RANDOM && !sp->weights_file) s->weights = ATTN_WEIGHTS_PICTURE;
    if (s->posenc == ATTN_PE_SINUSOIDAL) s->posenc = ATTN_PE_2D;
    if (s->d_model < 16) s->d_model = 16;
    if (s->d_head < 8) s->d_head = 8;
}

static void suit_sound(SceneSpec *sp)
{
    AttnScene *s = &sp->scene;
    if (s->weights == ATTN_WEIGHTS_RANDOM && !sp->weights_file) s->weights = ATTN_WEIGHTS_IDENTITY;
    if (s->posenc == ATTN_PE_SINUSOIDAL || s->posenc == ATTN_PE_2D) s->posenc = ATTN_PE_NONE;
    if (s->mask == ATTN_MASK_NONE) {
        s->mask = ATTN_MASK_WINDOW;
        s->mask_param = 10;
    }
    if (s->d_model < 16) s->d_model = 16;
    if (s->d_head < 16) s->d_head = 16;
    if (s->temperature == 1.0f) s->temperature = 0.15f;
}

/* A picture, sound or graph file (dropped on the window) becomes the input: key is "image",
 * "audio" or "graph", suit (may be NULL) adjusts the settings, and the tab shows it. One
 * that cannot be read leaves the scene as it was, with the reason on the status line.
 * Returns 0 when the input changed. */
static int open_input(App *app, const char *key, const char *path, void (*suit)(SceneSpec *), AppTab tab)
{
    SceneSpec *sp = &app->spec;
    AttnScene keep = sp->scene;
    /* the inputs replace each other (and a graph its mask file): hold the old ones aside */
    char *old_image = sp->image, *old_audio = sp->audio, *old_graph = sp->graph, err[sizeof app->status];
    char *old_mask = sp->mask_file ? strdup(sp->mask_file) : NULL;
    sp->image = sp->audio = sp->graph = NULL;
    int ok = scene_set(sp, key, path, err, sizeof err) == 0;
    if (ok) {
        if (suit) suit(sp);
        app_drop_edits(app);
        ok = app_recompute(app) == 0;
        if (!ok) memcpy(err, app->status, sizeof err);
    }
    if (ok) {
        free(old_image);
        free(old_audio);
        free(old_graph);
        free(old_mask);
        app->tab = tab;
        app->query = 0;
        app->lesson_on = 0;
        return 0;
    }
    free(sp->image);
    free(sp->audio);
    free(sp->graph);
    free(sp->mask_file);
    sp->image = old_image;
    sp->audio = old_audio;
    sp->graph = old_graph;
    sp->mask_file = old_mask;
    sp->scene = keep;
    app_recompute(app);
    app_status(app, 1, "%s", err);
    return -1;
}

/* A new trace is in place: keep the query and head inside it. */
static void trace_arrived(App *app)
{
    app->have_trace = 1;
    app->revision++;
    app->dirty = 1;
    if (app->query >= app->trace.n) app->query = app->trace.n - 1;
    if (app->fig.head >= app->trace.heads) app->fig.head = app->trace.heads - 1;
}

int app_recompute(App *app)
{
    char err[600];
    int r = aud_scene_load(&app->spec, app->base_dir[0] ? app->base_dir : NULL, err, sizeof err);
    if (r) {
        app_status(app, 1, "%s%s", err, app->have_trace ? " · showing the last scene that worked" : "");
        return -1;
    }
    AttnScene *s = &app->spec.scene;
    const char *dropped = NULL;
    if (app->vec_edit && (app->vec_n != s->n || app->vec_d != s->d_model)) {
        drop_vec_edit(app);
        dropped = "the input vectors you changed were reset (the tokens or d_model changed)";
    }
    if (app->vec_edit) s->vectors = app->vec_edit;
    if (app->par_edit && (app->par_h != s->heads || app->par_dm != s->d_model || app->par_dh != s->d_head)) {
        drop_par_edit(app);
        dropped = "the weights you changed were reset (heads, d_model or d_head changed)";
    }
    if (app->par_edit) {
        size_t blk = (size_t)s->heads * s->d_model * s->d_head;
        s->params.wq = app->par_edit;
        s->params.wk = app->par_edit + blk;
        s->params.wv = app->par_edit + 2 * blk;
        s->params.wo = app->par_edit + 3 * blk;
    }
    if (app->mask_edit && app->mask_n != s->n) {
        drop_mask_edit(app);
        dropped = "the mask you edited was reset (the number of tokens changed)";
    }
    AttnMaskKind own_mask = s->mask;
    const unsigned char *own_matrix = s->mask_matrix;
    if (app->mask_edit) {
        s->mask = ATTN_MASK_CUSTOM;
        s->mask_matrix = app->mask_edit;
    }
    if (attn_check(s, err, sizeof err)) {
        s->mask = own_mask;
        s->mask_matrix = own_matrix;
        app_status(app, 1, "%s · showing the last scene that worked", err);
        return -1;
    }
    /* the sentence pair is small and independent of the text: computed with every scene */
    char cerr[600];
    app->have_cross = scene_cross_load(&app->spec, app->base_dir[0] ? app->base_dir : NULL, &app->cross_scene, cerr,
                                       sizeof cerr) == 0 &&
                      cross_forward(&app->cross, &app->cross_scene, cerr, sizeof cerr) == 0;
    if (!app->have_cross && app->tab == TAB_CROSS) app_status(app, 1, "encoder-decoder attention: %s", cerr);
    unsigned ticket = ++app->ticket; /* a result still on its way for an older scene is dropped */
    long long cost = (long long)s->n * s->n * s->heads * (1 + app->spec.layers);
    if (app->compute && cost >= APP_BACKGROUND_CELLS) {
        int r2 = compute_submit(app->compute, s, app->spec.layers, app->spec.d_ff, ticket);
        s->mask = own_mask;
        s->mask_matrix = own_matrix;
        if (r2) {
            app_status(app, 1, "out of memory for %d tokens · showing the last scene that worked", s->n);
            return -1;
        }
        app->computing = 1;
        app->have_unmasked = 0;
        app->dirty = 1;
        if (dropped) app_status(app, 0, "%s", dropped);
        else app_status(app, 0, "computing %d tokens …", s->n);
        return 0;
    }
    app->computing = 0;
    int failed = attn_forward(&app->trace, s, err, sizeof err);
    app->have_block = 0;
    app->have_unmasked = !failed && s->mask != ATTN_MASK_NONE && s->n <= FIG_COMPARE_MAX_N &&
                         attn_forward_unmasked(&app->unmasked, s, cerr, sizeof cerr) == 0;
    if (!failed && app->spec.layers > 0) {
        /* the blocks start from the same scene: their first attention is this one */
        BlockScene bs = block_scene_default();
        bs.attn = *s;
        bs.layers = app->spec.layers;
        bs.d_ff = app->spec.d_ff;
        if (block_forward(&app->block, &bs, err, sizeof err) == 0) app->have_block = 1;
        else app_status(app, 1, "Transformer blocks: %s", err);
    }
    /* an edited mask is not the scene's own choice: the scene keeps its mask field */
    s->mask = own_mask;
    s->mask_matrix = own_matrix;
    if (failed) {
        app->have_trace = 0;
        app_status(app, 1, "%s", err);
        return -1;
    }
    trace_arrived(app);
    if (dropped) app_status(app, 0, "%s", dropped);
    else if (app->status_error) app_status(app, 0, "%d tokens", s->n);
    return 0;
}

int app_poll_compute(App *app)
{
    if (!app->compute) return 0;
    ComputeDone done;
    int have_block = app->have_block;
    if (!compute_take(app->compute, app->ticket, &app->trace, &app->block, &have_block, &done)) return 0;
    app->computing = 0;
    app->dirty = 1;
    if (done.failed) {
        app_status(app, 1, "%s%s", done.err, app->have_trace ? " · showing the last scene that worked" : "");
        return 1;
    }
    app->have_block = have_block;
    trace_arrived(app);
    if (done.block_failed) app_status(app, 1, "Transformer blocks: %s", done.err);
    else app_status(app, 0, "%d tokens · computed in %.0f ms", app->trace.n, done.ms);
    return 1;
}

void app_init(App *app)
{
    memset(app, 0, sizeof *app);
    scene_spec_init(&app->spec);
    app->fig = fig_options_default();
    app->win = win_settings_default();
    app->tab = TAB_STEP;
    player_init(&app->player);
    app->cursor = (int)strlen(app->spec.text);
    app->dirty = 1;
}

void app_free(App *app)
{
    player_free(&app->player);
    drop_vec_edit(app);
    drop_par_edit(app);
    drop_mask_edit(app);
    compute_stop(app->compute); /* before the traces it may be about to hand over */
    app->compute = NULL;
    attn_trace_free(&app->trace);
    block_trace_free(&app->block);
    cross_trace_free(&app->cross);
    attn_trace_free(&app->unmasked);
    scene_spec_free(&app->spec);
}

int app_open_scene(App *app, const char *path)
{
    SceneSpec sp;
    FigOptions o = app->fig;
    char err[600];
    scene_spec_init(&sp);
    if (scenefile_load(&sp, &o, path, err, sizeof err)) {
        scene_spec_free(&sp);
        app_status(app, 1, "%s", err);
        return -1;
    }
    /* try the new scene before letting go of the old one */
    SceneSpec old = app->spec;
    FigOptions old_fig = app->fig;
    char old_dir[sizeof app->base_dir];
    memcpy(old_dir, app->base_dir, sizeof old_dir);
    app->spec = sp;
    app->fig = o;
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(app->base_dir, sizeof app->base_dir, "%.*s", (int)(slash - path), path);
    else app->base_dir[0] = 0;
    float *ve = app->vec_edit, *pe = app->par_edit;
    unsigned char *me = app->mask_edit;
    app->vec_edit = NULL;
    app->par_edit = NULL;
    app->mask_edit = NULL;
    if (app_recompute(app)) {
        char keep[sizeof app->status];
        memcpy(keep, app->status, sizeof keep);
        scene_spec_free(&app->spec);
        app->spec = old;
        app->fig = old_fig;
        memcpy(app->base_dir, old_dir, sizeof old_dir);
        app->vec_edit = ve;
        app->par_edit = pe;
        app->mask_edit = me;
        app_recompute(app);
        app_status(app, 1, "%s", keep);
        return -1;
    }
    scene_spec_free(&old);
    free(ve);
    free(pe);
    free(me);
    app->cursor = (int)strlen(app->spec.text);
    app->query = 0;
    app->step = 0;
    app_status(app, 0, "opened %s", path);
    return 0;
}

int app_export_path(const char *stem, const char *ext, char *out, size_t len, char *err, size_t errlen)
{
    char dir[1024];
    const char *env = getenv("ATTNLAB_EXPORT_DIR"), *home = getenv("HOME");
    if (env && *env) snprintf(dir, sizeof dir, "%s", env);
    else snprintf(dir, sizeof dir, "%s/attnlab-exports", home && *home ? home : ".");
    if (file_make_dirs(dir, err, errlen)) return -1;
    for (int k = 1; k < 100000; k++) {
        snprintf(out, len, "%s/%s-%03d.%s", dir, stem, k, ext);
        if (!file_exists(out)) return 0;
    }
    snprintf(err, errlen, "%s: no free file name for %s", dir, stem);
    return -1;
}

/* ---------------------------------------------------------------- text */

static int utf8_prev(const char *s, int at)
{
    if (at <= 0) return 0;
    at--;
    while (at > 0 && ((unsigned char)s[at] & 0xC0) == 0x80) at--;
    return at;
}

static int utf8_next(const char *s, int at)
{
    int len = (int)strlen(s);
    if (at >= len) return len;
    at++;
    while (at < len && ((unsigned char)s[at] & 0xC0) == 0x80) at++;
    return at;
}

/* Replaces bytes [from, to) of the text with ins and recomputes. */
static void text_splice(App *app, int from, int to, const char *ins)
{
    const char *t = app->spec.text ? app->spec.text : "";
    size_t len = strlen(t), il = strlen(ins);
    if (len - (size_t)(to - from) + il > APP_TEXT_MAX) {
        app_status(app, 1, "the text is limited to %d bytes", APP_TEXT_MAX);
        return;
    }
    char *n = malloc(len - (size_t)(to - from) + il + 1);
    if (!n) return;
    memcpy(n, t, (size_t)from);
    memcpy(n + from, ins, il);
    memcpy(n + from + il, t + to, len - (size_t)to + 1);
    /* newlines and tabs typed or pasted become spaces: the text is one line */
    for (char *p = n; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
    char err[64];
    scene_set(&app->spec, "text", n, err, sizeof err);
    free(n);
    app->cursor = from + (int)il;
    app_recompute(app);
}

/* ---------------------------------------------------------------- fields */

static int step_in_list(const int *list, int n, int v, int dir)
{
    if (dir > 0) {
        for (int i = 0; i < n; i++)
            if (list[i] > v) return list[i];
        return list[n - 1];
    }
    for (int i = n - 1; i >= 0; i--)
        if (list[i] < v) return list[i];
    return list[0];
}

static int cycle(int v, int n, int dir) { return ((v + dir) % n + n) % n; }

static void change_field(App *app, AppField f, int dir)
{
    AttnScene *s = &app->spec.scene;
    static const int d_models[] = {2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256, 512};
    static const int d_heads[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128};
    static const float temps[] = {0.05f, 0.1f, 0.25f, 0.5f, 1.0f, 2.0f, 4.0f, 10.0f, 100.0f};
    int scene_changed = 1;
    switch (f) {
    case FIELD_HEADS: s->heads = s->heads + dir < 1 ? 1 : s->heads + dir > 16 ? 16 : s->heads + dir; break;
    case FIELD_D_MODEL: s->d_model = step_in_list(d_models, 15, s->d_model, dir); break;
    case FIELD_D_HEAD: s->d_head = step_in_list(d_heads, 12, s->d_head, dir); break;
    case FIELD_SCORE: s->score = (AttnScore)cycle((int)s->score, 3, dir); break;
    case FIELD_MASK: {
        /* none -> causal -> window -> padding; an edited or file mask leaves the cycle */
        static const AttnMaskKind order[] = {ATTN_MASK_NONE, ATTN_MASK_CAUSAL, ATTN_MASK_WINDOW, ATTN_MASK_PADDING};
        int at = 0;
        for (int i = 0; i < 4; i++) if (order[i] == s->mask) at = i;
        if (app->mask_edit || s->mask == ATTN_MASK_GRAPH || s->mask == ATTN_MASK_CUSTOM) at = dir > 0 ? 3 : 0;
        drop_mask_edit(app);
        s->mask = order[cycle(at, 4, dir)];
        if (s->mask == ATTN_MASK_WINDOW && s->mask_param == 0) s->mask_param = 1;
        if (s->mask == ATTN_MASK_PADDING && s->mask_param == 0) s->mask_param = 1;
        break;
    }
    case FIELD_MASK_PARAM:
        if (s->mask != ATTN_MASK_WINDOW && s->mask != ATTN_MASK_PADDING) {
            app_status(app, 0, "the window and padding sizes apply to those masks: press X to choose one");
            return;
        }
        s->mask_param += dir;
        if (s->mask_param < 0) s->mask_param = 0;
        if (s->mask == ATTN_MASK_PADDING && s->mask_param > s->n) s->mask_param = s->n;
        if (s->mask_param > ATTN_MAX_N) s->mask_param = ATTN_MAX_N;
        break;
    case FIELD_POSENC: s->posenc = (AttnPosenc)cycle((int)s->posenc, 3, dir); break;
    case FIELD_NORM: s->norm = (AttnNorm)cycle((int)s->norm, 2, dir); break;
    case FIELD_TEMPERATURE: {
        int at = 4;
        for (int i = 0; i < 9; i++) if (fabsf(temps[i] - s->temperature) < 1e-6f) at = i;
        at = at + dir < 0 ? 0 : at + dir > 8 ? 8 : at + dir;
        s->temperature = temps[at];
        break;
    }
    case FIELD_SEED:
        if (dir < 0 && s->seed == 0) return;
        s->seed += (uint64_t)(int64_t)dir;
        drop_par_edit(app);
        break;
    case FIELD_WEIGHTS:
        s->weights = s->weights == ATTN_WEIGHTS_RANDOM ? ATTN_WEIGHTS_IDENTITY : ATTN_WEIGHTS_RANDOM;
        drop_par_edit(app);
        free(app->spec.weights_file);
        app->spec.weights_file = NULL;
        break;
    case FIELD_HEAD: /* within the heads computed: the scene's may not have computed */
        app->fig.head = cycle(app->fig.head, app->have_trace ? app->trace.heads : s->heads, dir);
        scene_changed = 0;
        break;
    case FIELD_CMAP: app->fig.cmap = cycle(app->fig.cmap + 1, CMAP_COUNT + 1, dir) - 1; scene_changed = 0; break;
    case FIELD_ORIENT: app->fig.transposed = !app->fig.transposed; scene_changed = 0; break;
    case FIELD_THEME: app->fig.dark = !app->fig.dark; scene_changed = 0; break;
    case FIELD_NUMBERS: app->fig.numbers = (FigNumbers)cycle((int)app->fig.numbers, 3, dir); scene_changed = 0; break;
    case FIELD_ANIMATE: app->win.animate = !app->win.animate; scene_changed = 0; break;
    case FIELD_LAYERS:
        app->spec.layers = app->spec.layers + dir < 0 ? 0 : app->spec.layers + dir > 12 ? 12 : app->spec.layers + dir;
        if (app->fig.layer >= app->spec.layers) app->fig.layer = app->spec.layers > 0 ? app->spec.layers - 1 : 0;
        break;
    case FIELD_LAYER:
        if (app->spec.layers < 1) {
            app_status(app, 0, "no blocks yet: J stacks Transformer blocks after the attention");
            return;
        }
        app->fig.layer = cycle(app->fig.layer, app->spec.layers, dir);
        scene_changed = 0;
        break;
    case FIELD_PATCH:
    case FIELD_GRID: {
        static const int patches[] = {1, 2, 4, 8, 12, 16, 24, 32, 48, 64};
        static const int grids[] = {4, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64};
        if (!app->spec.image) {
            app_status(app, 0, "patch and grid apply to pictures: drop a picture on the window");
            return;
        }
        if (f == FIELD_PATCH) app->spec.patch = step_in_list(patches, 10, app->spec.patch, dir);
        else app->spec.grid = step_in_list(grids, 11, app->spec.grid, dir);
        app_drop_edits(app);
        if (app->query >= 0) app->query = 0;
        break;
    }
    case FIELD_FRAME:
    case FIELD_HOP: {
        static const float frames[] = {10, 15, 20, 25, 32, 40, 50, 64, 100};
        static const float hops[] = {2, 5, 8, 10, 12, 15, 20, 25, 32, 40, 50, 64, 100};
        if (!app->spec.audio) {
            app_status(app, 0, "frame and hop apply to sounds: drop a WAV file on the window");
            return;
        }
        const float *list = f == FIELD_FRAME ? frames : hops;
        int n = f == FIELD_FRAME ? 9 : 13, at = 0;
        float *slot = f == FIELD_FRAME ? &app->spec.win_ms : &app->spec.hop_ms;
        while (at + 1 < n && list[at] < *slot) at++;
        if (list[at] == *slot || dir < 0) at += dir;
        if (at < 0) at = 0;
        if (at >= n) at = n - 1;
        *slot = list[at];
        /* frames never leave gaps: the hop stays within the frame */
        if (app->spec.hop_ms > app->spec.win_ms) {
            if (f == FIELD_FRAME) app->spec.hop_ms = app->spec.win_ms;
            else app->spec.win_ms = app->spec.hop_ms;
        }
        app_drop_edits(app);
        break;
    }
    default: return;
    }
    char v[96];
    app_field_value(app, f, v, sizeof v);
    if (scene_changed) {
        int had = (app->vec_edit != NULL) | (app->par_edit != NULL) << 1 | (app->mask_edit != NULL) << 2;
        if (app_recompute(app) == 0) {
            int has = (app->vec_edit != NULL) | (app->par_edit != NULL) << 1 | (app->mask_edit != NULL) << 2;
            char dropped[sizeof app->status];
            /* keep app_recompute's word on the edits it dropped */
            snprintf(dropped, sizeof dropped, "%s", had & ~has ? app->status : "");
            app_status(app, 0, "%s: %s%s%s", app_field_name(f), v, dropped[0] ? " · " : "", dropped);
        }
    } else {
        app_status(app, 0, "%s: %s", app_field_name(f), v);
    }
    app->dirty = 1;
}

/* ---------------------------------------------------------------- pokes */

static void poke(App *app, const FigHit *hit, float amount)
{
    const AttnTrace *t = &app->trace;
    if (!app->have_trace) return;
    float *cell = NULL;
    if (hit->q == FQ_A || hit->q == FQ_X) {
        if (!app->vec_edit) {
            app->vec_edit = malloc(sizeof(float) * (size_t)t->n * t->d_model);
            if (!app->vec_edit) return;
            memcpy(app->vec_edit, t->a, sizeof(float) * (size_t)t->n * t->d_model);
            app->vec_n = t->n;
            app->vec_d = t->d_model;
        }
        cell = &app->vec_edit[(size_t)hit->row * t->d_model + hit->col];
    } else if (hit->q == FQ_WQ || hit->q == FQ_WK || hit->q == FQ_WV || hit->q == FQ_WO) {
        size_t blk = (size_t)t->heads * t->d_model * t->d_head, hsz = (size_t)t->d_model * t->d_head;
        if (!app->par_edit) {
            app->par_edit = malloc(sizeof(float) * (4 * blk));
            if (!app->par_edit) return;
            for (int h = 0; h < t->heads; h++) {
                memcpy(app->par_edit + h * hsz, t->head[h].wq, sizeof(float) * hsz);
                memcpy(app->par_edit + blk + h * hsz, t->head[h].wk, sizeof(float) * hsz);
                memcpy(app->par_edit + 2 * blk + h * hsz, t->head[h].wv, sizeof(float) * hsz);
            }
            memcpy(app->par_edit + 3 * blk, t->wo, sizeof(float) * blk);
            /* the shape of the trace the edit was copied from (the scene's may differ if
               its last recompute failed) */
            app->par_h = t->heads;
            app->par_dm = t->d_model;
            app->par_dh = t->d_head;
        }
        if (hit->q == FQ_WO) cell = app->par_edit + 3 * blk + (size_t)hit->row * t->d_model + hit->col;
        else {
            size_t which = hit->q == FQ_WQ ? 0 : hit->q == FQ_WK ? 1 : 2;
            cell = app->par_edit + which * blk + (size_t)hit->head * hsz + (size_t)hit->row * t->d_head + hit->col;
        }
    } else if (hit->q == FQ_PE) {
        app_status(app, 0, "e is computed from the position: change it with P (positions)");
        return;
    } else {
        app_status(app, 0, "this number is computed from others: change a, Wq, Wk, Wv or Wᴼ instead");
        return;
    }
    float v = *cell + amount;
    *cell = v > POKE_LIMIT ? POKE_LIMIT : v < -POKE_LIMIT ? -POKE_LIMIT : v;
    app_recompute(app);
    char buf[256];
    explain_num(buf, sizeof buf, *cell);
    app_status(app, 0, "changed to %s · R resets every edit", buf);
}

static void toggle_mask(App *app, const FigHit *hit)
{
    const AttnTrace *t = &app->trace;
    if (!app->have_trace) return;
    int n = t->n;
    if (!app->mask_edit) {
        app->mask_edit = malloc((size_t)n * n);
        if (!app->mask_edit) return;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) app->mask_edit[(size_t)i * n + j] = (unsigned char)attn_allowed(t, i, j);
        app->mask_n = n;
    }
    unsigned char *m = &app->mask_edit[(size_t)hit->row * n + hit->col];
    *m = !*m;
    app_recompute(app);
    app_status(app, 0, "query %d %s key %d · R resets every edit", hit->row + 1,
                *m ? "may now attend to" : "no longer sees", hit->col + 1);
}

/* ---------------------------------------------------------------- zoom and pan */

static void view_zoom(App *app, const FigHit *hit, float factor)
{
    int n = app->trace.n;
    if (n < 2) return;
    int qn = app->fig.qn ? app->fig.qn : n, kn = app->fig.kn ? app->fig.kn : n;
    int nq = (int)lroundf(qn / factor), nk = (int)lroundf(kn / factor);
    nq = nq < 2 ? 2 : nq > n ? n : nq;
    nk = nk < 2 ? 2 : nk > n ? n : nk;
    /* keep the cell under the mouse where it is */
    int cq = hit->row, ck = hit->q == FQ_SCORES || hit->q == FQ_SCALED || hit->q == FQ_WEIGHTS || hit->q == FQ_MASK ? hit->col : -1;
    int q0 = cq - (int)((float)(cq - app->fig.q0) * nq / qn);
    app->fig.q0 = q0 < 0 ? 0 : q0 + nq > n ? n - nq : q0;
    app->fig.qn = nq == n ? 0 : nq;
    if (ck >= 0) {
        int k0 = ck - (int)((float)(ck - app->fig.k0) * nk / kn);
        app->fig.k0 = k0 < 0 ? 0 : k0 + nk > n ? n - nk : k0;
        app->fig.kn = nk == n ? 0 : nk;
    }
    if (!app->fig.qn) app->fig.q0 = 0;
    if (!app->fig.kn) app->fig.k0 = 0;
    app->dirty = 1;
}

static void view_pan(App *app, int dq, int dk)
{
    int n = app->trace.n;
    if (app->fig.qn) {
        int q0 = app->fig.q0 + dq;
        app->fig.q0 = q0 < 0 ? 0 : q0 + app->fig.qn > n ? n - app->fig.qn : q0;
    }
    if (app->fig.kn) {
        int k0 = app->fig.k0 + dk;
        app->fig.k0 = k0 < 0 ? 0 : k0 + app->fig.kn > n ? n - app->fig.kn : k0;
    }
    app->dirty = 1;
}

/* ---------------------------------------------------------------- steps */

static void set_step(App *app, int step)
{
    if (step != app->step) app->step_changed_at = app->now;
    app->step = step;
    app->dirty = 1;
}

static void step_by(App *app, int dir)
{
    int n = app->have_trace ? app->trace.n : 1;
    if (app->tab != TAB_STEP) {
        app->tab = (AppTab)cycle((int)app->tab, TAB_COUNT, dir);
        app->dirty = 1;
        return;
    }
    int s = app->step + dir;
    if (s >= STEP_COUNT) {
        /* past the last step a clicker moves on to the next query */
        if (app->query + 1 < n) {
            app->query++;
            s = 0;
        } else {
            s = STEP_COUNT - 1;
            app_status(app, 0, "that was the last step of the last query");
        }
    } else if (s < 0) {
        if (app->query > 0) {
            app->query--;
            s = STEP_COUNT - 1;
        } else {
            s = 0;
        }
    }
    set_step(app, s);
}

static void sub(char *out, size_t len, int n) { explain_sub(out, len, n); }
static void sup(char *out, size_t len, int n) { explain_sup(out, len, n); }

void app_step_caption(const App *app, int step, char *title, size_t tlen, char *body, size_t blen)
{
    const AttnTrace *t = &app->trace;
    if (!app->have_trace) {
        snprintf(title, tlen, "no scene yet");
        snprintf(body, blen, "type a sentence in the text line");
        return;
    }
    int i = app->query, h = app->fig.head, n = t->n;
    const AttnHead *hd = &t->head[h];
    char si[16], ii[16], num[32], num2[32];
    sup(si, sizeof si, i + 1);
    sub(ii, sizeof ii, i + 1);
    const char *tok = t->tokens[i];
    /* the key with the largest weight */
    int best = 0;
    for (int j = 1; j < n; j++)
        if (hd->weights[(size_t)i * n + j] > hd->weights[(size_t)i * n + best]) best = j;
    char bj[16];
    sub(bj, sizeof bj, best + 1);
    switch (step) {
    case STEP_QUERY:
        snprintf(title, tlen, "1 · the query: q%s = x%s Wq", si, si);
        snprintf(body, blen, "Token %d (\"%s\") asks a question: its input x%s times Wq (%d × %d) gives q%s, "
                 "what token %d is looking for. Head %d of %d.", i + 1, tok, si, t->d_model, t->d_head, si, i + 1, h + 1, t->heads);
        break;
    case STEP_KEYS:
        snprintf(title, tlen, "2 · the keys: kʲ = xʲ Wk for every token j");
        snprintf(body, blen, "Every token, %d included, offers a key kʲ made with the same Wk: what it can be found by.", i + 1);
        break;
    case STEP_DOTS:
        if (t->score == ATTN_SCORE_ADDITIVE) {
            snprintf(title, tlen, "3 · scores: α%s,ⱼ = vᵃ·tanh([q%s; kʲ]Wᵃ)", ii, si);
            snprintf(body, blen, "Additive scoring joins q%s and each key, passes them through tanh and a linear map: one "
                     "number per key says how relevant it is.", si);
        } else {
            explain_num(num, sizeof num, hd->scores[(size_t)i * n + best]);
            snprintf(title, tlen, "3 · scores: α%s,ⱼ = q%s · kʲ", ii, si);
            snprintf(body, blen, "Multiply q%s and kʲ component by component and add: a large dot product means a good "
                     "match. Key %d (\"%s\") ends up with the largest weight; its score is α%s,%s = %s.",
                     si, best + 1, t->tokens[best], ii, bj + 0, num);
        }
        break;
    case STEP_SCALE:
        if (t->score == ATTN_SCORE_SCALED) {
            explain_num(num, sizeof num, sqrtf((float)t->d_head));
            snprintf(title, tlen, "4 · scaling: s%s,ⱼ = α%s,ⱼ / √%d", ii, ii, t->d_head);
            snprintf(body, blen, "Dot products grow with d_head; dividing by √%d = %s keeps softmax from saturating "
                     "into a one-hot row.", t->d_head, num);
        } else {
            snprintf(title, tlen, "4 · scaling: none here (s = α)");
            snprintf(body, blen, "This scene uses %s scores, which are not divided by √d_head. Press S to try scaled "
                     "ones and watch the weights soften.", attn_score_name(t->score));
        }
        break;
    case STEP_MASK: {
        int blocked = 0;
        for (int j = 0; j < n; j++) blocked += !attn_allowed(t, i, j);
        snprintf(title, tlen, "5 · the mask: masked scores become −∞");
        if (t->mask == ATTN_MASK_NONE && !app->mask_edit)
            snprintf(body, blen, "No mask: query %d may attend to all %d keys. Press X for a causal mask.", i + 1, n);
        else
            snprintf(body, blen, "%d of %d keys are hidden from query %d; their scores become −∞, so softmax gives "
                     "them exactly 0.", blocked, n, i + 1);
        break;
    }
    case STEP_SOFTMAX:
        explain_num(num, sizeof num, hd->max_weight[i]);
        explain_num(num2, sizeof num2, hd->entropy[i]);
        if (hd->empty_row[i]) {
            snprintf(title, tlen, "6 · normalise: no key left");
            snprintf(body, blen, "Every key is masked for query %d, so all weights are 0 and b%s is the zero vector.", i + 1, si);
        } else if (t->norm == ATTN_NORM_RELU) {
            snprintf(title, tlen, "6 · normalise: α′%s,ⱼ = ReLU(s%s,ⱼ) / Σ", ii, ii);
            snprintf(body, blen, "ReLU keeps positive scores, then each is divided by their sum. Largest weight %s "
                     "(key %d, \"%s\").", num, best + 1, t->tokens[best]);
        } else {
            snprintf(title, tlen, "6 · softmax: α′%s,ⱼ = exp(s%s,ⱼ) / Σₖ exp(s%s,ₖ)", ii, ii, ii);
            snprintf(body, blen, "The weights are positive and add up to 1. Query %d attends most to key %d (\"%s\"): "
                     "α′ = %s; the row's entropy is %s nats.", i + 1, best + 1, t->tokens[best], num, num2);
        }
        break;
    case STEP_VALUES:
        snprintf(title, tlen, "7 · the values: vʲ = xʲ Wv");
        snprintf(body, blen, "Each token also offers a value vʲ: what it passes on to whoever attends to it.");
        break;
    case STEP_SUM:
        explain_num(num, sizeof num, hd->weights[(size_t)i * n + best]);
        snprintf(title, tlen, "8 · the output: b%s = Σⱼ α′%s,ⱼ vʲ", si, ii);
        snprintf(body, blen, "Each value is scaled by its weight and the results are added. Key %d (\"%s\", weight %s) "
                 "pulls b%s toward its value the most.", best + 1, t->tokens[best], num, si);
        break;
    case STEP_MERGE:
        snprintf(title, tlen, "9 · heads merged: b%s = [b%s,¹ … b%s,%s] Wᴼ", si, si, si, t->heads > 1 ? "ᴴ" : "¹");
        snprintf(body, blen, "Each of the %d head%s did the same with its own Wq, Wk, Wv. Their outputs for token %d "
                 "side by side (%d numbers) times Wᴼ give b%s (%d numbers).", t->heads, t->heads == 1 ? "" : "s",
                 i + 1, t->heads * t->d_head, si, t->d_model);
        break;
    default:
        if (app->fig.transposed) {
            /* the lecture's layout: tokens are columns, so Q = Wq X and O = V A′ */
            snprintf(title, tlen, "10 · every query at once: A′ = softmax(KᵀQ), O = VA′");
            snprintf(body, blen, "The same steps for all %d queries are a few matrix products. With one column per "
                     "token: Q = WqX, K = WkX, V = WvX, the scores A = KᵀQ, softmax down each column, and O = VA′. "
                     "Only Wq, Wk, Wv (and Wᴼ) are learned; all outputs come out in parallel.", n);
        } else {
            snprintf(title, tlen, "10 · every query at once: A′ = softmax(QKᵀ), O = A′V");
            snprintf(body, blen, "The same steps for all %d queries are a few matrix products. With one row per token: "
                     "Q = XWq, K = XWk, V = XWv, the scores A = QKᵀ, softmax along each row, and O = A′V. Only Wq, "
                     "Wk, Wv (and Wᴼ) are learned; all outputs come out in parallel.", n);
        }
        break;
    }
}

/* ---------------------------------------------------------------- actions */

void app_apply(App *app, const Action *a)
{
    const char *text = app->spec.text ? app->spec.text : "";
    switch (a->kind) {
    case ACT_NONE: break;
    case ACT_QUIT: app->quit = 1; break;
    case ACT_EDIT_BEGIN:
        if (app->spec.image || app->spec.audio || app->spec.graph) {
            /* editing the sentence leaves the picture, sound or graph: the text is the input again */
            char err[64];
            const char *what = app->spec.image ? "picture" : app->spec.audio ? "sound" : "graph";
            if (app->spec.graph && app->spec.scene.mask == ATTN_MASK_GRAPH && !app->spec.mask_file)
                app->spec.scene.mask = ATTN_MASK_NONE;
            scene_set(&app->spec, "image", "none", err, sizeof err);
            scene_set(&app->spec, "audio", "none", err, sizeof err);
            scene_set(&app->spec, "graph", "none", err, sizeof err);
            app_drop_edits(app);
            app_recompute(app);
            if (app->tab == TAB_PICTURE || app->tab == TAB_CNN || app->tab == TAB_SPEECH) app->tab = TAB_WEIGHTS;
            app_status(app, 0, "back to the text: the %s is no longer the input", what);
        }
        app->editing = 1;
        app->cursor = (int)strlen(app->spec.text ? app->spec.text : "");
        app->dirty = 1;
        break;
    case ACT_EDIT_END:
        app->editing = 0;
        app->compose[0] = 0;
        app->dirty = 1;
        break;
    case ACT_TEXT_INSERT:
        app->compose[0] = 0;
        text_splice(app, app->cursor, app->cursor, a->text);
        break;
    case ACT_TEXT_COMPOSE:
        snprintf(app->compose, sizeof app->compose, "%s", a->text);
        app->dirty = 1;
        break;
    case ACT_TEXT_BACKSPACE:
        if (app->cursor > 0) text_splice(app, utf8_prev(text, app->cursor), app->cursor, "");
        break;
    case ACT_TEXT_DELETE:
        if (app->cursor < (int)strlen(text)) text_splice(app, app->cursor, utf8_next(text, app->cursor), "");
        break;
    case ACT_TEXT_LEFT: app->cursor = utf8_prev(text, app->cursor); app->dirty = 1; break;
    case ACT_TEXT_RIGHT: app->cursor = utf8_next(text, app->cursor); app->dirty = 1; break;
    case ACT_TEXT_HOME: app->cursor = 0; app->dirty = 1; break;
    case ACT_TEXT_END: app->cursor = (int)strlen(text); app->dirty = 1; break;
    case ACT_TEXT_SET: text_splice(app, 0, (int)strlen(text), a->text); break;
    case ACT_STEP_NEXT: step_by(app, 1); break;
    case ACT_STEP_PREV: step_by(app, -1); break;
    case ACT_STEP_SET:
        app->tab = TAB_STEP;
        set_step(app, a->i < 0 ? 0 : a->i >= STEP_COUNT ? STEP_COUNT - 1 : a->i);
        break;
    case ACT_QUERY_SET:
        if (app->have_trace && a->i >= 0 && a->i < app->trace.n) {
            app->query = a->i;
            app->dirty = 1;
        }
        break;
    case ACT_QUERY_NEXT:
        if (app->tab == TAB_CROSS) {
            /* the encoder-decoder tab decodes one target step further */
            if (app->have_cross && app->fig.decode_step + 1 < app->cross.n_tgt) app->fig.decode_step++;
            decode_status(app);
        } else if (app->have_trace && app->query + 1 < app->trace.n) {
            app->query++;
        }
        app->dirty = 1;
        break;
    case ACT_QUERY_PREV:
        if (app->tab == TAB_CROSS) {
            if (app->fig.decode_step >= 0) app->fig.decode_step--;
            decode_status(app);
        } else if (app->query > 0) {
            app->query--;
        }
        app->dirty = 1;
        break;
    case ACT_TAB_SET:
        if (a->i >= 0 && a->i < TAB_COUNT) app->tab = (AppTab)a->i;
        app->dirty = 1;
        break;
    case ACT_TAB_NEXT: app->tab = (AppTab)cycle((int)app->tab, TAB_COUNT, 1); app->dirty = 1; break;
    case ACT_TAB_PREV: app->tab = (AppTab)cycle((int)app->tab, TAB_COUNT, -1); app->dirty = 1; break;
    case ACT_FIELD_NEXT: change_field(app, (AppField)a->i, 1); break;
    case ACT_FIELD_PREV: change_field(app, (AppField)a->i, -1); break;
    case ACT_POKE: poke(app, &a->hit, a->f); break;
    case ACT_MASK_TOGGLE: toggle_mask(app, &a->hit); break;
    case ACT_RESET:
        drop_vec_edit(app);
        drop_par_edit(app);
        drop_mask_edit(app);
        app_recompute(app);
        app_status(app, 0, "every edit undone: back to the scene as set");
        break;
    case ACT_HOVER:
        app->hover_on = a->i;
        app->hover = a->hit;
        app->hover_x = a->x;
        app->hover_y = a->y;
        app->dirty = 1;
        break;
    case ACT_VIEW_ZOOM: view_zoom(app, &a->hit, a->f); break;
    case ACT_VIEW_PAN: view_pan(app, a->i, a->j); break;
    case ACT_VIEW_RESET:
        app->fig.q0 = app->fig.qn = app->fig.k0 = app->fig.kn = 0;
        app->dirty = 1;
        break;
    case ACT_HELP_TOGGLE: app->help = !app->help; app->dirty = 1; break;
    case ACT_ESCAPE:
        if (app->player.menu) app->player.menu = 0;
        else if (app->help) app->help = 0;
        else if (app->blank) app->blank = 0;
        else if (app->editing) app->editing = 0;
        else if (app->fig.qn || app->fig.kn) app->fig.q0 = app->fig.qn = app->fig.k0 = app->fig.kn = 0;
        app->dirty = 1;
        break;
    case ACT_BLANK_TOGGLE: app->blank = !app->blank; app->dirty = 1; break;
    case ACT_FULLSCREEN_TOGGLE: app->requests |= REQ_FULLSCREEN; break;
    case ACT_ZOOM_IN: app->win.zoom = fminf(app->win.zoom * 1.15f, 3.0f); app->dirty = 1; break;
    case ACT_ZOOM_OUT: app->win.zoom = fmaxf(app->win.zoom / 1.15f, 0.5f); app->dirty = 1; break;
    case ACT_ZOOM_RESET: app->win.zoom = 1.0f; app->dirty = 1; break;
    case ACT_EXPORT_VIEW: app->requests |= REQ_EXPORT_VIEW; break;
    case ACT_EXPORT_HEADS: app->requests |= REQ_EXPORT_HEADS; break;
    case ACT_SAVE_SCENE: {
        char path[1200], err[600];
        if (app_export_path("scene", "txt", path, sizeof path, err, sizeof err) ||
            scenefile_save(&app->spec, &app->fig, path, err, sizeof err))
            app_status(app, 1, "%s", err);
        else
            app_status(app, 0, "saved the scene to %s", path);
        break;
    }
    case ACT_OPEN_SCENE: {
        /* a picture, sound or graph dropped on the window becomes the input; anything else is
         * a scene file */
        const char *dot = strrchr(a->text, '.');
        static const char *const pics[] = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".PNG", ".JPG", ".JPEG", ".BMP", ".GIF"};
        int is_pic = 0;
        for (size_t k = 0; dot && k < sizeof pics / sizeof pics[0]; k++) is_pic |= strcmp(dot, pics[k]) == 0;
        if (is_pic) {
            if (open_input(app, "image", a->text, suit_picture, TAB_PICTURE) == 0)
                app_status(app, 0, "%s: %d patches · %s · click a patch to make it the query", a->text, app->spec.scene.n,
                           app->spec.picture_note);
        } else if (dot && (strcmp(dot, ".wav") == 0 || strcmp(dot, ".WAV") == 0)) {
            if (open_input(app, "audio", a->text, suit_sound, TAB_SPEECH) == 0)
                app_status(app, 0, "%s: %s · click a frame to make it the query", a->text, app->spec.picture_note);
        } else if (dot && strcmp(dot, ".graph") == 0) {
            if (open_input(app, "graph", a->text, NULL, TAB_GRAPH) == 0)
                app_status(app, 0, "%s: %d nodes, %d edges · click a node to make it the query", a->text,
                           app->spec.graph_in.n, app->spec.graph_in.n_edges);
        } else if (app_open_scene(app, a->text) == 0) {
            app->lesson_on = 0;
        }
        break;
    }
    case ACT_LESSON_NEXT:
    case ACT_LESSON_PREV:
        if (!app->lesson_on || !app->player.loaded) break;
        if (a->kind == ACT_LESSON_NEXT && app->player.step + 1 >= app->player.lesson.n_steps) {
            app_status(app, 0, "the end of \"%s\": F2 opens the next lesson", app->player.lesson.title);
            break;
        }
        player_show(&app->player, app, app->player.step + (a->kind == ACT_LESSON_NEXT ? 1 : -1));
        break;
    case ACT_LESSON_SET:
        if (app->lesson_on) player_show(&app->player, app, a->i);
        break;
    case ACT_LESSON_BACK:
        if (app->lesson_on && app->player.loaded) {
            player_show(&app->player, app, app->player.step);
            app_status(app, 0, "back to the lesson: the step's scene again");
        }
        break;
    case ACT_LESSON_MENU:
        app->player.menu = !app->player.menu;
        if (app->player.menu) {
            app->menu_sel = 0;
            for (int i = 0; i < app->player.n_files; i++)
                if (strcmp(app->player.files[i], app->player.path) == 0) app->menu_sel = i;
        }
        app->dirty = 1;
        break;
    case ACT_MENU_MOVE: {
        int n = app->player.n_files + 1; /* the lessons, then "no lesson" */
        app->menu_sel = ((app->menu_sel + a->i) % n + n) % n;
        app->dirty = 1;
        break;
    }
    case ACT_MENU_CHOOSE: {
        Action o;
        memset(&o, 0, sizeof o);
        o.kind = ACT_LESSON_OPEN;
        o.i = app->menu_sel < app->player.n_files ? app->menu_sel : -1;
        app_apply(app, &o);
        break;
    }
    case ACT_LESSON_OPEN:
        app->player.menu = 0;
        app->dirty = 1;
        if (a->i < 0 || a->i >= app->player.n_files) {
            app->lesson_on = 0;
            app->win.lesson[0] = 0;
            app_status(app, 0, "no lesson: explore freely (F2 opens the lessons)");
            break;
        } else {
            int step = app->player.progress[a->i] > 0 ? app->player.progress[a->i] - 1 : 0;
            if (player_open(&app->player, app, app->player.files[a->i], step) == 0) app->lesson_on = 1;
        }
        break;
    case ACT_ANSWER: {
        Player *p = &app->player;
        if (!app->lesson_on || !p->loaded || p->answered) break;
        player_answer(p, app, a->i);
        break;
    }
    case ACT_ANSWER_TYPE: {
        Player *p = &app->player;
        size_t l = strlen(p->typed);
        if (p->answered) break;
        p->typing = 1;
        for (const char *c = a->text; *c && l + 1 < sizeof p->typed; c++)
            if ((*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == 'e') p->typed[l++] = *c;
        p->typed[l] = 0;
        app->dirty = 1;
        break;
    }
    case ACT_NARRATION_SCROLL: {
        Player *p = &app->player;
        p->scroll = fminf(fmaxf(p->scroll + a->f, 0.0f), p->scroll_max);
        app->dirty = 1;
        break;
    }
    case ACT_ANSWER_BACKSPACE: {
        Player *p = &app->player;
        size_t l = strlen(p->typed);
        if (l) p->typed[l - 1] = 0;
        app->dirty = 1;
        break;
    }
    }
}
