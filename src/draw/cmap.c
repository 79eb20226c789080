/* cmap.c: colour tables and value -> colour mapping (see cmap.h). */
#include "cmap.h"

#include <math.h>
#include <string.h>

#define CMAP_ANCHORS 33 /* t = 0, 1/32, ..., 1 */

/* Sampled from matplotlib's viridis and cividis, 33 points. */
static const CmapRGB cmap_viridis_tab[CMAP_ANCHORS] = {
    { 68,   1,  84}, { 71,  13,  96}, { 72,  24, 106}, { 72,  35, 116},
    { 71,  45, 123}, { 69,  54, 129}, { 66,  64, 134}, { 63,  73, 137},
    { 59,  82, 139}, { 55,  90, 141}, { 51,  99, 141}, { 47, 106, 142},
    { 44, 114, 142}, { 41, 122, 142}, { 38, 129, 142}, { 35, 137, 142},
    { 33, 144, 140}, { 31, 152, 139}, { 31, 159, 136}, { 33, 166, 133},
    { 40, 174, 128}, { 49, 181, 123}, { 62, 188, 116}, { 76, 194, 108},
    { 93, 201,  99}, {110, 206,  88}, {130, 211,  76}, {150, 216,  63},
    {171, 220,  50}, {192, 223,  36}, {213, 226,  26}, {234, 229,  26},
    {253, 231,  37}
};

static const CmapRGB cmap_cividis_tab[CMAP_ANCHORS] = {
    {  0,  34,  78}, {  0,  40,  91}, {  0,  46, 106}, {  4,  51, 113},
    { 26,  56, 111}, { 39,  62, 110}, { 50,  67, 109}, { 59,  73, 108},
    { 67,  78, 108}, { 75,  84, 108}, { 82,  89, 109}, { 90,  95, 110},
    { 97, 101, 111}, {104, 106, 113}, {111, 112, 115}, {117, 118, 118},
    {124, 123, 120}, {132, 129, 121}, {139, 135, 120}, {147, 141, 120},
    {155, 147, 118}, {163, 154, 117}, {171, 160, 114}, {179, 166, 112},
    {187, 173, 108}, {195, 180, 105}, {204, 186, 100}, {212, 193,  95},
    {221, 201,  88}, {230, 208,  81}, {239, 215,  72}, {248, 223,  60},
    {254, 232,  56}
};

/* Moreland's "cool-warm" diverging map (as in matplotlib's coolwarm), 33 points. */
static const CmapRGB cmap_diverging_tab[CMAP_ANCHORS] = {
    { 59,  76, 192}, { 68,  90, 204}, { 77, 104, 215}, { 87, 117, 225},
    { 98, 130, 234}, {108, 142, 241}, {119, 154, 247}, {130, 165, 251},
    {141, 176, 254}, {152, 185, 255}, {163, 194, 255}, {174, 201, 253},
    {184, 208, 249}, {194, 213, 244}, {204, 217, 238}, {213, 219, 230},
    {221, 221, 221}, {229, 216, 209}, {236, 211, 197}, {241, 204, 185},
    {245, 196, 173}, {247, 187, 160}, {247, 177, 148}, {247, 166, 135},
    {244, 154, 123}, {241, 141, 111}, {236, 127,  99}, {229, 112,  88},
    {222,  96,  77}, {213,  80,  66}, {203,  62,  56}, {192,  40,  47},
    {180,   4,  38}
};

static const CmapRGB cmap_gray_tab[2] = { {0, 0, 0}, {255, 255, 255} };

typedef struct {
    const char *name;
    const CmapRGB *tab;
    int n; /* anchors, evenly spaced over [0,1] */
} CmapDef;

static const CmapDef cmap_defs[CMAP_COUNT] = {
    [CMAP_VIRIDIS] = { "viridis", cmap_viridis_tab, CMAP_ANCHORS },
    [CMAP_CIVIDIS] = { "cividis", cmap_cividis_tab, CMAP_ANCHORS },
    [CMAP_GRAY] = { "gray", cmap_gray_tab, 2 },
    [CMAP_DIVERGING] = { "diverging", cmap_diverging_tab, CMAP_ANCHORS },
};

static int cmap_valid(CmapKind kind)
{
    return (int)kind >= 0 && (int)kind < CMAP_COUNT;
}

static unsigned char cmap_lerp8(unsigned char a, unsigned char b, float f)
{
    float v = (float)a + ((float)b - (float)a) * f;
    if (v <= 0.0f) return 0;
    if (v >= 255.0f) return 255;
    return (unsigned char)(v + 0.5f);
}

CmapRGB cmap_color(CmapKind kind, float t)
{
    const CmapDef *d = &cmap_defs[cmap_valid(kind) ? kind : CMAP_VIRIDIS];
    if (isnan(t)) t = 0.5f;
    if (t < 0.0f) t = 0.0f;
    if (t > 1.0f) t = 1.0f;
    float x = t * (float)(d->n - 1);
    int k = (int)x;
    if (k > d->n - 2) k = d->n - 2;
    float f = x - (float)k;
    const CmapRGB a = d->tab[k], b = d->tab[k + 1];
    CmapRGB c = { cmap_lerp8(a.r, b.r, f), cmap_lerp8(a.g, b.g, f), cmap_lerp8(a.b, b.b, f) };
    return c;
}

CmapRGB cmap_top(CmapKind kind)
{
    return cmap_color(kind, 1.0f);
}

int cmap_parse(const char *name, CmapKind *out)
{
    if (!name) return -1;
    for (int i = 0; i < CMAP_COUNT; i++) {
        if (strcmp(name, cmap_defs[i].name) == 0) {
            if (out) *out = (CmapKind)i;
            return 0;
        }
    }
    return -1;
}

const char *cmap_name(CmapKind kind)
{
    return cmap_valid(kind) ? cmap_defs[kind].name : "unknown";
}

const char *cmap_names(void)
{
    return "viridis|cividis|gray|diverging";
}

float cmap_t(CmapKind kind, float v, float lo, float hi)
{
    if (kind == CMAP_DIVERGING) {
        float m = fmaxf(fabsf(lo), fabsf(hi));
        if (m == 0.0f) return 0.5f;
        return 0.5f + 0.5f * v / m;
    }
    if (hi == lo) return 0.5f;
    return (v - lo) / (hi - lo);
}

static double cmap_lin(unsigned char c)
{
    double s = c / 255.0;
    return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4);
}

CmapRGB cmap_text_on(CmapRGB c)
{
    double l = 0.2126 * cmap_lin(c.r) + 0.7152 * cmap_lin(c.g) + 0.0722 * cmap_lin(c.b);
    /* contrast with white (1.05 / (l + 0.05)) vs with black ((l + 0.05) / 0.05) */
    double with_white = 1.05 / (l + 0.05), with_black = (l + 0.05) / 0.05;
    CmapRGB black = { 0, 0, 0 }, white = { 255, 255, 255 };
    return with_black > with_white ? black : white;
}
