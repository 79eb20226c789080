/* img.c: pictures for attention: loading through stb_image with size limits checked before
 * decoding, the example pictures drawn in plain C, box/nearest resizing, and tokenisation. */
#include "img.h"
#include "../engine/msg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb_image.h>

/* ---------------------------------------------------------------- loading */

static int has_prefix(const unsigned char *d, size_t len, const char *magic, size_t n)
{
    return len >= n && memcmp(d, magic, n) == 0;
}

/* Only the four formats the messages promise; stb_image would also guess at TGA (which has
 * no signature), so random bytes could otherwise pass as a picture. */
static int known_format(const unsigned char *d, size_t len)
{
    return has_prefix(d, len, "\x89PNG\r\n\x1a\n", 8) || has_prefix(d, len, "\xff\xd8\xff", 3) ||
           has_prefix(d, len, "BM", 2) || has_prefix(d, len, "GIF87a", 6) ||
           has_prefix(d, len, "GIF89a", 6);
}

/* A PNG's size straight from its IHDR, so a huge claim is refused with the numbers even
 * where stb_image's own header check gives up first. Returns 0 if it is not readable. */
static int png_header_size(const unsigned char *d, size_t len, unsigned long *w, unsigned long *h)
{
    if (len < 24 || !has_prefix(d, len, "\x89PNG\r\n\x1a\n", 8) || memcmp(d + 12, "IHDR", 4) != 0)
        return 0;
    *w = (unsigned long)d[16] << 24 | (unsigned long)d[17] << 16 | (unsigned long)d[18] << 8 | d[19];
    *h = (unsigned long)d[20] << 24 | (unsigned long)d[21] << 16 | (unsigned long)d[22] << 8 | d[23];
    return 1;
}

static int size_error(const char *name, unsigned long w, unsigned long h, char *err, size_t errlen)
{
    if (w == 0 || h == 0)
        return msg_fail(err, errlen, "%s: the picture is %lu x %lu pixels, it has none", name, w, h);
    return msg_fail(err, errlen, "%s: %lu x %lu pixels is larger than the limit of %d a side", name, w, h,
                IMG_MAX_SIDE);
}

int img_load_memory(ImgRGB *out, const unsigned char *data, size_t len, const char *name, char *err,
                    size_t errlen)
{
    out->w = out->h = 0;
    out->rgb = NULL;
    if (!name) name = "picture";
    if (!data || len == 0) return msg_fail(err, errlen, "%s: empty file (0 bytes), not a picture", name);
    if (len > IMG_MAX_FILE)
        return msg_fail(err, errlen, "%s: %zu bytes is larger than the limit of %d MB", name, len,
                    IMG_MAX_FILE >> 20);
    if (!known_format(data, len))
        return msg_fail(err, errlen, "%s: not a picture attnlab can read (PNG, JPEG, BMP or GIF): %s", name,
                    "unknown image type");

    unsigned long pw, ph;
    if (png_header_size(data, len, &pw, &ph) && (pw == 0 || ph == 0 || pw > IMG_MAX_SIDE || ph > IMG_MAX_SIDE))
        return size_error(name, pw, ph, err, errlen);

    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(data, (int)len, &w, &h, &comp)) {
        const char *why = stbi_failure_reason();
        if (why && strcmp(why, "too large") == 0)
            return msg_fail(err, errlen, "%s: larger than the limit of %d a side (stb_image: too large)", name,
                        IMG_MAX_SIDE);
        return msg_fail(err, errlen, "%s: not a picture attnlab can read (PNG, JPEG, BMP or GIF): %s", name,
                    why ? why : "unknown error");
    }
    if (w <= 0 || h <= 0 || w > IMG_MAX_SIDE || h > IMG_MAX_SIDE)
        return size_error(name, (unsigned long)(w < 0 ? 0 : w), (unsigned long)(h < 0 ? 0 : h), err, errlen);

    int dw = 0, dh = 0;
    unsigned char *px = stbi_load_from_memory(data, (int)len, &dw, &dh, &comp, 3);
    if (!px) {
        const char *why = stbi_failure_reason();
        return msg_fail(err, errlen, "%s: could not decode the picture, it may be damaged or cut short (%s)",
                    name, why ? why : "unknown error");
    }
    if (dw <= 0 || dh <= 0 || dw > IMG_MAX_SIDE || dh > IMG_MAX_SIDE) {
        stbi_image_free(px);
        return size_error(name, (unsigned long)(dw < 0 ? 0 : dw), (unsigned long)(dh < 0 ? 0 : dh), err, errlen);
    }
    /* copy into malloc'd memory so img_free owns it without knowing about stb */
    size_t bytes = (size_t)dw * (size_t)dh * 3;
    out->rgb = malloc(bytes);
    if (!out->rgb) {
        stbi_image_free(px);
        return msg_fail(err, errlen, "%s: out of memory for %d x %d pixels", name, dw, dh);
    }
    memcpy(out->rgb, px, bytes);
    stbi_image_free(px);
    out->w = dw;
    out->h = dh;
    return 0;
}

