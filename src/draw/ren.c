/* ren.c: drawing primitives and text on an SDL_Renderer. Text is split into runs by which
 * font has each glyph (DejaVu Sans first, the CJK font second), each run rendered with
 * SDL2_ttf and cached as a texture keyed by text, size, face and colour. */
#include "ren.h"

#include <SDL_ttf.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_SIZES 24     /* distinct pixel sizes kept open per face */
#define CACHE_SLOTS 1024
#define MAX_RUNS 64

enum { F_SANS, F_BOLD, F_MONO, F_ITALIC, F_CJK, F_COUNT };

typedef struct {
    int px;
    TTF_Font *font;
} SizedFont;

struct RenFonts {
    char path[F_COUNT][1024];
    int index[F_COUNT];
    SizedFont sized[F_COUNT][N_SIZES];
    char desc[256];
};

typedef struct {
    uint64_t key;
    SDL_Texture *tex;
    int w, h;
    unsigned last_use;
} CacheSlot;

typedef struct {
    uint64_t key;
    float width;
} WidthSlot;

#define WIDTH_SLOTS 4096

struct Ren {
    SDL_Renderer *r;
    RenFonts *fonts;
    float scale;
    unsigned tick;
    CacheSlot cache[CACHE_SLOTS];
    WidthSlot widths[WIDTH_SLOTS]; /* measured text widths: layout asks for the same ones often */
    SDL_Rect base;      /* the outer clip: ren_clip narrows it and clearing returns to it */
    int has_base;
};

/* ---------------------------------------------------------------- fonts */

