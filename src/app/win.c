/* win.c: the window and its event loop, exports from the window, remembered settings, and
 * the replay driver that plays scripted input through the same event path as a user's. */
#include "win.h"
#include "compute.h"
#include "app.h"
#include "export.h"
#include "input.h"
#include "outfile.h"

#include <SDL_ttf.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    SDL_Window *window;
    SDL_Renderer *r;
    Ren *ren;
    RenFonts *fonts;
    App app;
    Input in;
    UiLayout lay;
    int text_input_on;
    int failed_expects;
    int replaying;
    Uint32 compute_event;  /* the worker's "a trace is ready" */
    double replay_clock;   /* a replay's own clock: transitions end between commands */
} Win;

static double clock_s(void)
{
    return (double)SDL_GetPerformanceCounter() / (double)SDL_GetPerformanceFrequency();
}

/* ---------------------------------------------------------------- drawing */

static void draw(Win *w)
{
    int pw, ph, ww, wh;
    SDL_GetRendererOutputSize(w->r, &pw, &ph);
    SDL_GetWindowSize(w->window, &ww, &wh);
    float dpi = ww > 0 ? (float)pw / (float)ww : 1.0f;
    float scale = dpi * w->app.win.zoom;
    ren_set_scale(w->ren, scale);
    w->app.now = w->replaying ? w->replay_clock : clock_s();
    ui_draw(w->ren, &w->app, pw / scale, ph / scale, &w->lay);
    w->app.dirty = 0;
    w->app.player.scroll_max = w->lay.narration_scroll_max;
    /* the screen may have moved under a still mouse (a new tab, a new step): what it hovers
     * is looked up again, and the frame drawn once more if that changed */
    if (w->app.hover_on) {
        FigHit hit;
        int on = ui_hit(&w->lay, w->app.hover_x, w->app.hover_y, &hit);
        if (!on || memcmp(&hit, &w->app.hover, sizeof hit) != 0) {
            w->app.hover_on = on;
            if (on) w->app.hover = hit;
            ui_draw(w->ren, &w->app, pw / scale, ph / scale, &w->lay);
        }
    }
}

static int read_window(Win *w, SDL_Surface **out)
{
    int pw, ph;
    SDL_GetRendererOutputSize(w->r, &pw, &ph);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, pw, ph, 32, SDL_PIXELFORMAT_ABGR8888);
    if (!s) return -1;
    /* read before presenting: afterwards the back buffer's contents are undefined */
    if (SDL_RenderReadPixels(w->r, NULL, SDL_PIXELFORMAT_ABGR8888, s->pixels, s->pitch) != 0) {
        SDL_FreeSurface(s);
        return -1;
    }
    *out = s;
    return 0;
}

static int save_surface(SDL_Surface *s, const char *path, char *err, size_t errlen)
{
    unsigned char *png;
    size_t len;
    if (export_encode_png(&png, &len, s)) {
        snprintf(err, errlen, "cannot encode the PNG (out of memory)");
        return -1;
    }
    int rc = file_write_atomic(path, png, len, err, errlen);
    free(png);
    return rc;
}

/* ---------------------------------------------------------------- requests */

static void export_view(Win *w)
{
    App *app = &w->app;
    char path[1200], err[600], stem[96];
    float zoom = app->win.zoom;
    int view = ui_fig_at(&w->lay, w->in.mouse_x / zoom, w->in.mouse_y / zoom);
    if (view < 0 && app->tab != TAB_STEP && app->tab != TAB_OVERVIEW) view = (int)app_tab_view(app->tab);
    if (view < 0) {
        /* nothing but the window itself is under the mouse: save the whole window */
        SDL_Surface *s;
        draw(w);
        if (app_export_path("attnlab-window", "png", path, sizeof path, err, sizeof err) || read_window(w, &s)) {
            app_status(app, 1, "%s", err[0] ? err : "cannot read the window's pixels");
            return;
        }
        int rc = save_surface(s, path, err, sizeof err);
        SDL_FreeSurface(s);
        if (rc) app_status(app, 1, "%s", err);
        else app_status(app, 0, "exported the window to %s", path);
        return;
    }
    FigOptions o = app_figure(app, (FigView)view);
    o.cell = 0;
    o.compact = 0;
    snprintf(stem, sizeof stem, "attnlab-%s-head%d", fig_view_name(o.view), o.head + 1);
    int pw, ph;
    if (app_export_path(stem, "png", path, sizeof path, err, sizeof err) ||
        export_png(path, &app->trace, &o, 2.0f, w->fonts, &pw, &ph, err, sizeof err))
        app_status(app, 1, "%s", err);
    else
        app_status(app, 0, "exported %s (%d x %d px)", path, pw, ph);
}