int img_load(ImgRGB *out, const char *path, char *err, size_t errlen)
{
    out->w = out->h = 0;
    out->rgb = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return msg_fail(err, errlen, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            fclose(f);
            return msg_fail(err, errlen, "%s: is a directory, not a picture", path);
        }
        if (S_ISREG(st.st_mode) && st.st_size > IMG_MAX_FILE) {
            fclose(f);
            return msg_fail(err, errlen, "%s: %lld bytes is larger than the limit of %d MB", path,
                        (long long)st.st_size, IMG_MAX_FILE >> 20);
        }
    }
    /* read in growing steps, never past IMG_MAX_FILE (pipes have no size up front) */
    size_t cap = 64 * 1024, n = 0;
    unsigned char *buf = malloc(cap);
    int too_big = 0;
    while (buf) {
        if (n == cap) {
            if (cap > IMG_MAX_FILE) { too_big = 1; break; }
            size_t ncap = cap * 2 > (size_t)IMG_MAX_FILE + 1 ? (size_t)IMG_MAX_FILE + 1 : cap * 2;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f), saved = errno;
    fclose(f);
    if (!buf) return msg_fail(err, errlen, "%s: out of memory reading the file", path);
    if (too_big || n > IMG_MAX_FILE) {
        free(buf);
        return msg_fail(err, errlen, "%s: larger than the limit of %d MB", path, IMG_MAX_FILE >> 20);
    }
    if (bad) {
        free(buf);
        return msg_fail(err, errlen, "%s: %s", path, strerror(saved));
    }
    int rc = img_load_memory(out, buf, n, path, err, errlen);
    free(buf);
    return rc;
}

void img_free(ImgRGB *img)
{
    if (!img) return;
    free(img->rgb);
    img->rgb = NULL;
    img->w = img->h = 0;
}

/* ---------------------------------------------------------------- examples */

const char *const img_example_names[] = {"ducks", "shapes", "gradient", "tiny", NULL};

static int img_new(ImgRGB *out, int w, int h)
{
    out->w = w;
    out->h = h;
    out->rgb = calloc((size_t)w * (size_t)h * 3, 1);
    return out->rgb ? 0 : -1;
}

static void put(ImgRGB *im, int x, int y, const unsigned char c[3])
{
    if (x < 0 || y < 0 || x >= im->w || y >= im->h) return;
    unsigned char *p = im->rgb + ((size_t)y * im->w + x) * 3;
    p[0] = c[0];
    p[1] = c[1];
    p[2] = c[2];
}

/* Fills every pixel whose centre lies inside the ellipse (hard edges: each pixel is one
 * clean colour, which keeps tokens and tests simple). */
