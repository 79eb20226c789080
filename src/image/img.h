/* img.h: pictures as inputs to attention. Loading (PNG, JPEG, BMP, GIF's first frame, via
 * stb_image), the built-in example pictures attnlab draws itself, resizing, and turning a
 * picture into tokens: one per pixel (an RGB 3-vector) or one per P x P patch (P*P*3
 * numbers, flattened row by row, R G B per pixel). No SDL.
 *
 * Ownership: an ImgRGB owns its pixels (img_free); img_tokens returns a malloc'd feature
 * array the caller frees. */
#ifndef ATTN_IMG_H
#define ATTN_IMG_H

#include <stddef.h>

#define IMG_MAX_SIDE 8192                  /* larger pictures are refused */
#define IMG_MAX_FILE (64 * 1024 * 1024)    /* bytes */
#define IMG_MAX_TOKENS 4096                /* the engine's N */

typedef struct {
    int w, h;
    unsigned char *rgb;   /* w * h * 3 bytes, rows top to bottom */
} ImgRGB;

/* Loads a picture file. Returns 0, or -1 with a message naming the file and what is wrong
 * (missing, not a picture, truncated, zero-sized, larger than IMG_MAX_FILE bytes or
 * IMG_MAX_SIDE a side). Only PNG, JPEG, BMP and GIF are accepted (by signature; stb_image's
 * other formats are refused). Sizes are checked from the header before anything is decoded.
 * On failure out is {0, 0, NULL}. */
int img_load(ImgRGB *out, const char *path, char *err, size_t errlen);

/* The same from bytes in memory (name is used in messages). */
int img_load_memory(ImgRGB *out, const unsigned char *data, size_t len, const char *name, char *err, size_t errlen);

/* A picture attnlab draws itself: "ducks" (a pond with 4 x 3 ducks, all yellow but the blue
 * one in the second row, third column; 160 x 96), "shapes" (a red circle, a green square and
 * a blue triangle on grey, 128 x 128), "gradient" (left to right black to red, top to bottom
 * adding blue, 64 x 64), "tiny" (the lecture's 5 x 10 RGB example, 10 wide and 5 high: 50
 * different colours, hue across, brightness falling down). Hard-edged and the same bytes
 * every time. Returns 0 or -1 for an unknown name. */
int img_example(ImgRGB *out, const char *name);
extern const char *const img_example_names[]; /* NULL-terminated */

void img_free(ImgRGB *img);

/* Resizes with a box filter (averaging every source pixel a target pixel covers, weighted
 * by the fraction of it covered) when shrinking, nearest pixel when growing; each axis is
 * treated on its own. out gets a new picture. Returns 0, or -1 for a size outside
 * 1..IMG_MAX_SIDE, an empty input or no memory. */
int img_resize(ImgRGB *out, const ImgRGB *in, int w, int h);

typedef enum { IMG_PIXELS, IMG_PATCHES } ImgMode;

typedef struct {
    ImgMode mode;
    int patch;          /* P (1 for pixels) */
    int grid_w, grid_h; /* tokens across and down */
    int used_w, used_h; /* the pixels the tokens cover after resizing and cropping */
    ImgRGB view;        /* the picture as tokenised (resized, cropped): what views draw */
    char note[200];     /* what was done, e.g. "64 x 48 pixels, 8 x 6 patches of 8 x 8;
                           resized from 640 x 480; cropped 3 columns and 1 row" */
} ImgTokens;

/* Turns a picture into tokens. max_side is the largest number of tokens along either side:
 * the picture is first shrunk (keeping its proportions) so that neither side has more than
 * max_side * P pixels, then cropped to whole patches (the spare pixels taken evenly from
 * both sides, the extra one from the right or bottom). Token t = row * grid_w + col.
 * For IMG_PIXELS, patch is ignored (P = 1).
 * features: n x d_feature, values in [0, 1]; d_feature = 3 for pixels, P*P*3 for patches.
 * Refuses (returns -1 with the limit named) a P outside 1..64, max_side < 1, a picture
 * smaller than one patch, or more than IMG_MAX_TOKENS tokens; then *features is NULL, *n 0
 * and info holds nothing to free. info->view is owned by info (img_tokens_free). */
int img_tokens(float **features, int *n, int *d_feature, ImgTokens *info, const ImgRGB *img,
               ImgMode mode, int patch, int max_side, char *err, size_t errlen);
void img_tokens_free(ImgTokens *info);

#endif
