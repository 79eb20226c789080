/* ren.h: the only module that draws. Rectangles, lines and text on an SDL_Renderer (the
 * window's, or a software renderer over a surface for export), in logical units that it
 * multiplies by a scale factor for high-resolution output.
 *
 * Text goes through SDL2_ttf with per-glyph font fallback: DejaVu Sans first, then a CJK
 * font, found through fontconfig or known Debian paths. A RenFonts is opened once and owns
 * its TTF_Fonts; a Ren borrows the renderer and the fonts and owns a cache of text
 * textures, released by ren_destroy. */
#ifndef ATTN_REN_H
#define ATTN_REN_H

#include <SDL.h>
#include <stddef.h>

typedef struct { unsigned char r, g, b, a; } RenColor;

typedef struct RenFonts RenFonts;
typedef struct Ren Ren;

typedef enum { REN_LEFT = 0, REN_CENTER = 1, REN_RIGHT = 2 } RenAlign;
typedef enum { REN_REGULAR = 0, REN_BOLD = 1, REN_MONO = 2, REN_ITALIC = 3 } RenFace;

/* Finds and opens the fonts (initialises SDL_ttf if needed). ATTNLAB_FONT and
 * ATTNLAB_CJK_FONT override the files. Returns NULL with a message naming what was tried
 * when no usable Latin font exists; a missing CJK font is not an error (CJK glyphs then
 * draw as boxes). */
RenFonts *ren_fonts_open(char *err, size_t errlen);
void ren_fonts_close(RenFonts *f);
const char *ren_fonts_describe(const RenFonts *f); /* "DejaVuSans.ttf + wqy-microhei.ttc" */

Ren *ren_create(SDL_Renderer *r, RenFonts *fonts, float scale);
void ren_destroy(Ren *ren);
void ren_set_scale(Ren *ren, float scale);
float ren_scale(const Ren *ren);
/* Sets the clip rectangle in logical units, within the base clip; w <= 0 goes back to the
 * base clip. */
void ren_clip(Ren *ren, float x, float y, float w, float h);
/* The outer clip that ren_clip narrows (a panel being drawn); w <= 0 removes it. */
void ren_clip_base(Ren *ren, float x, float y, float w, float h);

void ren_rect(Ren *ren, float x, float y, float w, float h, RenColor c);
void ren_frame(Ren *ren, float x, float y, float w, float h, float thickness, RenColor c);
void ren_line(Ren *ren, float x0, float y0, float x1, float y1, RenColor c);
/* An RGBA image (pw x ph pixels, bytes R, G, B, A) stretched over a rectangle without
 * smoothing: how matrices with cells smaller than a pixel or two are drawn. */
void ren_image(Ren *ren, float x, float y, float w, float h, const unsigned char *rgba, int pw, int ph);
/* Diagonal hatching inside a rectangle: the look of a masked cell. */
void ren_hatch(Ren *ren, float x, float y, float w, float h, float spacing, RenColor c);

/* Text of a given pixel size (logical). Returns the width drawn, in logical units.
 * y is the top of the line box. */
float ren_text(Ren *ren, float x, float y, const char *utf8, float size, RenFace face,
               RenColor c, RenAlign align);
/* The same text turned 90 degrees anticlockwise, reading bottom to top; (x, y) is where the
 * text starts (its bottom-left corner after turning). */
void ren_text_up(Ren *ren, float x, float y, const char *utf8, float size, RenFace face,
                 RenColor c);
float ren_text_width(Ren *ren, const char *utf8, float size, RenFace face);
float ren_line_height(Ren *ren, float size);

#endif