static void fill_ellipse(ImgRGB *im, double cx, double cy, double rx, double ry, const unsigned char c[3])
{
    for (int y = (int)floor(cy - ry); y <= (int)ceil(cy + ry); y++)
        for (int x = (int)floor(cx - rx); x <= (int)ceil(cx + rx); x++) {
            double dx = (x + 0.5 - cx) / rx, dy = (y + 0.5 - cy) / ry;
            if (dx * dx + dy * dy <= 1.0) put(im, x, y, c);
        }
}

static void fill_rect(ImgRGB *im, int x0, int y0, int x1, int y1, const unsigned char c[3])
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) put(im, x, y, c);
}

static double edge(double ax, double ay, double bx, double by, double px, double py)
{
    return (bx - ax) * (py - ay) - (by - ay) * (px - ax);
}

static void fill_triangle(ImgRGB *im, double ax, double ay, double bx, double by, double cx, double cy,
                          const unsigned char c[3])
{
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            double px = x + 0.5, py = y + 0.5;
            double e0 = edge(ax, ay, bx, by, px, py), e1 = edge(bx, by, cx, cy, px, py),
                   e2 = edge(cx, cy, ax, ay, px, py);
            if ((e0 >= 0 && e1 >= 0 && e2 >= 0) || (e0 <= 0 && e1 <= 0 && e2 <= 0)) put(im, x, y, c);
        }
}

/* One duck facing right, centred in a 40 x 32 cell at (cx, cy). */
static void draw_duck(ImgRGB *im, double cx, double cy, const unsigned char body[3])
{
    static const unsigned char beak[3] = {240, 130, 20}, eye[3] = {25, 25, 30};
    fill_ellipse(im, cx - 3, cy + 4, 11, 7, body);   /* body */
    fill_ellipse(im, cx - 13, cy + 1, 4, 2.5, body); /* tail */
    fill_ellipse(im, cx + 7, cy - 4, 5, 5, body);    /* head */
    fill_ellipse(im, cx + 13, cy - 3, 3.5, 1.8, beak);
    fill_ellipse(im, cx + 8.5, cy - 5.5, 1.2, 1.2, eye);
}

static int draw_ducks(ImgRGB *out)
{
    static const unsigned char pond[3] = {40, 140, 150}, ripple[3] = {70, 170, 178},
                               yellow[3] = {250, 215, 40}, blue[3] = {40, 70, 230};
    if (img_new(out, 160, 96)) return -1;
    fill_rect(out, 0, 0, 160, 96, pond);
    /* short ripple lines between the ducks, placed by a fixed rule */
    for (int i = 0; i < 16; i++) {
        int x = (i * 37 + 11) % 150, y = (i * 23 + 5) % 96;
        if (y % 32 < 26) y = (y / 32) * 32 + 28; /* keep them in the gap below each row */
        fill_rect(out, x, y, x + 8, y + 1, ripple);
    }
    /* 4 x 3 ducks; the one in the second row, third column is blue */
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            draw_duck(out, 20 + 40 * c, 14 + 32 * r, (r == 1 && c == 2) ? blue : yellow);
    return 0;
}

static int draw_shapes(ImgRGB *out)
{
    static const unsigned char grey[3] = {128, 128, 128}, red[3] = {225, 40, 40},
                               green[3] = {40, 180, 60}, blue[3] = {40, 70, 225};
    if (img_new(out, 128, 128)) return -1;
    fill_rect(out, 0, 0, 128, 128, grey);
    fill_ellipse(out, 36, 38, 24, 24, red);
    fill_rect(out, 72, 16, 116, 60, green);
    fill_triangle(out, 64, 70, 22, 120, 106, 120, blue);
    return 0;
}

static int draw_gradient(ImgRGB *out)
{
    if (img_new(out, 64, 64)) return -1;
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++) {
            unsigned char c[3] = {(unsigned char)((x * 255 + 31) / 63), 0, (unsigned char)((y * 255 + 31) / 63)};
            put(out, x, y, c);
        }
    return 0;
}