static void export_heads(Win *w)
{
    App *app = &w->app;
    char path[1200], err[600], stem[96], first[1200] = "";
    for (int h = 0; h < app->trace.heads; h++) {
        FigOptions o = app_figure(app, FIG_WEIGHTS);
        o.head = h;
        o.cell = 0;
        snprintf(stem, sizeof stem, "attnlab-weights-head%d", h + 1);
        if (app_export_path(stem, "png", path, sizeof path, err, sizeof err) ||
            export_png(path, &app->trace, &o, 2.0f, w->fonts, NULL, NULL, err, sizeof err)) {
            app_status(app, 1, "%s", err);
            return;
        }
        if (!first[0]) snprintf(first, sizeof first, "%s", path);
    }
    if (app->trace.heads == 1) app_status(app, 0, "exported the head: %s", first);
    else app_status(app, 0, "exported %d heads: %s …", app->trace.heads, first);
}

static void carry_out(Win *w)
{
    App *app = &w->app;
    int req = app->requests;
    app->requests = 0;
    if (req & REQ_FULLSCREEN) {
        int on = !(SDL_GetWindowFlags(w->window) & SDL_WINDOW_FULLSCREEN_DESKTOP);
        SDL_SetWindowFullscreen(w->window, on ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
        app->win.fullscreen = on;
        app->dirty = 1;
    }
    if (req & REQ_EXPORT_VIEW) export_view(w);
    if (req & REQ_EXPORT_HEADS) export_heads(w);
    /* text input (and an input method) only while the text line has the keyboard */
    if (app->editing && !w->text_input_on) {
        SDL_Rect r = {(int)(w->lay.text_box.x * app->win.zoom), (int)(w->lay.text_box.y * app->win.zoom),
                      (int)(w->lay.text_box.w * app->win.zoom), (int)(w->lay.text_box.h * app->win.zoom)};
        SDL_SetTextInputRect(&r);
        SDL_StartTextInput();
        w->text_input_on = 1;
    } else if (!app->editing && w->text_input_on) {
        SDL_StopTextInput();
        w->text_input_on = 0;
    }
}

/* Whether an event is made stale by one already waiting: a mouse motion followed by another
 * (the later carries the newer position, and a drag's change is measured from the last one
 * handled), or a held key's repeat followed by another repeat of the same key. Skipping them
 * keeps input current when each change takes a large scene tens of milliseconds. */
static int superseded(const SDL_Event *e)
{
    SDL_Event next[16];
    if (e->type != SDL_MOUSEMOTION && !(e->type == SDL_KEYDOWN && e->key.repeat)) return 0;
    int n = SDL_PeepEvents(next, 16, SDL_PEEKEVENT, SDL_FIRSTEVENT, SDL_LASTEVENT);
    for (int i = 0; i < n; i++) {
        /* only a newer event of the same kind, with nothing else in between */
        if (e->type == SDL_MOUSEMOTION) return next[i].type == SDL_MOUSEMOTION;
        if (next[i].type == SDL_KEYUP) continue;
        return next[i].type == SDL_KEYDOWN && next[i].key.repeat && next[i].key.keysym.sym == e->key.keysym.sym &&
               next[i].key.keysym.mod == e->key.keysym.mod;
    }
    return 0;
}

/* The worker's wake-up call, from its own thread: an event for the window's loop. */
static void computed(void *ctx)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = *(Uint32 *)ctx;
    SDL_PushEvent(&e);
}

