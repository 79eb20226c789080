/* test_img.c: loading pictures (each format, damaged, truncated, empty, oversized, missing),
 * the example pictures, resizing, and turning pictures into pixel and patch tokens. */
#include "test.h"
#include "harness.h"
#include "../src/image/img.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image_write.h>

/* ---------------------------------------------------------------- helpers */

static void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", test_tmpdir(), name);
}

typedef struct {
    unsigned char *data;
    size_t len, cap;
} Buf;

static void buf_append(void *ctx, void *data, int size)
{
    Buf *b = ctx;
    if (b->len + (size_t)size > b->cap) {
        size_t cap = (b->len + (size_t)size) * 2;
        unsigned char *nd = realloc(b->data, cap);
        if (!nd) return;
        b->data = nd;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, (size_t)size);
    b->len += (size_t)size;
}

static const unsigned char *px(const ImgRGB *im, int x, int y)
{
    return im->rgb + ((size_t)y * im->w + x) * 3;
}

/* a small deterministic random sequence */
static uint32_t rng(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* 5 x 3 picture with every channel of every pixel different */
static void pattern(unsigned char *rgb, int w, int h)
{
    for (int i = 0; i < w * h * 3; i++) rgb[i] = (unsigned char)(i * 17 + 3);
}

static uint32_t crc32_bytes(const unsigned char *d, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= d[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A PNG whose IHDR (with a correct CRC) claims w x h RGB pixels, followed by a few bytes
 * of IDAT that hold no such picture and IEND. Returns the length written into out. */
static size_t png_claiming(unsigned char *out, uint32_t w, uint32_t h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t n = 0;
    memcpy(out, sig, 8);
    n = 8;
    be32(out + n, 13);
    memcpy(out + n + 4, "IHDR", 4);
    be32(out + n + 8, w);
    be32(out + n + 12, h);
    out[n + 16] = 8; /* bit depth */
    out[n + 17] = 2; /* colour type RGB */
    out[n + 18] = out[n + 19] = out[n + 20] = 0;
    be32(out + n + 21, crc32_bytes(out + n + 4, 17));
    n += 25;
    static const unsigned char idat[6] = {0x78, 0x9c, 0x63, 0x00, 0x00, 0x00};
    be32(out + n, 6);
    memcpy(out + n + 4, "IDAT", 4);
    memcpy(out + n + 8, idat, 6);
    be32(out + n + 14, crc32_bytes(out + n + 4, 10));
    n += 18;
    be32(out + n, 0);
    memcpy(out + n + 4, "IEND", 4);
    be32(out + n + 8, crc32_bytes(out + n + 4, 4));
    return n + 12;
}

/* A 2 x 2 GIF89a made by hand: a 4-colour global palette (red, green, blue, white) and one
 * image whose LZW stream (minimum code size 2, so 3-bit codes) is CLEAR 0 CLEAR 1 CLEAR 2
 * CLEAR 3 END: the clears keep the table from growing, so every code stays 3 bits. Packed
 * least significant bit first that is 04 43 71 05. Pixels: red green / blue white. */
static const unsigned char gif_2x2[] = {
    'G', 'I', 'F', '8', '9', 'a', 2, 0, 2, 0, 0x81, 0, 0,   /* header, screen 2 x 2, GCT of 4 */
    0xff, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
    0x2c, 0, 0, 0, 0, 2, 0, 2, 0, 0x00,                     /* image descriptor */
    0x02, 4, 0x04, 0x43, 0x71, 0x05, 0x00,                  /* LZW data */
    0x3b};

/* ---------------------------------------------------------------- loading */

static void loads_png_exactly(void)
{
    unsigned char rgb[5 * 3 * 3];
    pattern(rgb, 5, 3);
    char path[512];
    tmp_path(path, sizeof path, "good.png");
    EXPECT(stbi_write_png(path, 5, 3, 3, rgb, 5 * 3));
    ImgRGB im;
    char err[300] = "";
    EXPECT_MSG(img_load(&im, path, err, sizeof err) == 0, "%s", err);
    EXPECT_INT(im.w, 5);
    EXPECT_INT(im.h, 3);
    int same = memcmp(im.rgb, rgb, sizeof rgb) == 0;
    img_free(&im);
    EXPECT(same);
    EXPECT(im.rgb == NULL);
}

static void loads_bmp_exactly(void)
{
    unsigned char rgb[5 * 3 * 3];
    pattern(rgb, 5, 3);
    char path[512];
    tmp_path(path, sizeof path, "good.bmp");
    EXPECT(stbi_write_bmp(path, 5, 3, 3, rgb));
    ImgRGB im;
    char err[300] = "";
    EXPECT_MSG(img_load(&im, path, err, sizeof err) == 0, "%s", err);
    EXPECT_INT(im.w, 5);
    EXPECT_INT(im.h, 3);
    int same = memcmp(im.rgb, rgb, sizeof rgb) == 0;
    img_free(&im);
    EXPECT(same);
}

static void loads_jpeg_approximately(void)
{
    /* 32 x 32 in four flat quadrants: JPEG is lossy, but flat 8 x 8 blocks come back close */
    static const unsigned char quad[4][3] = {{220, 30, 30}, {30, 200, 40}, {40, 50, 210}, {240, 240, 240}};
    unsigned char rgb[32 * 32 * 3];
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++)
            memcpy(rgb + (y * 32 + x) * 3, quad[(y / 16) * 2 + x / 16], 3);
    char path[512];
    tmp_path(path, sizeof path, "good.jpg");
    EXPECT(stbi_write_jpg(path, 32, 32, 3, rgb, 95));
    ImgRGB im;
    char err[300] = "";
    EXPECT_MSG(img_load(&im, path, err, sizeof err) == 0, "%s", err);
    EXPECT_INT(im.w, 32);
    EXPECT_INT(im.h, 32);
    for (int q = 0; q < 4; q++) {
        const unsigned char *p = px(&im, (q % 2) * 16 + 8, (q / 2) * 16 + 8);
        for (int c = 0; c < 3; c++)
            if (abs(p[c] - quad[q][c]) > 16) {
                test_fail(__FILE__, __LINE__, "quadrant %d channel %d: %d, expected about %d", q, c, p[c], quad[q][c]);
                img_free(&im);
                return;
            }
    }
    img_free(&im);
}

static void loads_gif_first_frame(void)
{
    static const unsigned char want[12] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
    ImgRGB im;
    char err[300] = "";
    EXPECT_MSG(img_load_memory(&im, gif_2x2, sizeof gif_2x2, "two.gif", err, sizeof err) == 0, "%s", err);
    EXPECT_INT(im.w, 2);
    EXPECT_INT(im.h, 2);
    int same = memcmp(im.rgb, want, 12) == 0;
    img_free(&im);
    EXPECT(same);

    /* and from a file */
    char path[512];
    tmp_path(path, sizeof path, "two.gif");
    EXPECT(harness_write_bytes(path, gif_2x2, sizeof gif_2x2) == 0);
    EXPECT_MSG(img_load(&im, path, err, sizeof err) == 0, "%s", err);
    same = im.w == 2 && im.h == 2 && memcmp(im.rgb, want, 12) == 0;
    img_free(&im);
    EXPECT(same);
}

static void refuses_random_bytes(void)
{
    unsigned char junk[1000];
    uint32_t s = 7;
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)rng(&s);
    junk[0] = 0x00; /* no accidental signature */
    char path[512], want[600];
    tmp_path(path, sizeof path, "junk.png");
    EXPECT(harness_write_bytes(path, junk, sizeof junk) == 0);
    ImgRGB im = {1, 1, NULL};
    char err[600] = "";
    EXPECT(img_load(&im, path, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s: not a picture attnlab can read (PNG, JPEG, BMP or GIF): ", path);
    EXPECT_MSG(strncmp(err, want, strlen(want)) == 0, "message: %s", err);
    EXPECT(im.rgb == NULL && im.w == 0 && im.h == 0);

    /* a PNG signature followed by junk: stb's own reason is passed on */
    memcpy(junk, "\x89PNG\r\n\x1a\n", 8);
    EXPECT(img_load_memory(&im, junk, sizeof junk, "sig.png", err, sizeof err) == -1);
    static const char sig_want[] = "sig.png: not a picture attnlab can read (PNG, JPEG, BMP or GIF): ";
    EXPECT_MSG(strncmp(err, sig_want, strlen(sig_want)) == 0 && strlen(err) > strlen(sig_want), "message: %s", err);
    EXPECT(im.rgb == NULL);
}

static void refuses_other_formats(void)
{
    /* stb_image reads TGA too (which has no signature), but attnlab promises only four */
    unsigned char rgb[5 * 3 * 3];
    pattern(rgb, 5, 3);
    char path[512], want[600];
    tmp_path(path, sizeof path, "pic.tga");
    EXPECT(stbi_write_tga(path, 5, 3, 3, rgb));
    ImgRGB im;
    char err[600] = "";
    EXPECT(img_load(&im, path, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s: not a picture attnlab can read (PNG, JPEG, BMP or GIF): ", path);
    EXPECT_MSG(strncmp(err, want, strlen(want)) == 0, "message: %s", err);
    EXPECT(im.rgb == NULL);
}

static void refuses_truncated_png(void)
{
    /* a noisy picture so the compressed data is long enough to cut */
    enum { W = 64, H = 64 };
    static unsigned char rgb[W * H * 3];
    uint32_t s = 42;
    for (int i = 0; i < W * H * 3; i++) rgb[i] = (unsigned char)rng(&s);
    Buf b = {NULL, 0, 0};
    EXPECT(stbi_write_png_to_func(buf_append, &b, W, H, 3, rgb, W * 3));
    EXPECT(b.len > 1000);
    char path[512];
    tmp_path(path, sizeof path, "half.png");
    int wrote = harness_write_bytes(path, b.data, b.len / 2);
    free(b.data);
    EXPECT(wrote == 0);
    ImgRGB im;
    char err[600] = "";
    EXPECT(img_load(&im, path, err, sizeof err) == -1);
    EXPECT_MSG(strncmp(err, path, strlen(path)) == 0 && strlen(err) > strlen(path) + 2, "message: %s", err);
    EXPECT(im.rgb == NULL);
}

static void refuses_empty_file(void)
{
    char path[512];
    tmp_path(path, sizeof path, "empty.png");
    EXPECT(harness_write_bytes(path, "", 0) == 0);
    ImgRGB im;
    char err[600] = "";
    EXPECT(img_load(&im, path, err, sizeof err) == -1);
    EXPECT_MSG(strncmp(err, path, strlen(path)) == 0 && strstr(err, "empty"), "message: %s", err);
    EXPECT(im.rgb == NULL);
}

static void refuses_huge_header_before_decoding(void)
{
    /* Each file below has a header and next to no pixel data: had the loader tried to
     * decode (and allocate) the claimed picture, stb would have failed with a decoding
     * error instead of the limit being named. */
    unsigned char png[128];
    size_t n = png_claiming(png, 20000, 300);
    ImgRGB im;
    char err[300] = "";
    EXPECT(img_load_memory(&im, png, n, "wide.png", err, sizeof err) == -1);
    EXPECT_STR(err, "wide.png: 20000 x 300 pixels is larger than the limit of 8192 a side");
    EXPECT(im.rgb == NULL);

    n = png_claiming(png, 100000, 100000);
    EXPECT(img_load_memory(&im, png, n, "huge.png", err, sizeof err) == -1);
    EXPECT_STR(err, "huge.png: 100000 x 100000 pixels is larger than the limit of 8192 a side");

    n = png_claiming(png, 0, 5);
    EXPECT(img_load_memory(&im, png, n, "none.png", err, sizeof err) == -1);
    EXPECT_MSG(strncmp(err, "none.png: ", 10) == 0, "message: %s", err);

    /* the same through stbi_info for another format: a GIF screen of 9000 x 10 */
    unsigned char gif[sizeof gif_2x2];
    memcpy(gif, gif_2x2, sizeof gif);
    gif[6] = 9000 & 0xff;
    gif[7] = 9000 >> 8;
    gif[8] = 10;
    gif[9] = 0;
    EXPECT(img_load_memory(&im, gif, sizeof gif, "wide.gif", err, sizeof err) == -1);
    EXPECT_STR(err, "wide.gif: 9000 x 10 pixels is larger than the limit of 8192 a side");

    /* a picture exactly at the limit is not refused for its size (here it fails to decode) */
    n = png_claiming(png, 8192, 1);
    EXPECT(img_load_memory(&im, png, n, "edge.png", err, sizeof err) == -1);
    EXPECT_MSG(!strstr(err, "limit"), "message: %s", err);
}

static void missing_file_named(void)
{
    char path[512], want[600];
    tmp_path(path, sizeof path, "no-such-picture.png");
    ImgRGB im;
    char err[600] = "";
    EXPECT(img_load(&im, path, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    EXPECT_STR(err, want);
    EXPECT(im.rgb == NULL);
}

/* ---------------------------------------------------------------- examples and resizing */

static uint64_t fnv(const ImgRGB *im)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < (size_t)im->w * im->h * 3; i++) h = (h ^ im->rgb[i]) * 1099511628211ull;
    return h ^ (uint64_t)im->w << 32 ^ (uint64_t)im->h;
}

static void examples_have_documented_sizes_and_are_deterministic(void)
{
    static const int size[4][2] = {{160, 96}, {128, 128}, {64, 64}, {10, 5}};
    int count = 0;
    for (int i = 0; img_example_names[i]; i++) count++;
    EXPECT_INT(count, 4);
    for (int i = 0; i < 4; i++) {
        ImgRGB a, b;
        EXPECT(img_example(&a, img_example_names[i]) == 0);
        EXPECT(img_example(&b, img_example_names[i]) == 0);
        uint64_t ha = fnv(&a), hb = fnv(&b);
        int aw = a.w, ah = a.h;
        img_free(&a);
        img_free(&b);
        EXPECT_MSG(ha == hb, "%s differs between runs", img_example_names[i]);
        EXPECT_MSG(aw == size[i][0] && ah == size[i][1], "%s is %d x %d", img_example_names[i], aw, ah);
    }
    ImgRGB x;
    EXPECT(img_example(&x, "swans") == -1);
    EXPECT(x.rgb == NULL);
}

static void gradient_corners(void)
{
    ImgRGB g;
    EXPECT(img_example(&g, "gradient") == 0);
    const unsigned char *tl = px(&g, 0, 0), *tr = px(&g, 63, 0), *bl = px(&g, 0, 63), *br = px(&g, 63, 63);
    int ok = tl[0] == 0 && tl[1] == 0 && tl[2] == 0 && tr[0] == 255 && tr[2] == 0 && bl[0] == 0 &&
             bl[2] == 255 && br[0] == 255 && br[2] == 255;
    img_free(&g);
    EXPECT(ok);
}

static int is_blue(const unsigned char *p)
{
    return p[2] > p[0] + 80 && p[2] > p[1] + 80;
}

static int is_yellow(const unsigned char *p)
{
    return p[0] > 200 && p[1] > 170 && p[2] < 100;
}

/* 4-connected regions of pixels for which pred holds; sizes[] gets each region's size */
static int regions(const ImgRGB *im, int (*pred)(const unsigned char *), int *sizes, int max)
{
    int n = im->w * im->h, count = 0;
    char *seen = calloc((size_t)n, 1);
    int *stack = malloc(sizeof(int) * (size_t)n);
    if (!seen || !stack) { free(seen); free(stack); return -1; }
    for (int i = 0; i < n; i++) {
        if (seen[i] || !pred(im->rgb + (size_t)i * 3)) continue;
        int top = 0, size = 0;
        stack[top++] = i;
        seen[i] = 1;
        while (top) {
            int j = stack[--top], x = j % im->w, y = j / im->w;
            size++;
            int nb[4] = {x > 0 ? j - 1 : -1, x + 1 < im->w ? j + 1 : -1, y > 0 ? j - im->w : -1,
                         y + 1 < im->h ? j + im->w : -1};
            for (int k = 0; k < 4; k++)
                if (nb[k] >= 0 && !seen[nb[k]] && pred(im->rgb + (size_t)nb[k] * 3)) {
                    seen[nb[k]] = 1;
                    stack[top++] = nb[k];
                }
        }
        if (count < max) sizes[count] = size;
        count++;
    }
    free(seen);
    free(stack);
    return count;
}

static void ducks_has_one_blue_duck(void)
{
    ImgRGB d;
    EXPECT(img_example(&d, "ducks") == 0);
    int blue_sizes[16], yellow_sizes[32];
    int blue = regions(&d, is_blue, blue_sizes, 16), yellow = regions(&d, is_yellow, yellow_sizes, 32);
    /* the pond itself is neither */
    const unsigned char *corner = px(&d, 0, 0);
    int pond_neutral = !is_blue(corner) && !is_yellow(corner);
    img_free(&d);
    EXPECT(pond_neutral);
    EXPECT_INT(blue, 1);
    EXPECT_MSG(yellow >= 10 && yellow <= 14, "%d yellow ducks", yellow);
    /* the blue duck is duck-sized: as big as a yellow one */
    EXPECT_MSG(abs(blue_sizes[0] - yellow_sizes[0]) <= yellow_sizes[0] / 5, "blue %d px, yellow %d px",
               blue_sizes[0], yellow_sizes[0]);
}

static void resize_averages_when_shrinking(void)
{
    unsigned char four[12] = {0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0};
    ImgRGB in = {2, 2, four}, out;
    EXPECT(img_resize(&out, &in, 1, 1) == 0);
    int ok = out.w == 1 && out.h == 1 && abs(out.rgb[0] - 128) <= 1 && abs(out.rgb[1] - 128) <= 1 &&
             abs(out.rgb[2] - 128) <= 1;
    img_free(&out);
    EXPECT(ok);

    /* fractional coverage: 3 -> 2 covers [0, 1.5) and [1.5, 3) */
    unsigned char row[9] = {0, 0, 0, 90, 90, 90, 180, 180, 180};
    ImgRGB r = {3, 1, row};
    EXPECT(img_resize(&out, &r, 2, 1) == 0);
    int a = out.rgb[0], b = out.rgb[3];
    img_free(&out);
    EXPECT_INT(a, 30);  /* (0 + 90 * 0.5) / 1.5 */
    EXPECT_INT(b, 150); /* (90 * 0.5 + 180) / 1.5 */
}

static void resize_nearest_when_growing(void)
{
    unsigned char two[6] = {10, 20, 30, 200, 210, 220};
    ImgRGB in = {2, 1, two}, out;
    EXPECT(img_resize(&out, &in, 4, 3) == 0);
    int ok = out.w == 4 && out.h == 3;
    for (int y = 0; ok && y < 3; y++)
        for (int x = 0; x < 4; x++) ok = ok && memcmp(px(&out, x, y), two + (x / 2) * 3, 3) == 0;
    img_free(&out);
    EXPECT(ok);
    EXPECT(img_resize(&out, &in, 0, 3) == -1);
}

/* ---------------------------------------------------------------- tokens */

static void patches_of_a_4x4_picture(void)
{
    unsigned char rgb[4 * 4 * 3];
    for (int i = 0; i < 16; i++) {
        rgb[i * 3] = (unsigned char)(10 * i);
        rgb[i * 3 + 1] = (unsigned char)(10 * i + 1);
        rgb[i * 3 + 2] = (unsigned char)(10 * i + 2);
    }
    ImgRGB im = {4, 4, rgb};
    float *f;
    int n, d;
    ImgTokens info;
    char err[300] = "";
    EXPECT_MSG(img_tokens(&f, &n, &d, &info, &im, IMG_PATCHES, 2, 100, err, sizeof err) == 0, "%s", err);
    int ok_shape = n == 4 && d == 12 && info.grid_w == 2 && info.grid_h == 2 && info.patch == 2 &&
                   info.used_w == 4 && info.used_h == 4 && info.view.w == 4 && info.view.h == 4;
    /* token 0: pixels 0, 1, 4, 5; token 3: pixels 10, 11, 14, 15 (row-major, R G B innermost) */
    static const int tok0[4] = {0, 1, 4, 5}, tok3[4] = {10, 11, 14, 15};
    float want0[12], want3[12];
    for (int p = 0; p < 4; p++)
        for (int c = 0; c < 3; c++) {
            want0[p * 3 + c] = (float)(10 * tok0[p] + c) / 255.0f;
            want3[p * 3 + c] = (float)(10 * tok3[p] + c) / 255.0f;
        }
    double d0 = ok_shape ? test_max_diff(f, want0, 12) : 1, d3 = ok_shape ? test_max_diff(f + 36, want3, 12) : 1;
    int note_ok = strstr(info.note, "4 x 4 pixels, 2 x 2 patches of 2 x 2") && !strstr(info.note, "cropped") &&
                  !strstr(info.note, "resized");
    char note[200];
    memcpy(note, info.note, sizeof note);
    free(f);
    img_tokens_free(&info);
    EXPECT(ok_shape);
    EXPECT_MSG(d0 < 1e-7, "token 0 off by %g", d0);
    EXPECT_MSG(d3 < 1e-7, "token 3 off by %g", d3);
    EXPECT_MSG(note_ok, "note: %s", note);
    EXPECT(info.view.rgb == NULL);
}

static void pixel_tokens_of_tiny(void)
{
    ImgRGB t;
    EXPECT(img_example(&t, "tiny") == 0);
    float *f;
    int n, d;
    ImgTokens info;
    char err[300] = "";
    int rc = img_tokens(&f, &n, &d, &info, &t, IMG_PIXELS, 7, 64, err, sizeof err);
    if (rc != 0) { img_free(&t); EXPECT_MSG(0, "%s", err); }
    int ok = n == 50 && d == 3 && info.grid_w == 10 && info.grid_h == 5 && info.patch == 1 && info.mode == IMG_PIXELS;
    for (int i = 0; ok && i < 50 * 3; i++) ok = fabsf(f[i] - t.rgb[i] / 255.0f) < 1e-7f;
    int distinct = 1;
    for (int i = 0; i < 50; i++)
        for (int j = 0; j < i; j++)
            if (memcmp(t.rgb + i * 3, t.rgb + j * 3, 3) == 0) distinct = 0;
    free(f);
    img_tokens_free(&info);
    img_free(&t);
    EXPECT(ok);
    EXPECT_MSG(distinct, "the tiny example repeats a colour");
}

static void crops_to_whole_patches(void)
{
    unsigned char rgb[10 * 7 * 3];
    pattern(rgb, 10, 7);
    ImgRGB im = {10, 7, rgb};
    float *f;
    int n, d;
    ImgTokens info;
    char err[300] = "";
    EXPECT_MSG(img_tokens(&f, &n, &d, &info, &im, IMG_PATCHES, 3, 1000, err, sizeof err) == 0, "%s", err);
    int ok = n == 6 && d == 27 && info.grid_w == 3 && info.grid_h == 2 && info.used_w == 9 && info.used_h == 6 &&
             info.view.w == 9 && info.view.h == 6;
    int note_ok = strstr(info.note, "cropped 1 column and 1 row") != NULL;
    /* the view is the picture as tokenised: its first patch row is token 0's first 3 pixels */
    int view_ok = ok && fabsf(f[0] - info.view.rgb[0] / 255.0f) < 1e-7f &&
                  fabsf(f[8] - info.view.rgb[8] / 255.0f) < 1e-7f;
    char note[200];
    memcpy(note, info.note, sizeof note);
    free(f);
    img_tokens_free(&info);
    EXPECT(ok);
    EXPECT_MSG(note_ok, "note: %s", note);
    EXPECT(view_ok);
}

static void shrinks_large_pictures(void)
{
    ImgRGB big = {640, 480, malloc(640 * 480 * 3)};
    EXPECT(big.rgb != NULL);
    for (int i = 0; i < 640 * 480 * 3; i++) big.rgb[i] = (unsigned char)(i % 251);
    float *f;
    int n, d;
    ImgTokens info;
    char err[300] = "";
    int rc = img_tokens(&f, &n, &d, &info, &big, IMG_PATCHES, 8, 8, err, sizeof err);
    int ok = rc == 0 && info.grid_w <= 8 && info.grid_h <= 8 && info.grid_w == 8 && info.grid_h == 6 && n == 48 &&
             d == 192 && info.used_w == 64 && info.used_h == 48;
    int note_ok = rc == 0 && strstr(info.note, "640 x 480") && strstr(info.note, "64 x 48 pixels, 8 x 6 patches of 8 x 8");
    for (int i = 0; ok && i < n * d; i++) ok = f[i] >= 0.0f && f[i] <= 1.0f;
    char note[200];
    memcpy(note, info.note, sizeof note);
    if (rc == 0) { free(f); img_tokens_free(&info); }

    /* pixels: at most 8 a side too */
    int rc2 = img_tokens(&f, &n, &d, &info, &big, IMG_PIXELS, 1, 8, err, sizeof err);
    int ok2 = rc2 == 0 && info.grid_w == 8 && info.grid_h == 6 && n == 48 && d == 3;
    if (rc2 == 0) { free(f); img_tokens_free(&info); }
    free(big.rgb);
    EXPECT_MSG(rc == 0, "%s", err);
    EXPECT(ok);
    EXPECT_MSG(note_ok, "note: %s", note);
    EXPECT(ok2);
}

static void refuses_too_many_tokens(void)
{
    ImgRGB d;
    EXPECT(img_example(&d, "ducks") == 0); /* 160 x 96 = 15360 pixels */
    static float dummy;
    float *f = &dummy;
    int n = 9, dim = 9;
    ImgTokens info;
    char err[300] = "";
    int rc = img_tokens(&f, &n, &dim, &info, &d, IMG_PIXELS, 1, 1000, err, sizeof err);
    /* while 2 x 2 patches give 80 x 48 = 3840, which fits */
    float *g = NULL;
    ImgTokens info2;
    int n2 = 0, d2 = 0;
    int rc2 = img_tokens(&g, &n2, &d2, &info2, &d, IMG_PATCHES, 2, 1000, err + 150, 150);
    if (rc2 == 0) { free(g); img_tokens_free(&info2); }
    img_free(&d);
    EXPECT_INT(rc, -1);
    EXPECT_MSG(strstr(err, "4096") != NULL, "message: %s", err);
    EXPECT(f == NULL && n == 0 && info.view.rgb == NULL);
    EXPECT_INT(rc2, 0);
    EXPECT_INT(n2, 3840);
}

static void refuses_bad_patch_sizes(void)
{
    ImgRGB g;
    EXPECT(img_example(&g, "gradient") == 0);
    float *f;
    int n, d;
    ImgTokens info;
    char err0[300] = "", err65[300] = "", errside[300] = "";
    int r0 = img_tokens(&f, &n, &d, &info, &g, IMG_PATCHES, 0, 8, err0, sizeof err0);
    int r65 = img_tokens(&f, &n, &d, &info, &g, IMG_PATCHES, 65, 8, err65, sizeof err65);
    int rside = img_tokens(&f, &n, &d, &info, &g, IMG_PATCHES, 8, 0, errside, sizeof errside);
    int r64 = img_tokens(&f, &n, &d, &info, &g, IMG_PATCHES, 64, 8, err0 + 150, 150);
    int ok64 = r64 == 0 && n == 1 && d == 64 * 64 * 3;
    if (r64 == 0) { free(f); img_tokens_free(&info); }
    img_free(&g);
    EXPECT_INT(r0, -1);
    EXPECT_MSG(strstr(err0, "1..64") != NULL, "message: %s", err0);
    EXPECT_INT(r65, -1);
    EXPECT_MSG(strstr(err65, "1..64") != NULL, "message: %s", err65);
    EXPECT_INT(rside, -1);
    EXPECT(ok64);
}

void suite_img(void)
{
    RUN(loads_png_exactly);
    RUN(loads_bmp_exactly);
    RUN(loads_jpeg_approximately);
    RUN(loads_gif_first_frame);
    RUN(refuses_random_bytes);
    RUN(refuses_other_formats);
    RUN(refuses_truncated_png);
    RUN(refuses_empty_file);
    RUN(refuses_huge_header_before_decoding);
    RUN(missing_file_named);
    RUN(examples_have_documented_sizes_and_are_deterministic);
    RUN(gradient_corners);
    RUN(ducks_has_one_blue_duck);
    RUN(resize_averages_when_shrinking);
    RUN(resize_nearest_when_growing);
    RUN(patches_of_a_4x4_picture);
    RUN(pixel_tokens_of_tiny);
    RUN(crops_to_whole_patches);
    RUN(shrinks_large_pictures);
    RUN(refuses_too_many_tokens);
    RUN(refuses_bad_patch_sizes);
}
