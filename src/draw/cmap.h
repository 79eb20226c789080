/* cmap.h: the colour maps that paint attention heatmaps.
 * Owns the colour tables (viridis, cividis, gray and a blue-white-red diverging
 * map), turning a value into a colour, the names of the maps, and choosing a
 * readable text colour for a cell. Pure: no I/O, no allocation, no global state. */
#ifndef ATTN_CMAP_H
#define ATTN_CMAP_H

typedef struct { unsigned char r, g, b; } CmapRGB;

typedef enum {
    CMAP_VIRIDIS,   /* perceptually uniform, dark purple -> yellow */
    CMAP_CIVIDIS,   /* colour-vision-deficiency safe, dark blue -> yellow */
    CMAP_GRAY,      /* black -> white */
    CMAP_DIVERGING, /* blue -> neutral grey-white -> red, for signed values */
    CMAP_COUNT
} CmapKind;

/* Colour of map kind at t in [0,1], by piecewise-linear interpolation through
 * the map's anchor table. t outside [0,1] is clamped; a NaN t gives the map's
 * middle colour (t = 0.5). For CMAP_DIVERGING t = 0.5 is the neutral centre
 * (the value 0). A kind outside [0, CMAP_COUNT) is treated as CMAP_VIRIDIS. */
CmapRGB cmap_color(CmapKind kind, float t);

/* The map's colour at t = 1 (its "top colour", the one the largest value gets). */
CmapRGB cmap_top(CmapKind kind);

/* Name -> kind for "viridis", "cividis", "gray", "diverging" (exact, lower case).
 * Returns 0 and stores the kind in *out on success; returns -1 and leaves *out
 * untouched for an unknown or NULL name. */
int cmap_parse(const char *name, CmapKind *out);

/* Kind -> name ("viridis", ...); "unknown" for a kind outside [0, CMAP_COUNT).
 * The string is static. */
const char *cmap_name(CmapKind kind);

/* "viridis|cividis|gray|diverging", for help texts and error messages. Static. */
const char *cmap_names(void);

/* Maps a value v to t for the range [lo, hi] of the values being drawn.
 * Sequential maps: t = (v - lo) / (hi - lo), and t = 0.5 when hi == lo.
 * CMAP_DIVERGING is centred on 0: t = 0.5 + 0.5 * v / max(|lo|, |hi|), and
 * t = 0.5 when both lo and hi are 0; so 0 is always the neutral centre and the
 * larger side of the range reaches an end of the map.
 * The result is not clamped (a v outside the range gives t outside [0,1]);
 * cmap_color clamps it. A NaN v gives NaN, which cmap_color draws as the middle. */
float cmap_t(CmapKind kind, float v, float lo, float hi);

/* Black or white, whichever contrasts more with c by WCAG relative luminance
 * (sRGB linearised); used for text drawn on a cell of colour c. */
CmapRGB cmap_text_on(CmapRGB c);

#endif