static void handle(Win *w, const SDL_Event *e)
{
    if (w->compute_event && e->type == w->compute_event) {
        app_poll_compute(&w->app);
        return;
    }
    if (e->type == SDL_WINDOWEVENT) {
        w->app.dirty = 1;
        return;
    }
    if (superseded(e)) return;
    Action acts[INPUT_MAX_ACTIONS];
    int n = input_translate(&w->in, e, &w->app, &w->lay, acts);
    for (int k = 0; k < n; k++) app_apply(&w->app, &acts[k]);
    if (e->type == SDL_DROPFILE) SDL_free(e->drop.file);
    carry_out(w);
}

/* Handles every pending event, then draws if anything changed. */
static void pump(Win *w)
{
    SDL_Event e;
    while (SDL_PollEvent(&e)) handle(w, &e);
    if (w->app.dirty) draw(w);
}

/* ---------------------------------------------------------------- state, for replays */

static void state_write(OutBuf *b, const App *app)
{
    const AttnScene *s = &app->spec.scene;
    char v[256];
    out_printf(b, "tab = %s\nquery = %d\nstep = %d\nediting = %d\ntext = %s\ncursor = %d\n",
               app_tab_name(app->tab), app->query + 1, app->step + 1, app->editing,
               app->spec.text ? app->spec.text : "", app->cursor);
    out_printf(b, "tokens = %d\ncomputing = %d\ntrace_heads = %d\n", app->have_trace ? app->trace.n : 0, app->computing,
               app->have_trace ? app->trace.heads : 0);
    for (int f = 0; f < FIELD_COUNT; f++) {
        /* keys are single words, so a replay's `expect` can name them */
        char key[64];
        snprintf(key, sizeof key, "%s", app_field_name((AppField)f));
        for (char *c = key; *c; c++)
            if (*c == ' ' || *c == '/') *c = '_';
        app_field_value(app, (AppField)f, v, sizeof v);
        out_printf(b, "%s = %s\n", key, v);
    }
    out_printf(b, "help = %d\nblank = %d\nzoom = %.2f\nfullscreen = %d\n", app->help, app->blank,
               (double)app->win.zoom, app->win.fullscreen);
    out_printf(b, "edited_vectors = %d\nedited_weights = %d\nedited_mask = %d\n", app->vec_edit != NULL,
               app->par_edit != NULL, app->mask_edit != NULL);
    out_printf(b, "view_rows = %d %d\nview_cols = %d %d\n", app->fig.q0, app->fig.qn, app->fig.k0, app->fig.kn);
    out_printf(b, "status = %s\n", app->status);
    {
        const Player *p = &app->player;
        const char *base = strrchr(p->path, '/');
        out_printf(b, "lesson = %s\nlesson_step = %d\nlesson_steps = %d\nanswered = %d\ncorrect = %d\nmenu = %d\n",
                   app->lesson_on ? (base ? base + 1 : p->path) : "", app->lesson_on ? p->step + 1 : 0,
                   p->loaded ? p->lesson.n_steps : 0, p->answered, p->correct, p->menu);
        out_printf(b, "lesson_error = %s\nhighlights = %d\n", p->error, p->n_highlight);
    }
    out_printf(b, "d_model_n = %d\nheads_n = %d\n", s->d_model, s->heads);
    if (app->have_trace) {
        const AttnTrace *t = &app->trace;
        const AttnHead *hd = &t->head[app->fig.head];
        out_printf(b, "weights_row =");
        for (int j = 0; j < t->n; j++) out_printf(b, " %.6g", (double)hd->weights[(size_t)app->query * t->n + j]);
        out_printf(b, "\nallowed_row =");
        for (int j = 0; j < t->n; j++) out_printf(b, " %d", attn_allowed(t, app->query, j));
        out_printf(b, "\na_row =");
        for (int m = 0; m < t->d_model; m++) out_printf(b, " %.6g", (double)t->a[(size_t)app->query * t->d_model + m]);
        out_printf(b, "\n");
    }
}