static int file_exists(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* Asks fontconfig for a pattern; accepts the answer only if its family contains want_family
 * (fontconfig always answers something). */
static int fc_find(const char *pattern, const char *want_family, char *path, size_t len, int *index)
{
    int ok = 0;
    FcPattern *pat = FcNameParse((const FcChar8 *)pattern);
    if (!pat) return 0;
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult res;
    FcPattern *m = FcFontMatch(NULL, pat, &res);
    if (m) {
        FcChar8 *file = NULL, *family = NULL;
        int idx = 0;
        if (FcPatternGetString(m, FC_FILE, 0, &file) == FcResultMatch &&
            FcPatternGetString(m, FC_FAMILY, 0, &family) == FcResultMatch) {
            FcPatternGetInteger(m, FC_INDEX, 0, &idx);
            if ((!want_family || strstr((const char *)family, want_family)) && file_exists((const char *)file)) {
                snprintf(path, len, "%s", (const char *)file);
                *index = idx;
                ok = 1;
            }
        }
        FcPatternDestroy(m);
    }
    FcPatternDestroy(pat);
    return ok;
}

static int find_face(RenFonts *f, int which, const char *env, const char *pattern,
                     const char *family, const char *const *known)
{
    const char *e = getenv(env);
    if (e && *e) {
        if (!file_exists(e)) return 0;
        snprintf(f->path[which], sizeof f->path[which], "%s", e);
        return 1;
    }
    if (fc_find(pattern, family, f->path[which], sizeof f->path[which], &f->index[which])) return 1;
    for (int i = 0; known[i]; i++)
        if (file_exists(known[i])) {
            snprintf(f->path[which], sizeof f->path[which], "%s", known[i]);
            f->index[which] = 0;
            return 1;
        }
    return 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

RenFonts *ren_fonts_open(char *err, size_t errlen)
{
    static const char *const sans[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", NULL};
    static const char *const bold[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", NULL};
    static const char *const mono[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", NULL};
    static const char *const italic[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf", NULL};
    static const char *const cjk[] = {"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                                      "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                                      "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                                      "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", NULL};
    if (!TTF_WasInit() && TTF_Init() != 0) {
        snprintf(err, errlen, "cannot start SDL_ttf: %s", TTF_GetError());
        return NULL;
    }
    RenFonts *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    FcInit();
    int have_env = getenv("ATTNLAB_FONT") && *getenv("ATTNLAB_FONT");
    if (!find_face(f, F_SANS, "ATTNLAB_FONT", "DejaVu Sans:style=Book", "DejaVu Sans", sans)) {
        if (have_env)
            snprintf(err, errlen, "no usable font: ATTNLAB_FONT=%s does not exist", getenv("ATTNLAB_FONT"));
        else
            snprintf(err, errlen, "no usable font: fontconfig has no \"DejaVu Sans\" and %s is "
                     "missing (install the Debian package fonts-dejavu-core)", sans[0]);
        free(f);
        return NULL;
    }
    /* bold and mono fall back to the regular face rather than failing */
    if (have_env || !find_face(f, F_BOLD, "ATTNLAB_FONT_BOLD", "DejaVu Sans:bold", "DejaVu Sans", bold)) {
        memcpy(f->path[F_BOLD], f->path[F_SANS], sizeof f->path[F_SANS]);
        f->index[F_BOLD] = f->index[F_SANS];
    }
    if (have_env || !find_face(f, F_MONO, "ATTNLAB_FONT_MONO", "DejaVu Sans Mono", "DejaVu Sans Mono", mono)) {
        memcpy(f->path[F_MONO], f->path[F_SANS], sizeof f->path[F_SANS]);
        f->index[F_MONO] = f->index[F_SANS];
    }
    if (have_env || !find_face(f, F_ITALIC, "ATTNLAB_FONT_ITALIC", "DejaVu Sans:oblique", "DejaVu Sans", italic)) {
        memcpy(f->path[F_ITALIC], f->path[F_SANS], sizeof f->path[F_SANS]);
        f->index[F_ITALIC] = f->index[F_SANS];
    }
    if (!find_face(f, F_CJK, "ATTNLAB_CJK_FONT", "WenQuanYi Micro Hei", "WenQuanYi", cjk) &&
        !find_face(f, F_CJK, "ATTNLAB_CJK_FONT", ":lang=zh-tw", NULL, cjk))
        f->path[F_CJK][0] = 0;
    /* fail now, not at the first text, if the Latin file is not a font */
    TTF_Font *probe = TTF_OpenFontIndex(f->path[F_SANS], 12, f->index[F_SANS]);
    if (!probe) {
        snprintf(err, errlen, "no usable font: cannot open %s: %s", f->path[F_SANS], TTF_GetError());
        free(f);
        return NULL;
    }
    TTF_CloseFont(probe);
    snprintf(f->desc, sizeof f->desc, "%.120s + %.120s", base_name(f->path[F_SANS]),
             f->path[F_CJK][0] ? base_name(f->path[F_CJK]) : "no CJK font");
    return f;
}

void ren_fonts_close(RenFonts *f)
{
    if (!f) return;
    for (int w = 0; w < F_COUNT; w++)
        for (int i = 0; i < N_SIZES; i++)
            if (f->sized[w][i].font) TTF_CloseFont(f->sized[w][i].font);
    free(f);
}

const char *ren_fonts_describe(const RenFonts *f) { return f->desc; }

static TTF_Font *font_at(RenFonts *f, int which, int px)
{
    if (which == F_CJK && !f->path[F_CJK][0]) return NULL;
    if (px < 4) px = 4;
    SizedFont *slots = f->sized[which];
    int free_slot = -1;
    for (int i = 0; i < N_SIZES; i++) {
        if (slots[i].font && slots[i].px == px) return slots[i].font;
        if (!slots[i].font && free_slot < 0) free_slot = i;
    }
    if (free_slot < 0) { /* all sizes in use: replace one */
        free_slot = px % N_SIZES;
        TTF_CloseFont(slots[free_slot].font);
        slots[free_slot].font = NULL;
    }
    TTF_Font *font = TTF_OpenFontIndex(f->path[which], px, f->index[which]);
    if (!font) return NULL;
    TTF_SetFontHinting(font, TTF_HINTING_LIGHT);
    slots[free_slot].font = font;
    slots[free_slot].px = px;
    return font;
}

/* ---------------------------------------------------------------- renderer */

Ren *ren_create(SDL_Renderer *r, RenFonts *fonts, float scale)
{
    Ren *ren = calloc(1, sizeof *ren);
    if (!ren) return NULL;
    ren->r = r;
    ren->fonts = fonts;
    ren->scale = scale > 0 ? scale : 1.0f;
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    return ren;
}

void ren_destroy(Ren *ren)
{
    if (!ren) return;
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (ren->cache[i].tex) SDL_DestroyTexture(ren->cache[i].tex);
    free(ren);
}

void ren_set_scale(Ren *ren, float scale)
{
    /* widths are cached in logical units for one scale */
    if (scale != ren->scale) memset(ren->widths, 0, sizeof ren->widths);
    ren->scale = scale > 0 ? scale : 1.0f;
}
float ren_scale(const Ren *ren) { return ren->scale; }

static int px(const Ren *ren, float v) { return (int)lroundf(v * ren->scale); }

void ren_clip(Ren *ren, float x, float y, float w, float h)
{
    if (w <= 0 || h <= 0) {
        SDL_RenderSetClipRect(ren->r, ren->has_base ? &ren->base : NULL);
        return;
    }
    SDL_Rect rc = {px(ren, x), px(ren, y), px(ren, x + w) - px(ren, x), px(ren, y + h) - px(ren, y)}, both;
    if (ren->has_base) {
        if (!SDL_IntersectRect(&rc, &ren->base, &both)) both = (SDL_Rect){0, 0, 0, 0};
        rc = both;
        /* SDL treats an empty clip rectangle as none: keep one pixel off screen instead */
        if (rc.w <= 0 || rc.h <= 0) rc = (SDL_Rect){-2, -2, 1, 1};
    }
    SDL_RenderSetClipRect(ren->r, &rc);
}

void ren_clip_base(Ren *ren, float x, float y, float w, float h)
{
    ren->has_base = w > 0 && h > 0;
    if (ren->has_base)
        ren->base = (SDL_Rect){px(ren, x), px(ren, y), px(ren, x + w) - px(ren, x), px(ren, y + h) - px(ren, y)};
    SDL_RenderSetClipRect(ren->r, ren->has_base ? &ren->base : NULL);
}

static void set_color(Ren *ren, RenColor c) { SDL_SetRenderDrawColor(ren->r, c.r, c.g, c.b, c.a); }

void ren_rect(Ren *ren, float x, float y, float w, float h, RenColor c)
{
    /* edges snap to the pixel grid from both sides, so neighbouring cells never gap */
    int x0 = px(ren, x), y0 = px(ren, y), x1 = px(ren, x + w), y1 = px(ren, y + h);
    if (x1 <= x0 || y1 <= y0) return;
    SDL_Rect rc = {x0, y0, x1 - x0, y1 - y0};
    set_color(ren, c);
    SDL_RenderFillRect(ren->r, &rc);
}

void ren_frame(Ren *ren, float x, float y, float w, float h, float t, RenColor c)
{
    ren_rect(ren, x, y, w, t, c);
    ren_rect(ren, x, y + h - t, w, t, c);
    ren_rect(ren, x, y + t, t, h - 2 * t, c);
    ren_rect(ren, x + w - t, y + t, t, h - 2 * t, c);
}

void ren_line(Ren *ren, float x0, float y0, float x1, float y1, RenColor c)
{
    set_color(ren, c);
    SDL_RenderDrawLine(ren->r, px(ren, x0), px(ren, y0), px(ren, x1), px(ren, y1));
}

void ren_image(Ren *ren, float x, float y, float w, float h, const unsigned char *rgba, int pw, int ph)
{
    SDL_Texture *tex = SDL_CreateTexture(ren->r, SDL_PIXELFORMAT_ABGR8888, SDL_TEXTUREACCESS_STATIC, pw, ph);
    if (!tex) return;
    SDL_SetTextureScaleMode(tex, SDL_ScaleModeNearest);
    SDL_UpdateTexture(tex, NULL, rgba, pw * 4);
    SDL_Rect dst = {px(ren, x), px(ren, y), px(ren, x + w) - px(ren, x), px(ren, y + h) - px(ren, y)};
    SDL_RenderCopy(ren->r, tex, NULL, &dst);
    SDL_DestroyTexture(tex);
}

void ren_hatch(Ren *ren, float x, float y, float w, float h, float spacing, RenColor c)
{
    int X0 = px(ren, x), Y0 = px(ren, y), W = px(ren, x + w) - X0, H = px(ren, y + h) - Y0;
    int step = (int)lroundf(spacing * ren->scale);
    if (W <= 0 || H <= 0) return;
    if (step < 3) step = 3;
    set_color(ren, c);
    /* lines x - y = k, clipped to the rectangle by hand (no clip-rect state to restore) */
    for (int k = -H + (step - (H % step)) % step; k < W; k += step) {
        int ax = k < 0 ? 0 : k, ay = k < 0 ? -k : 0;
        int len = W - ax < H - ay ? W - ax : H - ay;
        if (len <= 0) continue;
        SDL_RenderDrawLine(ren->r, X0 + ax, Y0 + ay, X0 + ax + len - 1, Y0 + ay + len - 1);
    }
}

/* ---------------------------------------------------------------- text */

typedef struct {
    int face;          /* F_SANS.. F_CJK */
    int start, len;    /* bytes of the source string */
} Run;

static int decode(const unsigned char *s, int len, Uint32 *cp)
{
    /* input is already valid UTF-8 (tokens are checked); be safe anyway */
    if (s[0] < 0x80) { *cp = s[0]; return 1; }
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
    if (n > len || n == 1) { *cp = 0xFFFD; return 1; }
    Uint32 c = s[0] & (0x3F >> (n - 1));
    for (int i = 1; i < n; i++) c = (c << 6) | (s[i] & 0x3F);
    *cp = c;
    return n;
}

static int split_runs(Ren *ren, const char *text, int base_face, int px_size, Run *runs)
{
    TTF_Font *prim = font_at(ren->fonts, base_face, px_size);
    TTF_Font *cjk = font_at(ren->fonts, F_CJK, px_size);
    int n = 0, len = (int)strlen(text);
    for (int i = 0; i < len;) {
        Uint32 cp;
        int k = decode((const unsigned char *)text + i, len - i, &cp);
        int face = base_face;
        if (prim && !TTF_GlyphIsProvided32(prim, cp) && cjk && TTF_GlyphIsProvided32(cjk, cp))
            face = F_CJK;
        if (n > 0 && runs[n - 1].face == face) {
            runs[n - 1].len += k;
        } else if (n < MAX_RUNS) {
            runs[n].face = face;
            runs[n].start = i;
            runs[n].len = k;
            n++;
        } else {
            runs[n - 1].len += k;
        }
        i += k;
    }
    return n;
}

static uint64_t hash_key(const char *s, int len, int face, int size, RenColor c)
{
    uint64_t h = 0xCBF29CE484222325ULL;
    for (int i = 0; i < len; i++) { h ^= (unsigned char)s[i]; h *= 0x100000001B3ULL; }
    uint64_t extra = ((uint64_t)face << 56) ^ ((uint64_t)size << 40) ^
                     ((uint64_t)c.r << 24 | (uint64_t)c.g << 16 | (uint64_t)c.b << 8 | c.a);
    h ^= extra * 0x9E3779B97F4A7C15ULL;
    return h ? h : 1;
}

/* A texture for one run, from the cache or newly rendered. */
static CacheSlot *run_texture(Ren *ren, const char *text, const Run *run, int size, RenColor c)
{
    uint64_t key = hash_key(text + run->start, run->len, run->face, size, c);
    CacheSlot *slot = &ren->cache[key % CACHE_SLOTS];
    ren->tick++;
    if (slot->tex && slot->key == key) {
        slot->last_use = ren->tick;
        return slot;
    }
    TTF_Font *font = font_at(ren->fonts, run->face, size);
    if (!font) return NULL;
    char buf[1024];
    int len = run->len < (int)sizeof buf - 1 ? run->len : (int)sizeof buf - 1;
    memcpy(buf, text + run->start, (size_t)len);
    buf[len] = 0;
    SDL_Color col = {c.r, c.g, c.b, c.a};
    SDL_Surface *s = TTF_RenderUTF8_Blended(font, buf, col);
    if (!s) return NULL;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(ren->r, s);
    int w = s->w, h = s->h;
    SDL_FreeSurface(s);
    if (!tex) return NULL;
    SDL_SetTextureBlendMode(tex, SDL_BLENDMODE_BLEND);
    if (slot->tex) SDL_DestroyTexture(slot->tex);
    slot->key = key;
    slot->tex = tex;
    slot->w = w;
    slot->h = h;
    slot->last_use = ren->tick;
    return slot;
}

static int run_baseline_shift(Ren *ren, int face, int base_face, int size)
{
    TTF_Font *a = font_at(ren->fonts, base_face, size), *b = font_at(ren->fonts, face, size);
    return a && b ? TTF_FontAscent(a) - TTF_FontAscent(b) : 0;
}

static float draw_runs(Ren *ren, float x, float y, const char *text, float size, RenFace face,
                       RenColor c, RenAlign align, int measure_only, int up)
{
    if (!text || !*text) return 0;
    int base = face == REN_BOLD ? F_BOLD : face == REN_MONO ? F_MONO : face == REN_ITALIC ? F_ITALIC : F_SANS;
    int spx = (int)lroundf(size * ren->scale);
    Run runs[MAX_RUNS];
    int n = split_runs(ren, text, base, spx, runs);
    int total = 0;
    for (int i = 0; i < n; i++) {
        TTF_Font *font = font_at(ren->fonts, runs[i].face, spx);
        if (!font) continue;
        char buf[1024];
        int len = runs[i].len < (int)sizeof buf - 1 ? runs[i].len : (int)sizeof buf - 1;
        memcpy(buf, text + runs[i].start, (size_t)len);
        buf[len] = 0;
        int w = 0, h = 0;
        TTF_SizeUTF8(font, buf, &w, &h);
        total += w;
    }
    if (measure_only) return total / ren->scale;
    int X = px(ren, x), Y = px(ren, y);
    if (!up) {
        if (align == REN_CENTER) X -= total / 2;
        else if (align == REN_RIGHT) X -= total;
    }
    int along = 0;
    for (int i = 0; i < n; i++) {
        CacheSlot *slot = run_texture(ren, text, &runs[i], spx, c);
        if (!slot) continue;
        int shift = run_baseline_shift(ren, runs[i].face, base, spx);
        if (!up) {
            SDL_Rect dst = {X + along, Y + shift, slot->w, slot->h};
            SDL_RenderCopy(ren->r, slot->tex, NULL, &dst);
        } else {
            /* rotate about the texture's top-left corner; after a -90 degree turn its top
             * edge lies along x = X and the text reads upwards from Y */
            SDL_Rect dst = {X + shift, Y - along, slot->w, slot->h};
            SDL_Point centre = {0, 0};
            SDL_RenderCopyEx(ren->r, slot->tex, NULL, &dst, -90.0, &centre, SDL_FLIP_NONE);
        }
        along += slot->w;
    }
    return total / ren->scale;
}

float ren_text(Ren *ren, float x, float y, const char *utf8, float size, RenFace face,
               RenColor c, RenAlign align)
{
    return draw_runs(ren, x, y, utf8, size, face, c, align, 0, 0);
}

void ren_text_up(Ren *ren, float x, float y, const char *utf8, float size, RenFace face, RenColor c)
{
    draw_runs(ren, x, y, utf8, size, face, c, REN_LEFT, 0, 1);
}

float ren_text_width(Ren *ren, const char *utf8, float size, RenFace face)
{
    if (!utf8 || !*utf8) return 0;
    int spx = (int)lroundf(size * ren->scale);
    uint64_t key = hash_key(utf8, (int)strlen(utf8), (int)face, spx, (RenColor){0, 0, 0, 0});
    WidthSlot *slot = &ren->widths[key % WIDTH_SLOTS];
    if (slot->key == key) return slot->width;
    float w = draw_runs(ren, 0, 0, utf8, size, face, (RenColor){0, 0, 0, 255}, REN_LEFT, 1, 0);
    slot->key = key;
    slot->width = w;
    return w;
}

float ren_line_height(Ren *ren, float size)
{
    TTF_Font *f = font_at(ren->fonts, F_SANS, (int)lroundf(size * ren->scale));
    return f ? TTF_FontLineSkip(f) / ren->scale : size * 1.2f;
}
