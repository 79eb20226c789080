/* test_cmap.c: colour maps, value -> t mapping, names and text contrast. */
#include "test.h"
#include "../src/draw/cmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double lin(unsigned char c)
{
    double s = c / 255.0;
    return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4);
}

static double luminance(CmapRGB c)
{
    return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

#define EXPECT_RGB(c, R, G, B, tol)     \
    do {                                \
        CmapRGB c_ = (c);               \
        EXPECT_NEAR(c_.r, (R), (tol));  \
        EXPECT_NEAR(c_.g, (G), (tol));  \
        EXPECT_NEAR(c_.b, (B), (tol));  \
    } while (0)

static void viridis_endpoints_match_reference(void)
{
    EXPECT_RGB(cmap_color(CMAP_VIRIDIS, 0.0f), 68, 1, 84, 1);
    EXPECT_RGB(cmap_color(CMAP_VIRIDIS, 1.0f), 253, 231, 37, 1);
}

static void viridis_middle_matches_reference(void)
{
    /* matplotlib's viridis at 0.5 is (33,145,140) */
    EXPECT_RGB(cmap_color(CMAP_VIRIDIS, 0.5f), 33, 145, 140, 2);
}

static void cividis_endpoints(void)
{
    EXPECT_RGB(cmap_color(CMAP_CIVIDIS, 0.0f), 0, 34, 78, 1);
    EXPECT_RGB(cmap_color(CMAP_CIVIDIS, 1.0f), 254, 232, 56, 1);
}

static void gray_is_linear(void)
{
    for (int i = 0; i <= 255; i++) {
        CmapRGB c = cmap_color(CMAP_GRAY, (float)i / 255.0f);
        EXPECT_INT(c.r, i);
        EXPECT_INT(c.g, i);
        EXPECT_INT(c.b, i);
    }
}

static void diverging_endpoints_are_cool_warm(void)
{
    EXPECT_RGB(cmap_color(CMAP_DIVERGING, 0.0f), 59, 76, 192, 1);
    EXPECT_RGB(cmap_color(CMAP_DIVERGING, 1.0f), 180, 4, 38, 1);
}

static void diverging_centre_is_neutral(void)
{
    CmapRGB c = cmap_color(CMAP_DIVERGING, 0.5f);
    EXPECT_RGB(c, 221, 221, 221, 1);
    EXPECT(abs(c.r - c.g) <= 2 && abs(c.g - c.b) <= 2 && abs(c.r - c.b) <= 2);
}

static void diverging_sides_are_blue_and_red(void)
{
    CmapRGB lo = cmap_color(CMAP_DIVERGING, 0.25f), hi = cmap_color(CMAP_DIVERGING, 0.75f);
    EXPECT(lo.b > lo.r);
    EXPECT(hi.r > hi.b);
}

static void diverging_t_is_centred_on_zero(void)
{
    EXPECT_NEAR(cmap_t(CMAP_DIVERGING, 0.0f, -3.0f, 1.0f), 0.5, 1e-6);
    EXPECT_NEAR(cmap_t(CMAP_DIVERGING, -3.0f, -3.0f, 1.0f), 0.0, 1e-6);
    EXPECT_NEAR(cmap_t(CMAP_DIVERGING, 1.0f, -3.0f, 1.0f), 0.5 + 0.5 / 3.0, 1e-6);
    EXPECT_NEAR(cmap_t(CMAP_DIVERGING, 3.0f, -1.0f, 3.0f), 1.0, 1e-6);
    EXPECT_NEAR(cmap_t(CMAP_DIVERGING, 2.0f, 0.5f, 4.0f), 0.75, 1e-6);
    EXPECT_NEAR(cmap_t(CMAP_DIVERGING, 0.0f, 0.0f, 0.0f), 0.5, 1e-6);
}

static void sequential_t_spans_range(void)
{
    for (int k = CMAP_VIRIDIS; k <= CMAP_GRAY; k++) {
        EXPECT_NEAR(cmap_t((CmapKind)k, 2.0f, 2.0f, 6.0f), 0.0, 1e-6);
        EXPECT_NEAR(cmap_t((CmapKind)k, 3.0f, 2.0f, 6.0f), 0.25, 1e-6);
        EXPECT_NEAR(cmap_t((CmapKind)k, 6.0f, 2.0f, 6.0f), 1.0, 1e-6);
        EXPECT_NEAR(cmap_t((CmapKind)k, -0.5f, -1.0f, 0.0f), 0.5, 1e-6);
        EXPECT_NEAR(cmap_t((CmapKind)k, 7.0f, 7.0f, 7.0f), 0.5, 1e-6);
    }
}

static int same(CmapRGB a, CmapRGB b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b;
}

static void t_is_clamped_and_nan_safe(void)
{
    for (int k = 0; k < CMAP_COUNT; k++) {
        CmapKind kind = (CmapKind)k;
        EXPECT(same(cmap_color(kind, -0.5f), cmap_color(kind, 0.0f)));
        EXPECT(same(cmap_color(kind, -INFINITY), cmap_color(kind, 0.0f)));
        EXPECT(same(cmap_color(kind, 7.0f), cmap_color(kind, 1.0f)));
        EXPECT(same(cmap_color(kind, INFINITY), cmap_color(kind, 1.0f)));
        EXPECT(same(cmap_color(kind, NAN), cmap_color(kind, 0.5f)));
        EXPECT(same(cmap_color(kind, cmap_t(kind, NAN, 0.0f, 1.0f)), cmap_color(kind, 0.5f)));
    }
}

static void top_is_colour_at_one(void)
{
    for (int k = 0; k < CMAP_COUNT; k++)
        EXPECT(same(cmap_top((CmapKind)k), cmap_color((CmapKind)k, 1.0f)));
    EXPECT_RGB(cmap_top(CMAP_VIRIDIS), 253, 231, 37, 1);
    EXPECT_RGB(cmap_top(CMAP_GRAY), 255, 255, 255, 0);
}

static void maps_are_monotone_in_luminance(void)
{
    const CmapKind kinds[] = { CMAP_VIRIDIS, CMAP_CIVIDIS, CMAP_GRAY };
    for (int m = 0; m < 3; m++) {
        double prev = -1.0;
        for (int i = 0; i <= 32; i++) {
            double l = luminance(cmap_color(kinds[m], (float)i / 32.0f));
            EXPECT_MSG(l > prev, "%s: luminance at %d/32 is %g, not above %g",
                       cmap_name(kinds[m]), i, l, prev);
            prev = l;
        }
    }
}

static void interpolation_is_continuous(void)
{
    /* between anchors the colour moves smoothly: no jumps at fine steps */
    for (int k = 0; k < CMAP_COUNT; k++) {
        CmapRGB prev = cmap_color((CmapKind)k, 0.0f);
        for (int i = 1; i <= 1024; i++) {
            CmapRGB c = cmap_color((CmapKind)k, (float)i / 1024.0f);
            EXPECT_MSG(abs(c.r - prev.r) <= 2 && abs(c.g - prev.g) <= 2 && abs(c.b - prev.b) <= 2,
                       "%s jumps at %d/1024", cmap_name((CmapKind)k), i);
            prev = c;
        }
    }
}

static void parse_round_trips_names(void)
{
    for (int k = 0; k < CMAP_COUNT; k++) {
        CmapKind out = CMAP_COUNT;
        const char *name = cmap_name((CmapKind)k);
        EXPECT_INT(cmap_parse(name, &out), 0);
        EXPECT_INT(out, k);
        EXPECT(strstr(cmap_names(), name) != NULL);
    }
    EXPECT_STR(cmap_name(CMAP_VIRIDIS), "viridis");
    EXPECT_STR(cmap_name(CMAP_CIVIDIS), "cividis");
    EXPECT_STR(cmap_name(CMAP_GRAY), "gray");
    EXPECT_STR(cmap_name(CMAP_DIVERGING), "diverging");
    EXPECT_STR(cmap_names(), "viridis|cividis|gray|diverging");
}

static void parse_rejects_unknown(void)
{
    CmapKind out = CMAP_GRAY;
    EXPECT_INT(cmap_parse("jet", &out), -1);
    EXPECT_INT(cmap_parse("", &out), -1);
    EXPECT_INT(cmap_parse("viridis ", &out), -1);
    EXPECT_INT(cmap_parse("viridis|gray", &out), -1);
    EXPECT_INT(cmap_parse(NULL, &out), -1);
    EXPECT_INT(out, CMAP_GRAY);
    EXPECT_STR(cmap_name(CMAP_COUNT), "unknown");
}

static void text_on_dark_is_white(void)
{
    CmapRGB white = { 255, 255, 255 };
    EXPECT(same(cmap_text_on(cmap_color(CMAP_VIRIDIS, 0.0f)), white));
    EXPECT(same(cmap_text_on(cmap_color(CMAP_GRAY, 0.0f)), white));
    EXPECT(same(cmap_text_on(cmap_color(CMAP_DIVERGING, 0.0f)), white));
}

static void text_on_light_is_black(void)
{
    CmapRGB black = { 0, 0, 0 };
    EXPECT(same(cmap_text_on(cmap_color(CMAP_VIRIDIS, 1.0f)), black));
    EXPECT(same(cmap_text_on(cmap_color(CMAP_GRAY, 1.0f)), black));
    EXPECT(same(cmap_text_on(cmap_color(CMAP_DIVERGING, 0.5f)), black));
}

void suite_cmap(void)
{
    RUN(viridis_endpoints_match_reference);
    RUN(viridis_middle_matches_reference);
    RUN(cividis_endpoints);
    RUN(gray_is_linear);
    RUN(diverging_endpoints_are_cool_warm);
    RUN(diverging_centre_is_neutral);
    RUN(diverging_sides_are_blue_and_red);
    RUN(diverging_t_is_centred_on_zero);
    RUN(sequential_t_spans_range);
    RUN(t_is_clamped_and_nan_safe);
    RUN(top_is_colour_at_one);
    RUN(maps_are_monotone_in_luminance);
    RUN(interpolation_is_continuous);
    RUN(parse_round_trips_names);
    RUN(parse_rejects_unknown);
    RUN(text_on_dark_is_white);
    RUN(text_on_light_is_black);
}