/* The value of one state key, as state_write prints it. */
static int state_get(const App *app, const char *key, char *out, size_t len)
{
    OutBuf b = {0};
    state_write(&b, app);
    int found = 0;
    size_t kl = strlen(key);
    for (char *line = b.data; line && *line;) {
        char *end = strchr(line, '\n');
        if (end) *end = 0;
        if (strncmp(line, key, kl) == 0 && strncmp(line + kl, " = ", 3) == 0) {
            snprintf(out, len, "%s", line + kl + 3);
            found = 1;
            break;
        }
        line = end ? end + 1 : NULL;
    }
    out_buf_free(&b);
    return found;
}

/* ---------------------------------------------------------------- replay */

static void push_key(const char *spec, int *ok)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    Uint16 mod = 0;
    const char *p = spec;
    for (;;) {
        if (SDL_strncasecmp(p, "ctrl+", 5) == 0) { mod |= KMOD_LCTRL; p += 5; }
        else if (SDL_strncasecmp(p, "shift+", 6) == 0) { mod |= KMOD_LSHIFT; p += 6; }
        else if (SDL_strncasecmp(p, "alt+", 4) == 0) { mod |= KMOD_LALT; p += 4; }
        else break;
    }
    SDL_Keycode key = SDL_GetKeyFromName(p);
    if (key == SDLK_UNKNOWN && strcmp(p, "?") == 0) key = SDLK_QUESTION;
    if (key == SDLK_UNKNOWN) { *ok = 0; return; }
    e.type = SDL_KEYDOWN;
    e.key.state = SDL_PRESSED;
    e.key.keysym.sym = key;
    e.key.keysym.scancode = SDL_GetScancodeFromKey(key);
    e.key.keysym.mod = mod;
    SDL_PushEvent(&e);
    e.type = SDL_KEYUP;
    e.key.state = SDL_RELEASED;
    SDL_PushEvent(&e);
    *ok = 1;
}

static void push_mouse(Uint32 type, int x, int y, Uint8 button)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    if (type == SDL_MOUSEMOTION) {
        e.motion.x = x;
        e.motion.y = y;
        e.motion.state = button ? SDL_BUTTON(button) : 0;
    } else {
        e.button.x = x;
        e.button.y = y;
        e.button.button = button;
        e.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
        e.button.clicks = 1;
    }
    SDL_PushEvent(&e);
}

/* A position from "X Y" or "@PLACE"; advances *p past it. */
static int position(Win *w, char **p, int *x, int *y, char *err, size_t errlen)
{
    while (**p == ' ') (*p)++;
    if (**p == '@') {
        char name[256];
        int k = 0;
        (*p)++;
        while (**p && **p != ' ' && k < 255) name[k++] = *(*p)++;
        name[k] = 0;
        float lx, ly;
        if (!ui_find(&w->lay, &w->app, name, &lx, &ly)) {
            snprintf(err, errlen, "no place '%s' on the screen", name);
            return -1;
        }
        *x = (int)lroundf(lx * w->app.win.zoom);
        *y = (int)lroundf(ly * w->app.win.zoom);
        return 0;
    }
    char *end;
    long a = strtol(*p, &end, 10);
    if (end == *p) { snprintf(err, errlen, "expected X Y or @PLACE"); return -1; }
    *p = end;
    long b = strtol(*p, &end, 10);
    if (end == *p) { snprintf(err, errlen, "expected X Y or @PLACE"); return -1; }
    *p = end;
    *x = (int)a;
    *y = (int)b;
    return 0;
}

