/* export.h: figures rendered without a display: an SDL software renderer over a surface,
 * drawn by fig, written as PNG through stb_image_write and file_write_atomic.
 * The caller owns the RenFonts (opened once) and any surface returned. */
#ifndef ATTN_EXPORT_H
#define ATTN_EXPORT_H

#include "../draw/fig.h"

#include <SDL.h>
#include <stddef.h>

#define EXPORT_MAX_SIDE 16384 /* largest PNG side in pixels */
#define EXPORT_MIN_SCALE 0.25f
#define EXPORT_MAX_SCALE 8.0f

/* Renders a figure at the given scale into a new RGBA surface (SDL_PIXELFORMAT_ABGR8888,
 * bytes R, G, B, A in memory), filling lay (in logical pixels) when it is not NULL.
 * Returns NULL with a message. The caller frees the surface. */
SDL_Surface *export_render(const AttnTrace *t, const FigOptions *o, float scale,
                           RenFonts *fonts, FigLayout *lay, char *err, size_t errlen);

/* Renders and writes a PNG atomically ("-" writes to standard output). Stores the size in
 * w and h when they are not NULL. Returns 0, or -1 with a one-line message. */
int export_png(const char *path, const AttnTrace *t, const FigOptions *o, float scale,
               RenFonts *fonts, int *w, int *h, char *err, size_t errlen);

/* Renders lesson steps as the window shows them (1600 x 900 logical pixels times scale),
 * narration included: step `step` (from 1) into out, or with step 0 every step into
 * out_dir as step-01.png, step-02.png, ... (the folder is made if missing). reveal shows the
 * questions answered. Stores how many files were written. Returns 0, -1 with a message,
 * or -2 for a step beyond the lesson. */
int export_lesson(const char *lesson, int step, const char *out, const char *out_dir, float scale,
                  int dark, int reveal, RenFonts *fonts, int *written, char *err, size_t errlen);

/* Encodes an RGBA surface as PNG into memory (malloc'd; the caller frees *png). */
int export_encode_png(unsigned char **png, size_t *len, SDL_Surface *s);

#endif