/* 10 x 5: hue steps 36 degrees across the columns, brightness falls down the rows, so all
 * 50 colours differ (the brightest channel tells the row, the hue the column). */
static int draw_tiny(ImgRGB *out)
{
    static const int value[5] = {255, 215, 175, 135, 95};
    if (img_new(out, 10, 5)) return -1;
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 10; x++) {
            int v = value[y];
            int hue = x * 36;            /* degrees */
            int sector = hue / 60, f = hue % 60;
            int rise = v * f / 60, fall = v - rise;
            int r, g, b;
            switch (sector) {
            case 0: r = v; g = rise; b = 0; break;
            case 1: r = fall; g = v; b = 0; break;
            case 2: r = 0; g = v; b = rise; break;
            case 3: r = 0; g = fall; b = v; break;
            case 4: r = rise; g = 0; b = v; break;
            default: r = v; g = 0; b = fall; break;
            }
            unsigned char c[3] = {(unsigned char)r, (unsigned char)g, (unsigned char)b};
            put(out, x, y, c);
        }
    return 0;
}

int img_example(ImgRGB *out, const char *name)
{
    out->w = out->h = 0;
    out->rgb = NULL;
    if (!name) return -1;
    if (strcmp(name, "ducks") == 0) return draw_ducks(out);
    if (strcmp(name, "shapes") == 0) return draw_shapes(out);
    if (strcmp(name, "gradient") == 0) return draw_gradient(out);
    if (strcmp(name, "tiny") == 0) return draw_tiny(out);
    return -1;
}

/* ---------------------------------------------------------------- resizing */

/* One axis of the resampling: out[i] = sum over k < count of weight[i*maxc+k] * in[first[i]+k]. */
typedef struct {
    int *first, *count;
    double *weight;
    int maxc;
} Axis;

static void axis_free(Axis *a)
{
    free(a->first);
    free(a->count);
    free(a->weight);
}

/* Shrinking: target pixel i covers the source interval [i*s, (i+1)*s), s = in/out, and each
 * source pixel counts by the length of it that lies inside (fractional coverage), divided
 * by s. Growing or equal: the source pixel under the target pixel's centre. */
static int axis_make(Axis *a, int in, int out)
{
    a->maxc = out < in ? (int)ceil((double)in / out) + 1 : 1;
    a->first = malloc(sizeof(int) * (size_t)out);
    a->count = malloc(sizeof(int) * (size_t)out);
    a->weight = malloc(sizeof(double) * (size_t)out * (size_t)a->maxc);
    if (!a->first || !a->count || !a->weight) { axis_free(a); return -1; }
    for (int i = 0; i < out; i++) {
        if (out >= in) {
            long long s = ((long long)i * in * 2 + in) / ((long long)out * 2);
            a->first[i] = (int)(s < in ? s : in - 1);
            a->count[i] = 1;
            a->weight[(size_t)i * a->maxc] = 1.0;
            continue;
        }
        double s = (double)in / out, lo = i * s, hi = (i + 1) * s;
        if (i == out - 1) hi = in;
        int j0 = (int)floor(lo), j1 = (int)ceil(hi);
        if (j1 > in) j1 = in;
        int c = 0;
        double total = 0;
        for (int j = j0; j < j1 && c < a->maxc; j++) {
            double l = j > lo ? j : lo, r = j + 1 < hi ? j + 1 : hi;
            if (r - l <= 1e-12) { if (c == 0) j0 = j + 1; continue; }
            a->weight[(size_t)i * a->maxc + c++] = r - l;
            total += r - l;
        }
        a->first[i] = j0;
        a->count[i] = c;
        for (int k = 0; k < c; k++) a->weight[(size_t)i * a->maxc + k] /= total;
    }
    return 0;
}