static int replay_line(Win *w, char *line, char *err, size_t errlen)
{
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '#') return 0;
    char cmd[16];
    int k = 0;
    while (*p && *p != ' ' && k < 15) cmd[k++] = *p++;
    cmd[k] = 0;
    if (*p == ' ') p++;
    /* a replay is a script: each command sees the scene before it computed, brought in
     * by the worker's event as in the window's own loop */
    while (w->app.computing) {
        SDL_Event e;
        if (!SDL_WaitEventTimeout(&e, 120000)) {
            snprintf(err, errlen, "the computation gave no result in 120 s");
            return -1;
        }
        handle(w, &e);
    }
    w->replay_clock += 1.0; /* a second between commands: every transition has ended */
    w->app.now = w->replay_clock;
    if (w->app.lesson_on) player_poll(&w->app.player, &w->app);
    pump(w); /* places are looked up in what is on screen now */
    if (strcmp(cmd, "size") == 0) {
        int a, b;
        if (sscanf(p, "%d %d", &a, &b) != 2 || a < 200 || b < 200) { snprintf(err, errlen, "size needs W H, 200 or more"); return -1; }
        SDL_SetWindowSize(w->window, a, b);
        w->app.dirty = 1;
    } else if (strcmp(cmd, "type") == 0) {
        /* one text event per character, as a keyboard sends them */
        for (const char *c = p; *c;) {
            SDL_Event e;
            memset(&e, 0, sizeof e);
            e.type = SDL_TEXTINPUT;
            int n = 1;
            while (c[n] && ((unsigned char)c[n] & 0xC0) == 0x80) n++;
            memcpy(e.text.text, c, (size_t)n);
            SDL_PushEvent(&e);
            c += n;
            pump(w);
        }
    } else if (strcmp(cmd, "key") == 0) {
        int ok;
        push_key(p, &ok);
        if (!ok) { snprintf(err, errlen, "unknown key '%s'", p); return -1; }
    } else if (strcmp(cmd, "click") == 0 || strcmp(cmd, "move") == 0) {
        int x, y;
        if (position(w, &p, &x, &y, err, errlen)) return -1;
        Uint8 button = strstr(p, "right") ? SDL_BUTTON_RIGHT : SDL_BUTTON_LEFT;
        push_mouse(SDL_MOUSEMOTION, x, y, 0);
        if (cmd[0] == 'c') {
            push_mouse(SDL_MOUSEBUTTONDOWN, x, y, button);
            push_mouse(SDL_MOUSEBUTTONUP, x, y, button);
        }
    } else if (strcmp(cmd, "drag") == 0) {
        int x, y;
        if (position(w, &p, &x, &y, err, errlen)) return -1;
        int dy = atoi(p);
        push_mouse(SDL_MOUSEMOTION, x, y, 0);
        push_mouse(SDL_MOUSEBUTTONDOWN, x, y, SDL_BUTTON_LEFT);
        push_mouse(SDL_MOUSEMOTION, x, y + dy, SDL_BUTTON_LEFT);
        push_mouse(SDL_MOUSEBUTTONUP, x, y + dy, SDL_BUTTON_LEFT);
    } else if (strcmp(cmd, "wheel") == 0) {
        int x, y;
        if (position(w, &p, &x, &y, err, errlen)) return -1;
        int notches = atoi(p);
        push_mouse(SDL_MOUSEMOTION, x, y, 0);
        for (int i = 0; i < abs(notches); i++) {
            SDL_Event e;
            memset(&e, 0, sizeof e);
            e.type = SDL_MOUSEWHEEL;
            e.wheel.y = notches > 0 ? 1 : -1;
            SDL_PushEvent(&e);
        }
    } else if (strcmp(cmd, "drop") == 0) {
        SDL_Event e;
        memset(&e, 0, sizeof e);
        e.type = SDL_DROPFILE;
        e.drop.file = SDL_strdup(p);
        SDL_PushEvent(&e);
    } else if (strcmp(cmd, "wait") == 0) {
        int frames = atoi(p);
        for (int i = 0; i < frames; i++) {
            w->replay_clock += 1.0 / 60;
            pump(w);
            draw(w);
            SDL_RenderPresent(w->r);
        }
    } else if (strcmp(cmd, "shot") == 0) {
        SDL_Surface *s;
        draw(w);
        if (read_window(w, &s)) { snprintf(err, errlen, "cannot read the window's pixels: %s", SDL_GetError()); return -1; }
        int rc = save_surface(s, p, err, errlen);
        SDL_FreeSurface(s);
        SDL_RenderPresent(w->r);
        if (rc) return -1;
    } else if (strcmp(cmd, "state") == 0) {
        OutBuf b = {0};
        state_write(&b, &w->app);
        int rc = file_write_atomic(p, b.data, b.len, err, errlen);
        out_buf_free(&b);
        if (rc) return -1;
    } else if (strcmp(cmd, "expect") == 0) {
        char key[64], got[8192];
        k = 0;
        while (*p && *p != ' ' && k < 63) key[k++] = *p++;
        key[k] = 0;
        if (*p == ' ') p++;
        pump(w);
        if (!state_get(&w->app, key, got, sizeof got)) { snprintf(err, errlen, "no state key '%s'", key); return -1; }
        if (strcmp(got, p) != 0) {
            snprintf(err, errlen, "expected %s = %.200s, found %.600s", key, p, got);
            w->failed_expects++;
            return 1;
        }
    } else if (strcmp(cmd, "exec") == 0) {
        /* the frame is on screen before the command looks at it */
        draw(w);
        SDL_RenderPresent(w->r);
        int rc = system(p);
        if (rc != 0) {
            snprintf(err, errlen, "'%s' failed (status %d)", p, rc);
            w->failed_expects++;
            return 1;
        }
    } else if (strcmp(cmd, "quit") == 0) {
        w->app.quit = 1;
    } else {
        snprintf(err, errlen, "unknown command '%s' (size type key click move drag wheel drop wait shot state expect exec quit)", cmd);
        return -1;
    }
    pump(w);
    return 0;
}

