/* export.c: headless figures: a software renderer draws onto a surface, stb_image_write
 * encodes it as PNG in memory, and file_write_atomic puts it on disk in one step. */
#include "export.h"
#include "app.h"
#include "outfile.h"
#include "../draw/ui.h"

#include <stb_image_write.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

SDL_Surface *export_render(const AttnTrace *t, const FigOptions *o, float scale,
                           RenFonts *fonts, FigLayout *lay, char *err, size_t errlen)
{
    if (!(scale >= EXPORT_MIN_SCALE && scale <= EXPORT_MAX_SCALE)) {
        snprintf(err, errlen, "scale %g is outside %g..%g", (double)scale,
                 (double)EXPORT_MIN_SCALE, (double)EXPORT_MAX_SCALE);
        return NULL;
    }
    /* measure with a renderer on a tiny surface, since text widths depend on the scale */
    SDL_Surface *probe = SDL_CreateRGBSurfaceWithFormat(0, 1, 1, 32, SDL_PIXELFORMAT_ABGR8888);
    SDL_Renderer *pr = probe ? SDL_CreateSoftwareRenderer(probe) : NULL;
    Ren *ren = pr ? ren_create(pr, fonts, scale) : NULL;
    if (!ren) {
        snprintf(err, errlen, "cannot start the software renderer: %s", SDL_GetError());
        if (pr) SDL_DestroyRenderer(pr);
        SDL_FreeSurface(probe);
        return NULL;
    }
    float lw, lh;
    fig_measure(ren, t, o, &lw, &lh);
    ren_destroy(ren);
    SDL_DestroyRenderer(pr);
    SDL_FreeSurface(probe);
    int w = (int)ceilf(lw * scale), h = (int)ceilf(lh * scale);
    if (w > EXPORT_MAX_SIDE || h > EXPORT_MAX_SIDE) {
        snprintf(err, errlen, "the figure would be %d x %d pixels, more than the limit of %d a side "
                 "(lower --scale or --cell, or use fewer tokens)", w, h, EXPORT_MAX_SIDE);
        return NULL;
    }
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ABGR8888);
    SDL_Renderer *r = s ? SDL_CreateSoftwareRenderer(s) : NULL;
    ren = r ? ren_create(r, fonts, scale) : NULL;
    if (!ren) {
        snprintf(err, errlen, "cannot make a %d x %d image: %s", w, h, SDL_GetError());
        if (r) SDL_DestroyRenderer(r);
        SDL_FreeSurface(s);
        return NULL;
    }
    RenColor bg = fig_background(o->dark);
    SDL_SetRenderDrawColor(r, bg.r, bg.g, bg.b, 255);
    SDL_RenderClear(r);
    fig_draw(ren, t, o, 0, 0, lay);
    SDL_RenderPresent(r);
    ren_destroy(ren);
    SDL_DestroyRenderer(r);
    return s;
}

static void png_sink(void *ctx, void *data, int size)
{
    out_append(ctx, data, (size_t)size);
}

int export_encode_png(unsigned char **png, size_t *len, SDL_Surface *s)
{
    /* the figure is opaque: write RGB, a third smaller than RGBA */
    unsigned char *rgb = malloc((size_t)s->w * s->h * 3);
    if (!rgb) return -1;
    if (SDL_MUSTLOCK(s)) SDL_LockSurface(s);
    for (int y = 0; y < s->h; y++) {
        const unsigned char *row = (const unsigned char *)s->pixels + (size_t)y * s->pitch;
        unsigned char *o = rgb + (size_t)y * s->w * 3;
        for (int x = 0; x < s->w; x++) {
            o[3 * x] = row[4 * x];
            o[3 * x + 1] = row[4 * x + 1];
            o[3 * x + 2] = row[4 * x + 2];
        }
    }
    if (SDL_MUSTLOCK(s)) SDL_UnlockSurface(s);
    OutBuf b = {0};
    /* figures are flat colours and text: the "up" filter on every row compresses them
     * within 1% of trying all five filters per row, in about half the time */
    int keep_filter = stbi_write_force_png_filter, keep_level = stbi_write_png_compression_level;
    stbi_write_force_png_filter = 2;
    stbi_write_png_compression_level = 5;
    int ok = stbi_write_png_to_func(png_sink, &b, s->w, s->h, 3, rgb, s->w * 3);
    /* the settings are stb's globals: leave them as found for other users of the library */
    stbi_write_force_png_filter = keep_filter;
    stbi_write_png_compression_level = keep_level;
    free(rgb);
    if (!ok || b.failed) {
        out_buf_free(&b);
        return -1;
    }
    *png = (unsigned char *)b.data;
    *len = b.len;
    return 0;
}