int img_resize(ImgRGB *out, const ImgRGB *in, int w, int h)
{
    out->w = out->h = 0;
    out->rgb = NULL;
    if (!in || !in->rgb || in->w < 1 || in->h < 1 || w < 1 || h < 1 || w > IMG_MAX_SIDE || h > IMG_MAX_SIDE)
        return -1;
    Axis ax, ay;
    if (axis_make(&ax, in->w, w)) return -1;
    if (axis_make(&ay, in->h, h)) { axis_free(&ax); return -1; }
    /* horizontal pass into floats (w x in->h), then vertical into bytes */
    float *mid = malloc(sizeof(float) * (size_t)w * (size_t)in->h * 3);
    if (!mid || img_new(out, w, h)) {
        free(mid);
        axis_free(&ax);
        axis_free(&ay);
        out->w = out->h = 0;
        return -1;
    }
    for (int y = 0; y < in->h; y++) {
        const unsigned char *row = in->rgb + (size_t)y * in->w * 3;
        float *m = mid + (size_t)y * w * 3;
        for (int x = 0; x < w; x++) {
            double acc[3] = {0, 0, 0};
            for (int k = 0; k < ax.count[x]; k++) {
                double wt = ax.weight[(size_t)x * ax.maxc + k];
                const unsigned char *p = row + (size_t)(ax.first[x] + k) * 3;
                acc[0] += wt * p[0];
                acc[1] += wt * p[1];
                acc[2] += wt * p[2];
            }
            for (int c = 0; c < 3; c++) m[x * 3 + c] = (float)acc[c];
        }
    }
    for (int y = 0; y < h; y++) {
        unsigned char *o = out->rgb + (size_t)y * w * 3;
        for (int x = 0; x < w * 3; x++) {
            double acc = 0;
            for (int k = 0; k < ay.count[y]; k++)
                acc += ay.weight[(size_t)y * ay.maxc + k] * mid[((size_t)(ay.first[y] + k) * w) * 3 + x];
            long v = lround(acc);
            o[x] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    free(mid);
    axis_free(&ax);
    axis_free(&ay);
    return 0;
}

/* ---------------------------------------------------------------- tokens */

static const char *plural(int n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int img_tokens(float **features, int *n, int *d_feature, ImgTokens *info, const ImgRGB *img,
               ImgMode mode, int patch, int max_side, char *err, size_t errlen)
{
    *features = NULL;
    *n = 0;
    *d_feature = 0;
    memset(info, 0, sizeof *info);
    if (!img || !img->rgb || img->w < 1 || img->h < 1) return msg_fail(err, errlen, "no picture to turn into tokens");
    int P = 1;
    if (mode == IMG_PATCHES) {
        if (patch < 1 || patch > 64)
            return msg_fail(err, errlen, "patch size %d is outside 1..64", patch);
        P = patch;
    } else if (mode != IMG_PIXELS) {
        return msg_fail(err, errlen, "unknown token mode %d", (int)mode);
    }
    if (max_side < 1) return msg_fail(err, errlen, "max_side %d: at least 1 token a side is needed", max_side);

    /* shrink, keeping proportions, so neither side exceeds max_side * P pixels */
    long long limit = (long long)max_side * P;
    int rw = img->w, rh = img->h;
    if (img->w > limit || img->h > limit) {
        if (img->w >= img->h) {
            rw = (int)limit;
            rh = (int)(((long long)img->h * limit * 2 + img->w) / ((long long)img->w * 2));
        } else {
            rh = (int)limit;
            rw = (int)(((long long)img->w * limit * 2 + img->h) / ((long long)img->h * 2));
        }
        if (rw < 1) rw = 1;
        if (rh < 1) rh = 1;
    }
    int gw = rw / P, gh = rh / P;
    if (gw < 1 || gh < 1) {
        if (rw != img->w || rh != img->h)
            return msg_fail(err, errlen, "%d x %d pixels shrunk to %d x %d (max_side %d) is smaller than one patch of %d x %d",
                        img->w, img->h, rw, rh, max_side, P, P);
        return msg_fail(err, errlen, "%d x %d pixels is smaller than one patch of %d x %d", rw, rh, P, P);
    }
    long long tokens = (long long)gw * gh;
    if (tokens > IMG_MAX_TOKENS)
        return msg_fail(err, errlen, "%lld tokens (%d x %d) is more than the limit of %d; lower max_side%s",
                    tokens, gw, gh, IMG_MAX_TOKENS, mode == IMG_PATCHES ? " or use larger patches" : "");

    ImgRGB sized = *img;
    int resized = rw != img->w || rh != img->h;
    if (resized && img_resize(&sized, img, rw, rh))
        return msg_fail(err, errlen, "out of memory resizing %d x %d to %d x %d", img->w, img->h, rw, rh);

    /* crop to whole patches, taking the extra pixels evenly from both sides */
    int uw = gw * P, uh = gh * P, x0 = (rw - uw) / 2, y0 = (rh - uh) / 2;
    int d = P * P * 3;
    float *f = malloc(sizeof(float) * (size_t)tokens * (size_t)d);
    if (!f || img_new(&info->view, uw, uh)) {
        free(f);
        if (resized) img_free(&sized);
        memset(info, 0, sizeof *info);
        return msg_fail(err, errlen, "out of memory for %lld tokens of %d numbers", tokens, d);
    }
    for (int y = 0; y < uh; y++)
        memcpy(info->view.rgb + (size_t)y * uw * 3, sized.rgb + ((size_t)(y0 + y) * rw + x0) * 3, (size_t)uw * 3);
    if (resized) img_free(&sized);

    for (int ty = 0; ty < gh; ty++)
        for (int tx = 0; tx < gw; tx++) {
            float *o = f + ((size_t)ty * gw + tx) * d;
            for (int py = 0; py < P; py++) {
                const unsigned char *src = info->view.rgb + ((size_t)(ty * P + py) * uw + (size_t)tx * P) * 3;
                for (int k = 0; k < P * 3; k++) *o++ = src[k] / 255.0f;
            }
        }

    info->mode = mode;
    info->patch = P;
    info->grid_w = gw;
    info->grid_h = gh;
    info->used_w = uw;
    info->used_h = uh;
    int len;
    if (mode == IMG_PATCHES)
        len = snprintf(info->note, sizeof info->note, "%d x %d pixels, %d x %d patches of %d x %d", uw, uh, gw,
                       gh, P, P);
    else
        len = snprintf(info->note, sizeof info->note, "%d x %d pixels, %lld pixel tokens", uw, uh, tokens);
    if (resized && len >= 0 && (size_t)len < sizeof info->note)
        len += snprintf(info->note + len, sizeof info->note - (size_t)len, "; resized from %d x %d", img->w,
                        img->h);
    int cw = rw - uw, ch = rh - uh;
    if ((cw || ch) && len >= 0 && (size_t)len < sizeof info->note) {
        len += snprintf(info->note + len, sizeof info->note - (size_t)len, "; cropped");
        if (cw && (size_t)len < sizeof info->note)
            len += snprintf(info->note + len, sizeof info->note - (size_t)len, " %d %s", cw,
                            plural(cw, "column", "columns"));
        if (cw && ch && (size_t)len < sizeof info->note)
            len += snprintf(info->note + len, sizeof info->note - (size_t)len, " and");
        if (ch && (size_t)len < sizeof info->note)
            snprintf(info->note + len, sizeof info->note - (size_t)len, " %d %s", ch, plural(ch, "row", "rows"));
    }

    *features = f;
    *n = (int)tokens;
    *d_feature = d;
    return 0;
}

void img_tokens_free(ImgTokens *info)
{
    if (!info) return;
    img_free(&info->view);
}