static int replay(Win *w, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "attnlab: %s: cannot open the replay script\n", path);
        return 1;
    }
    char line[8192], err[1024];
    int lineno = 0, rc = 0;
    draw(w);
    SDL_RenderPresent(w->r);
    while (!w->app.quit && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        err[0] = 0;
        int r = replay_line(w, line, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "%s:%d:1: %s\n", path, lineno, err);
            rc = 2;
            break;
        }
        if (r > 0) fprintf(stderr, "%s:%d: %s\n", path, lineno, err);
    }
    fclose(f);
    if (!rc && w->failed_expects) rc = 1;
    return rc;
}

/* ---------------------------------------------------------------- the loop */

int win_run(const char *scene_path, const char *replay_path)
{
    Win w;
    char err[600];
    memset(&w, 0, sizeof w);
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "attnlab: cannot open a window: %s\n", SDL_GetError());
        return 1;
    }
    w.fonts = ren_fonts_open(err, sizeof err);
    if (!w.fonts) {
        fprintf(stderr, "attnlab: %s\n", err);
        SDL_Quit();
        return 1;
    }
    App *app = &w.app;
    app_init(app);
    w.compute_event = SDL_RegisterEvents(1);
    if (w.compute_event != (Uint32)-1) app->compute = compute_start(computed, &w.compute_event);
    else w.compute_event = 0;
    char warn[700] = "";
    if (settings_load(&app->spec, &app->fig, &app->win, warn, sizeof warn) == 1)
        fprintf(stderr, "attnlab: %s\n", warn);
    int width = app->win.width > 0 ? app->win.width : 1280, height = app->win.height > 0 ? app->win.height : 800;
    Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
    if (app->win.fullscreen && !replay_path) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    w.window = SDL_CreateWindow("attnlab", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, width, height, flags);
    const char *accel = getenv("ATTNLAB_RENDERER");
    Uint32 rflags = accel && strcmp(accel, "accelerated") == 0 ? SDL_RENDERER_ACCELERATED : SDL_RENDERER_SOFTWARE;
    w.r = w.window ? SDL_CreateRenderer(w.window, -1, rflags) : NULL;
    w.ren = w.r ? ren_create(w.r, w.fonts, 1.0f) : NULL;
    if (!w.ren) {
        fprintf(stderr, "attnlab: cannot open a window: %s\n", SDL_GetError());
        app_free(app);
        ren_fonts_close(w.fonts);
        SDL_Quit();
        return 1;
    }
    SDL_StopTextInput();
    SDL_SetWindowMinimumSize(w.window, 640, 420);
    app->cursor = (int)strlen(app->spec.text ? app->spec.text : "");
    char lessons[1024];
    if (player_lessons_dir(lessons, sizeof lessons) == 0) {
        player_scan(&app->player, lessons);
        player_progress_from(&app->player, app->win.progress);
    }
    size_t sl = scene_path ? strlen(scene_path) : 0;
    if (scene_path && sl > 3 && strcmp(scene_path + sl - 3, ".md") == 0) {
        /* a lesson file: one that does not open shows where it is wrong, and opens once fixed */
        player_open(&app->player, app, scene_path, 0);
        app->lesson_on = 1;
    } else if (scene_path) {
        app_open_scene(app, scene_path);
    } else {
        /* the lesson open last time; on a first run, the first lesson */
        char sp[1100];
        int first_run = settings_path(sp, sizeof sp) != 0 || !file_exists(sp);
        const char *open = app->win.lesson[0] ? app->win.lesson : first_run && app->player.n_files ? app->player.files[0] : NULL;
        int step = app->win.lesson[0] && app->win.lesson_step > 0 ? app->win.lesson_step - 1 : 0;
        if (open && file_exists(open) && player_open(&app->player, app, open, step) == 0) app->lesson_on = 1;
    }
    if (!app->have_trace) app_recompute(app);
    if (warn[0]) app_status(app, 1, "%s", warn);
    else if (!app->status[0]) app_status(app, 0, "press ? for every key · Enter edits the sentence");

    int rc = 0;
    if (replay_path) {
        w.replaying = 1;
        w.replay_clock = 1000.0;
        app->now = w.replay_clock;
        rc = replay(&w, replay_path);
        if (!app->win.fullscreen) SDL_GetWindowSize(w.window, &app->win.width, &app->win.height);
        if (settings_save(&app->spec, &app->fig, &app->win, err, sizeof err))
            fprintf(stderr, "attnlab: cannot remember the settings: %s\n", err);
    } else {
        while (!app->quit) {
            int animating = app->win.animate && app->now - app->step_changed_at < 0.3;
            if (app->dirty || animating) {
                draw(&w);
                SDL_RenderPresent(w.r);
            }
            SDL_Event e;
            /* sleep until something happens; wake for the next frame only while animating,
             * and twice a second while a lesson is open, to notice edits to its file */
            int got = animating ? SDL_WaitEventTimeout(&e, 16)
                      : app->lesson_on ? SDL_WaitEventTimeout(&e, 500) : SDL_WaitEvent(&e);
            app->now = clock_s();
            if (got) handle(&w, &e);
            while (SDL_PollEvent(&e)) handle(&w, &e);
            if (app->lesson_on) player_poll(&app->player, app);
        }
        if (!app->win.fullscreen) SDL_GetWindowSize(w.window, &app->win.width, &app->win.height);
        if (settings_save(&app->spec, &app->fig, &app->win, err, sizeof err))
            fprintf(stderr, "attnlab: cannot remember the settings: %s\n", err);
    }
    app_free(app);
    ren_destroy(w.ren);
    SDL_DestroyRenderer(w.r);
    SDL_DestroyWindow(w.window);
    ren_fonts_close(w.fonts);
    if (TTF_WasInit()) TTF_Quit();
    SDL_Quit();
    return rc;
}