int export_png(const char *path, const AttnTrace *t, const FigOptions *o, float scale,
               RenFonts *fonts, int *w, int *h, char *err, size_t errlen)
{
    SDL_Surface *s = export_render(t, o, scale, fonts, NULL, err, errlen);
    if (!s) return -1;
    unsigned char *png;
    size_t len;
    int rc = export_encode_png(&png, &len, s);
    if (w) *w = s->w;
    if (h) *h = s->h;
    SDL_FreeSurface(s);
    if (rc) {
        snprintf(err, errlen, "cannot encode the PNG (out of memory)");
        return -1;
    }
    if (strcmp(path, "-") == 0) {
        rc = fwrite(png, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -1;
        if (rc) snprintf(err, errlen, "cannot write the PNG to standard output");
    } else {
        rc = file_write_atomic(path, png, len, err, errlen);
    }
    free(png);
    return rc;
}

int export_lesson(const char *lesson, int step, const char *out, const char *out_dir, float scale,
                  int dark, int reveal, RenFonts *fonts, int *written, char *err, size_t errlen)
{
    static App app;           /* large; exports run one at a time */
    static UiLayout lay;
    *written = 0;
    if (!(scale >= EXPORT_MIN_SCALE && scale <= EXPORT_MAX_SCALE)) {
        snprintf(err, errlen, "scale %g is outside %g..%g", (double)scale, (double)EXPORT_MIN_SCALE, (double)EXPORT_MAX_SCALE);
        return -2;
    }
    app_init(&app);
    app.fig.dark = dark;
    app.win.animate = 0;
    app.lesson_on = 1;
    if (player_open(&app.player, &app, lesson, 0)) {
        snprintf(err, errlen, "%s", app.player.error);
        app_free(&app);
        return -1;
    }
    int n = app.player.lesson.n_steps;
    if (step > n) {
        snprintf(err, errlen, "--step %d: %s has %d steps", step, lesson, n);
        app_free(&app);
        return -2;
    }
    if (out_dir && step == 0 && file_make_dirs(out_dir, err, errlen)) {
        app_free(&app);
        return -1;
    }
    int w = (int)lroundf(1600 * scale), h = (int)lroundf(900 * scale), rc = 0;
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ABGR8888);
    SDL_Renderer *r = s ? SDL_CreateSoftwareRenderer(s) : NULL;
    Ren *ren = r ? ren_create(r, fonts, scale) : NULL;
    if (!ren) {
        snprintf(err, errlen, "cannot make a %d x %d image: %s", w, h, SDL_GetError());
        rc = -1;
    }
    for (int i = step ? step - 1 : 0; rc == 0 && i < (step ? step : n); i++) {
        char path[1200];
        player_show(&app.player, &app, i);
        const LessonStep *st = &app.player.lesson.steps[i];
        if (reveal && st->has_question)
            player_answer(&app.player, &app, st->n_choices ? st->answer : 0);
        if (reveal && st->has_question && !st->n_choices) {
            snprintf(app.player.typed, sizeof app.player.typed, "%g", st->number);
            player_answer(&app.player, &app, 0);
        }
        app.status[0] = 0;
        ui_draw(ren, &app, (float)w / scale, (float)h / scale, &lay);
        SDL_RenderPresent(r);
        unsigned char *png;
        size_t len;
        if (export_encode_png(&png, &len, s)) {
            snprintf(err, errlen, "cannot encode the PNG (out of memory)");
            rc = -1;
            break;
        }
        if (step) snprintf(path, sizeof path, "%s", out);
        else snprintf(path, sizeof path, "%s/step-%02d.png", out_dir, i + 1);
        rc = file_write_atomic(path, png, len, err, errlen);
        free(png);
        if (rc == 0) (*written)++;
    }
    if (ren) ren_destroy(ren);
    if (r) SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    app_free(&app);
    return rc;
}
