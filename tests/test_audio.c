/* test_audio.c: WAV files read and written (formats, channels, damaged, too long, missing),
 * the synthesised sounds, and framing into mel-band features. */
#include "test.h"
#include "harness.h"
#include "../src/audio/audio.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- helpers */

static float dummy_samples[1];

static void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", test_tmpdir(), name);
}

/* The whole file in a malloc'd buffer, or NULL. */
static unsigned char *read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        unsigned char *nb = realloc(b, cap * 2);
        if (!nb) { free(b); b = NULL; break; }
        b = nb;
        cap *= 2;
    }
    fclose(f);
    *len = n;
    return b;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void le16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, unsigned long v)
{
    le16(p, (unsigned)(v & 0xffff));
    le16(p + 2, (unsigned)(v >> 16));
}

static unsigned rd16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }
static unsigned long rd32(const unsigned char *p) { return rd16(p) | (unsigned long)rd16(p + 2) << 16; }

/* A WAV made by hand: RIFF header, a 16-byte fmt chunk, and a data chunk whose header says
 * data_len bytes; those bytes follow (from data, or zeros). *len is the total; the caller
 * frees. */
static unsigned char *wav_bytes(size_t *len, unsigned tag, unsigned channels, unsigned long rate, unsigned bits,
                                const void *data, unsigned long data_len)
{
    *len = 44 + data_len;
    unsigned char *b = calloc(1, *len);
    if (!b) return NULL;
    unsigned block = channels * bits / 8;
    memcpy(b, "RIFF", 4);
    le32(b + 4, 36 + data_len);
    memcpy(b + 8, "WAVEfmt ", 8);
    le32(b + 16, 16);
    le16(b + 20, tag);
    le16(b + 22, channels);
    le32(b + 24, rate);
    le32(b + 28, rate * block);
    le16(b + 32, block);
    le16(b + 34, bits);
    memcpy(b + 36, "data", 4);
    le32(b + 40, data_len);
    if (data) memcpy(b + 44, data, data_len);
    return b;
}

/* n samples of amp * sin(2 pi hz t) */
static AudClip sine(double hz, int rate, int n, double amp)
{
    AudClip c = {malloc(sizeof(float) * (size_t)n), n, rate};
    if (c.samples)
        for (int i = 0; i < n; i++) c.samples[i] = (float)(amp * sin(2 * 3.14159265358979323846 * hz * i / rate));
    return c;
}

static uint32_t rng(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static double mel(double hz) { return 2595.0 * log10(1.0 + hz / 700.0); }

/* The band whose [lo, hi) holds hz (the last band also holds rate/2), or -1. */
static int band_of(const AudFrames *fr, double hz)
{
    for (int b = 0; b < fr->bands; b++)
        if (hz >= fr->band_lo_hz[b] && (hz < fr->band_hi_hz[b] || (b == fr->bands - 1 && hz <= fr->band_hi_hz[b])))
            return b;
    return -1;
}

static int loudest_band(const AudFrames *fr, int k)
{
    const float *f = fr->features + (size_t)k * fr->bands;
    int best = 0;
    for (int b = 1; b < fr->bands; b++)
        if (f[b] > f[best]) best = b;
    return best;
}

static int frames_zeroed(const AudFrames *fr)
{
    return fr->n_frames == 0 && fr->frame_len == 0 && fr->hop == 0 && fr->bands == 0 && fr->rate == 0 &&
           fr->fft_size == 0 && !fr->start && !fr->features && !fr->band_lo_hz && !fr->band_hi_hz && !fr->energy;
}

/* ---------------------------------------------------------------- framing */

static void framing_one_second_at_16000_hz_gives_98_frames(void)
{
    AudClip c = sine(440, 16000, 16000, 0.3), back;
    EXPECT(c.samples);
    char path[512], err[600] = "";
    tmp_path(path, sizeof path, "second.wav");
    int wrote = aud_write_wav(&c, path, err, sizeof err);
    aud_clip_free(&c);
    EXPECT_MSG(wrote == 0, "%s", err);
    EXPECT_MSG(aud_load_wav(&back, path, err, sizeof err) == 0, "%s", err);
    EXPECT_INT(back.n, 16000);
    EXPECT_INT(back.rate, 16000);
    AudFraming f = aud_framing_default();
    EXPECT_NEAR(f.win_ms, 25, 0);
    EXPECT_NEAR(f.hop_ms, 10, 0);
    EXPECT_INT(f.bands, 8);
    AudFrames fr;
    int rc = aud_frames(&fr, &back, &f, 1000, err, sizeof err);
    aud_clip_free(&back);
    EXPECT_MSG(rc == 0, "%s", err);
    EXPECT_INT(fr.n_frames, 98); /* 1 + (16000 - 400) / 160 */
    EXPECT_INT(fr.frame_len, 400);
    EXPECT_INT(fr.hop, 160);
    EXPECT_INT(fr.fft_size, 512);
    EXPECT_INT(fr.bands, 8);
    EXPECT_INT(fr.rate, 16000);
    for (int k = 0; k < fr.n_frames; k++)
        if (fr.start[k] != 160 * k) {
            test_fail(__FILE__, __LINE__, "start[%d] == %d, expected %d", k, fr.start[k], 160 * k);
            break;
        }
    aud_frames_free(&fr);
    EXPECT(frames_zeroed(&fr));
}

static void framing_other_rates_and_hops(void)
{
    char err[300] = "";
    AudFrames fr;
    /* 8000 Hz, 25 / 10 ms: 200-sample frames every 80; 1 + (12345 - 200) / 80 = 152 */
    AudClip c = sine(300, 8000, 12345, 0.5);
    EXPECT(c.samples);
    AudFraming f = aud_framing_default();
    int rc = aud_frames(&fr, &c, &f, 1000, err, sizeof err);
    aud_clip_free(&c);
    EXPECT_MSG(rc == 0, "%s", err);
    EXPECT_INT(fr.frame_len, 200);
    EXPECT_INT(fr.hop, 80);
    EXPECT_INT(fr.fft_size, 256);
    EXPECT_INT(fr.n_frames, 152);
    EXPECT_INT(fr.start[151], 151 * 80);
    aud_frames_free(&fr);

    /* 16000 Hz with a 7 ms hop: 112 samples; 1 + (16000 - 400) / 112 = 140 */
    c = sine(300, 16000, 16000, 0.5);
    EXPECT(c.samples);
    f.hop_ms = 7;
    rc = aud_frames(&fr, &c, &f, 1000, err, sizeof err);
    aud_clip_free(&c);
    EXPECT_MSG(rc == 0, "%s", err);
    EXPECT_INT(fr.hop, 112);
    EXPECT_INT(fr.n_frames, 140);
    EXPECT_INT(fr.start[139], 139 * 112);
    aud_frames_free(&fr);

    /* 11025 Hz rounds: 25 ms is 275.6 samples (276), 10 ms is 110.25 (110);
     * 1 + (11025 - 276) / 110 = 98; the FFT pads 276 to 512 */
    c = sine(300, 11025, 11025, 0.5);
    EXPECT(c.samples);
    f = aud_framing_default();
    rc = aud_frames(&fr, &c, &f, 1000, err, sizeof err);
    aud_clip_free(&c);
    EXPECT_MSG(rc == 0, "%s", err);
    EXPECT_INT(fr.frame_len, 276);
    EXPECT_INT(fr.hop, 110);
    EXPECT_INT(fr.n_frames, 98);
    EXPECT_INT(fr.fft_size, 512);
    aud_frames_free(&fr);

    /* a 24 ms hop there is 264.6 samples, rounded up: 1 + (11025 - 276) / 265 = 41 */
    c = sine(300, 11025, 11025, 0.5);
    EXPECT(c.samples);
    f.hop_ms = 24;
    rc = aud_frames(&fr, &c, &f, 1000, err, sizeof err);
    aud_clip_free(&c);
    EXPECT_MSG(rc == 0, "%s", err);
    EXPECT_INT(fr.hop, 265);
    EXPECT_INT(fr.n_frames, 41);
    aud_frames_free(&fr);
}

static void clip_of_one_frame_gives_one_and_shorter_is_refused(void)
{
    char err[300] = "";
    AudFrames fr;
    AudFraming f = aud_framing_default();
    AudClip c = sine(500, 16000, 400, 0.5);
    EXPECT(c.samples);
    int rc = aud_frames(&fr, &c, &f, 1000, err, sizeof err);
    EXPECT_MSG(rc == 0, "%s", err);
    EXPECT_INT(fr.n_frames, 1);
    EXPECT_INT(fr.start[0], 0);
    aud_frames_free(&fr);

    c.n = 399;
    rc = aud_frames(&fr, &c, &f, 1000, err, sizeof err);
    aud_clip_free(&c);
    EXPECT(rc == -1);
    EXPECT_MSG(strstr(err, "399 samples") && strstr(err, "400 samples"), "message: %s", err);
    EXPECT(frames_zeroed(&fr));
}

static void framing_outside_its_ranges_is_refused(void)
{
    AudClip c = sine(500, 8000, 8000, 0.5);
    EXPECT(c.samples);
    struct {
        AudFraming f;
        const char *want;
    } bad[] = {
        {{0, 0, 8}, "1..1000 ms"},     {{1001, 10, 8}, "1..1000 ms"}, {{NAN, 10, 8}, "1..1000 ms"},
        {{25, 0.5f, 8}, "1..25 ms"},   {{25, 26, 8}, "1..25 ms"},     {{25, NAN, 8}, "1..25 ms"},
        {{25, 10, 0}, "1..64"},        {{25, 10, 65}, "1..64"},
        /* 2 ms at 8000 Hz is a 16-point FFT, bins 500 Hz apart: 16 bands cannot all hold one */
        {{2, 1, 16}, "holds no FFT bin"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        AudFrames fr;
        char err[300] = "";
        int rc = aud_frames(&fr, &c, &bad[i].f, 1000, err, sizeof err);
        if (rc != -1 || !strstr(err, bad[i].want) || !frames_zeroed(&fr)) {
            test_fail(__FILE__, __LINE__, "case %zu: rc %d, message \"%s\", expected \"%s\"", i, rc, err, bad[i].want);
            aud_frames_free(&fr);
            break;
        }
    }
    aud_clip_free(&c);
}

static void too_many_frames_names_the_limit_and_a_hop_that_fits(void)
{
    AudClip c = sine(500, 16000, 16000, 0.5);
    EXPECT(c.samples);
    AudFraming f = aud_framing_default();
    AudFrames fr;
    char err[300] = "";
    int rc = aud_frames(&fr, &c, &f, 50, err, sizeof err);
    EXPECT(rc == -1);
    EXPECT(frames_zeroed(&fr));
    EXPECT_MSG(strstr(err, "98 frames") && strstr(err, "limit of 50"), "message: %s", err);
    const char *at = strstr(err, "hop of at least ");
    double hop = 0;
    EXPECT_MSG(at && sscanf(at, "hop of at least %lf ms", &hop) == 1, "message: %s", err);
    /* the suggested hop fits; a tenth of a millisecond less does not */
    f.hop_ms = (float)hop;
    rc = aud_frames(&fr, &c, &f, 50, err, sizeof err);
    int fits = fr.n_frames;
    aud_frames_free(&fr);
    EXPECT_MSG(rc == 0 && fits <= 50, "hop %g ms: rc %d, %d frames: %s", hop, rc, fits, err);
    f.hop_ms = (float)(hop - 0.1);
    rc = aud_frames(&fr, &c, &f, 50, err, sizeof err);
    aud_frames_free(&fr);
    aud_clip_free(&c);
    EXPECT_MSG(rc == -1, "hop %g ms also fits", hop - 0.1);
}

/* ---------------------------------------------------------------- features */

/* The documented definition computed the slow way for frame k: the Hann-windowed frame,
 * a direct DFT in double, bin powers |X|^2 / sum(w^2) averaged over each band's bins (found
 * from the reported edges), ln(mean + 1e-10). */
static void reference_features(double *out, const AudFrames *fr, const float *x)
{
    int len = fr->frame_len, fft = fr->fft_size;
    double w2 = 0, sum[AUD_MAX_BANDS] = {0};
    int count[AUD_MAX_BANDS] = {0};
    for (int i = 0; i < len; i++) {
        double w = 0.5 - 0.5 * cos(2 * 3.14159265358979323846 * i / len);
        w2 += w * w;
    }
    for (int k = 0; k <= fft / 2; k++) {
        double re = 0, im = 0;
        for (int i = 0; i < len; i++) {
            double w = 0.5 - 0.5 * cos(2 * 3.14159265358979323846 * i / len);
            double ang = 2 * 3.14159265358979323846 * (double)k * i / fft;
            re += w * x[i] * cos(ang);
            im -= w * x[i] * sin(ang);
        }
        int b = band_of(fr, (double)k * fr->rate / fft);
        if (b < 0) continue;
        sum[b] += (re * re + im * im) / w2;
        count[b]++;
    }
    for (int b = 0; b < fr->bands; b++) out[b] = count[b] ? log(sum[b] / count[b] + 1e-10) : NAN;
}

static void features_match_a_direct_dft(void)
{
    static const int cases[][2] = {{16000, 8}, {8000, 13}, {11025, 5}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rate = cases[i][0], B = cases[i][1], n = rate * 3 / 10;
        /* a tone over noise */
        AudClip c = sine(rate / 7.3, rate, n, 0.4);
        EXPECT(c.samples);
        uint32_t s = 11 + (uint32_t)i;
        for (int j = 0; j < n; j++) c.samples[j] += (float)(0.2 * (rng(&s) / 8388608.0 - 1.0));
        AudFraming f = {25, 10, B};
        AudFrames fr;
        char err[300] = "";
        if (aud_frames(&fr, &c, &f, 1000, err, sizeof err) != 0) {
            aud_clip_free(&c);
            EXPECT_MSG(0, "%d Hz: %s", rate, err);
        }
        int frames[3] = {0, fr.n_frames / 2, fr.n_frames - 1}, ok = 1;
        for (int q = 0; ok && q < 3; q++) {
            int k = frames[q];
            const float *x = c.samples + fr.start[k];
            double want[AUD_MAX_BANDS], e = 0, worst = 0;
            reference_features(want, &fr, x);
            for (int j = 0; j < fr.frame_len; j++) e += (double)x[j] * x[j];
            for (int b = 0; b < B; b++) worst = fmax(worst, fabs(fr.features[(size_t)k * B + b] - want[b]));
            double e_diff = fabs(fr.energy[k] - log(e / fr.frame_len + 1e-10));
            if (!(worst <= 1e-3) || !(e_diff <= 1e-4)) {
                test_fail(__FILE__, __LINE__, "%d Hz, %d bands, frame %d: max diff %.3g in features, %.3g in energy",
                          rate, B, k, worst, e_diff);
                ok = 0;
            }
        }
        aud_frames_free(&fr);
        aud_clip_free(&c);
        if (!ok) return;
    }
}

static void pure_tones_light_their_own_band(void)
{
    static const double tones[2] = {1000, 3000};
    int band[2];
    for (int t = 0; t < 2; t++) {
        AudClip c = sine(tones[t], 16000, 16000, 0.5);
        EXPECT(c.samples);
        AudFraming f = aud_framing_default();
        AudFrames fr;
        char err[300] = "";
        int rc = aud_frames(&fr, &c, &f, 1000, err, sizeof err);
        aud_clip_free(&c);
        EXPECT_MSG(rc == 0, "%s", err);
        band[t] = band_of(&fr, tones[t]);
        int ok = band[t] >= 0;
        for (int k = 0; ok && k < fr.n_frames; k++) {
            const float *x = fr.features + (size_t)k * fr.bands;
            for (int b = 0; b < fr.bands; b++)
                if (b != band[t] && !(x[band[t]] - x[b] > log(100.0))) {
                    test_fail(__FILE__, __LINE__, "%g Hz, frame %d: band %d (%g) is not ln 100 above band %d (%g)",
                              tones[t], k, band[t], x[band[t]], b, x[b]);
                    ok = 0;
                    break;
                }
        }
        aud_frames_free(&fr);
        if (!ok) return;
    }
    EXPECT(band[0] != band[1]);
}

static void silence_and_bad_samples_give_finite_equal_features(void)
{
    AudClip c = {calloc(8000, sizeof(float)), 8000, 16000};
    EXPECT(c.samples);
    AudFraming f = aud_framing_default();
    AudFrames fr;
    char err[300] = "";
    EXPECT_MSG(aud_frames(&fr, &c, &f, 1000, err, sizeof err) == 0, "%s", err);
    const float floor_ = (float)log(1e-10); /* ln(0 + 1e-10) */
    int bad = 0;
    for (int i = 0; i < fr.n_frames * fr.bands; i++) bad += fr.features[i] != floor_;
    for (int k = 0; k < fr.n_frames; k++) bad += fr.energy[k] != floor_;
    aud_frames_free(&fr);
    EXPECT_INT(bad, 0);

    /* NaN and infinities read as 0, samples beyond [-1, 1] are clipped */
    for (int i = 0; i < c.n; i++) c.samples[i] = (i % 3 == 0) ? NAN : (i % 3 == 1) ? INFINITY : 5.0f;
    EXPECT_MSG(aud_frames(&fr, &c, &f, 1000, err, sizeof err) == 0, "%s", err);
    bad = 0;
    for (int i = 0; i < fr.n_frames * fr.bands; i++) bad += !isfinite(fr.features[i]);
    for (int k = 0; k < fr.n_frames; k++) bad += !isfinite(fr.energy[k]);
    /* a third of the samples are 1, the rest 0: mean square 1/3 */
    double e0 = fr.energy[0];
    aud_frames_free(&fr);
    aud_clip_free(&c);
    EXPECT_INT(bad, 0);
    EXPECT_NEAR(e0, log(1.0 / 3.0), 0.01);
}

static void band_edges_are_contiguous_and_mel_spaced(void)
{
    static const int cases[][3] = {{16000, 8, 16000}, {8000, 20, 8000}, {44100, 64, 44100}, {16000, 64, 16000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rate = cases[i][0], B = cases[i][1];
        AudClip c = sine(440, rate, cases[i][2], 0.5);
        EXPECT(c.samples);
        AudFraming f = {25, 10, B};
        AudFrames fr;
        char err[300] = "";
        int rc = aud_frames(&fr, &c, &f, 1000, err, sizeof err);
        aud_clip_free(&c);
        EXPECT_MSG(rc == 0, "%d Hz, %d bands: %s", rate, B, err);
        EXPECT_INT(fr.bands, B);
        double step = mel(rate / 2.0) / B;
        int ok = fr.band_lo_hz[0] == 0.0f && fr.band_hi_hz[B - 1] == rate / 2.0f;
        for (int b = 0; ok && b < B; b++) {
            double width = mel(fr.band_hi_hz[b]) - mel(fr.band_lo_hz[b]);
            if (!(fr.band_hi_hz[b] > fr.band_lo_hz[b]) || (b + 1 < B && fr.band_hi_hz[b] != fr.band_lo_hz[b + 1]) ||
                fabs(width - step) > 1e-3 * step) {
                test_fail(__FILE__, __LINE__, "%d Hz, band %d: %g..%g Hz, %g mel wide, expected %g", rate, b,
                          fr.band_lo_hz[b], fr.band_hi_hz[b], width, step);
                ok = 0;
            }
        }
        if (!ok && fr.bands)
            test_fail(__FILE__, __LINE__, "%d Hz: edges %g..%g", rate, fr.band_lo_hz[0], fr.band_hi_hz[B - 1]);
        aud_frames_free(&fr);
        if (!ok) return;
    }
}

static void white_noise_reads_as_its_variance_in_every_band(void)
{
    /* uniform noise on [-a, a] has variance a^2 / 3; averaged over frames, each band's mean
     * power comes out near it */
    enum { N = 32000 };
    double a = 0.6, var = a * a / 3;
    AudClip c = {malloc(sizeof(float) * N), N, 16000};
    EXPECT(c.samples);
    uint32_t s = 99;
    for (int i = 0; i < N; i++) c.samples[i] = (float)(a * (rng(&s) / 8388608.0 - 1.0));
    AudFraming f = aud_framing_default();
    AudFrames fr;
    char err[300] = "";
    int rc = aud_frames(&fr, &c, &f, 1000, err, sizeof err);
    aud_clip_free(&c);
    EXPECT_MSG(rc == 0, "%s", err);
    for (int b = 0; b < fr.bands; b++) {
        double mean = 0;
        for (int k = 0; k < fr.n_frames; k++) mean += exp(fr.features[(size_t)k * fr.bands + b]);
        mean /= fr.n_frames;
        if (fabs(log(mean) - log(var)) > 0.25) {
            test_fail(__FILE__, __LINE__, "band %d: mean power %g, expected about %g", b, mean, var);
            break;
        }
    }
    aud_frames_free(&fr);
}

/* ---------------------------------------------------------------- reading and writing */

static void round_trip_within_16_bit_quantisation(void)
{
    enum { N = 1000 };
    AudClip c = {malloc(sizeof(float) * N), N, 22050}, back;
    EXPECT(c.samples);
    uint32_t s = 5;
    for (int i = 0; i < N; i++) c.samples[i] = (float)(rng(&s) / 8388608.0 - 1.0);
    c.samples[0] = 1.0f;
    c.samples[1] = -1.0f;
    c.samples[2] = 0.0f;
    c.samples[3] = 0.5f;
    char path[512], err[600] = "";
    tmp_path(path, sizeof path, "round.wav");
    EXPECT_MSG(aud_write_wav(&c, path, err, sizeof err) == 0, "%s", err);

    /* the file: 44 bytes of header, 16-bit mono PCM at 22050 Hz */
    size_t len = 0;
    unsigned char *raw = read_bytes(path, &len);
    EXPECT(raw);
    int header_ok = len == 44 + 2 * N && memcmp(raw, "RIFF", 4) == 0 && rd32(raw + 4) == len - 8 &&
                    memcmp(raw + 8, "WAVEfmt ", 8) == 0 && rd16(raw + 20) == 1 && rd16(raw + 22) == 1 &&
                    rd32(raw + 24) == 22050 && rd16(raw + 34) == 16 && memcmp(raw + 36, "data", 4) == 0 &&
                    rd32(raw + 40) == 2 * N;
    EXPECT_MSG(header_ok, "unexpected header (%zu bytes)", len);

    int rc = aud_load_wav(&back, path, err, sizeof err);
    if (rc != 0) {
        free(raw);
        aud_clip_free(&c);
    }
    EXPECT_MSG(rc == 0, "%s", err);
    int same_size = back.n == N && back.rate == 22050;
    double d = same_size ? test_max_diff(c.samples, back.samples, N) : 1;
    aud_clip_free(&c);

    /* what was read writes back to the same bytes */
    char again[512];
    tmp_path(again, sizeof again, "again.wav");
    rc = aud_write_wav(&back, again, err, sizeof err);
    aud_clip_free(&back);
    size_t len2 = 0;
    unsigned char *raw2 = rc == 0 ? read_bytes(again, &len2) : NULL;
    int identical = raw2 && len2 == len && memcmp(raw, raw2, len) == 0;
    free(raw);
    free(raw2);
    EXPECT(same_size);
    EXPECT_MSG(d <= 1.0 / 32768 + 1e-9, "max diff %g", d);
    EXPECT_MSG(rc == 0, "%s", err);
    EXPECT(identical);
}

static void stereo_16_bit_loads_as_the_channel_average(void)
{
    enum { N = 500 };
    unsigned char pcm[N * 4];
    int16_t left[N], right[N];
    for (int i = 0; i < N; i++) {
        left[i] = (int16_t)(i * 60 - 15000);
        right[i] = (int16_t)(9000 - i * 37);
        le16(pcm + 4 * i, (uint16_t)left[i]);
        le16(pcm + 4 * i + 2, (uint16_t)right[i]);
    }
    size_t len;
    unsigned char *wav = wav_bytes(&len, 1, 2, 16000, 16, pcm, sizeof pcm);
    EXPECT(wav);
    char path[512], err[600] = "";
    tmp_path(path, sizeof path, "stereo.wav");
    int wrote = harness_write_bytes(path, wav, len);
    free(wav);
    EXPECT(wrote == 0);
    AudClip c;
    EXPECT_MSG(aud_load_wav(&c, path, err, sizeof err) == 0, "%s", err);
    float want[N];
    for (int i = 0; i < N; i++) want[i] = (float)((left[i] + right[i]) / 2.0 / 32768.0);
    int ok = c.n == N && c.rate == 16000;
    double d = ok ? test_max_diff(c.samples, want, N) : 1;
    aud_clip_free(&c);
    EXPECT(ok);
    EXPECT_MSG(d <= 1e-6, "max diff %g", d);
}

static void unsigned_8_bit_loads(void)
{
    static const unsigned char u8[6] = {0, 64, 128, 192, 255, 1};
    size_t len;
    unsigned char *wav = wav_bytes(&len, 1, 1, 8000, 8, u8, sizeof u8);
    EXPECT(wav);
    AudClip c;
    char err[300] = "";
    int rc = aud_load_wav_mem(&c, wav, len, "u8.wav", err, sizeof err);
    free(wav);
    EXPECT_MSG(rc == 0, "%s", err);
    float want[6];
    for (int i = 0; i < 6; i++) want[i] = (u8[i] - 128) / 128.0f; /* 0 -> -1, 128 -> 0 */
    int ok = c.n == 6 && c.rate == 8000;
    double d = ok ? test_max_diff(c.samples, want, 6) : 1;
    aud_clip_free(&c);
    EXPECT(ok);
    EXPECT_MSG(d <= 1e-7, "max diff %g", d);
}

static void float_and_24_bit_load(void)
{
    /* 32-bit float, stereo: out-of-range values are clipped, NaN reads as 0 */
    float fl[8] = {0.25f, -0.75f, 2.0f, 1.0f, NAN, 0.5f, -0.125f, -0.125f};
    unsigned char bytes[sizeof fl];
    for (int i = 0; i < 8; i++) {
        uint32_t u;
        memcpy(&u, &fl[i], 4);
        le32(bytes + 4 * i, u);
    }
    size_t len;
    unsigned char *wav = wav_bytes(&len, 3, 2, 48000, 32, bytes, sizeof bytes);
    EXPECT(wav);
    AudClip c;
    char err[300] = "";
    int rc = aud_load_wav_mem(&c, wav, len, "float.wav", err, sizeof err);
    free(wav);
    EXPECT_MSG(rc == 0, "%s", err);
    float want[4] = {-0.25f, 1.0f, 0.25f, -0.125f};
    int ok = c.n == 4 && c.rate == 48000;
    double d = ok ? test_max_diff(c.samples, want, 4) : 1;
    aud_clip_free(&c);
    EXPECT(ok);
    EXPECT_MSG(d <= 1e-7, "max diff %g", d);

    /* 24-bit PCM, mono: value v reads as v / 2^23 */
    static const int32_t v24[4] = {8388607, -8388608, 4194304, -1};
    unsigned char b24[12];
    for (int i = 0; i < 4; i++) {
        uint32_t u = (uint32_t)v24[i];
        b24[3 * i] = (unsigned char)u;
        b24[3 * i + 1] = (unsigned char)(u >> 8);
        b24[3 * i + 2] = (unsigned char)(u >> 16);
    }
    wav = wav_bytes(&len, 1, 1, 8000, 24, b24, sizeof b24);
    EXPECT(wav);
    rc = aud_load_wav_mem(&c, wav, len, "24.wav", err, sizeof err);
    free(wav);
    EXPECT_MSG(rc == 0, "%s", err);
    for (int i = 0; i < 4; i++) want[i] = (float)(v24[i] / 8388608.0);
    ok = c.n == 4 && c.rate == 8000;
    d = ok ? test_max_diff(c.samples, want, 4) : 1;
    aud_clip_free(&c);
    EXPECT(ok);
    EXPECT_MSG(d <= 1e-7, "max diff %g", d);
}

/* Writes the bytes to a file and loads it: 1 when it fails with "PATH: " + a message
 * holding want and leaves the clip zeroed. */
static int file_refused(const char *file, const void *data, size_t len, const char *want)
{
    char path[512], err[600] = "", prefix[520];
    tmp_path(path, sizeof path, file);
    if (harness_write_bytes(path, data, len) != 0) {
        test_fail(__FILE__, __LINE__, "could not write %s", path);
        return 0;
    }
    AudClip c = {dummy_samples, 5, 7};
    int rc = aud_load_wav(&c, path, err, sizeof err);
    snprintf(prefix, sizeof prefix, "%s: ", path);
    if (rc != -1 || strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, want) || c.samples || c.n || c.rate) {
        test_fail(__FILE__, __LINE__, "%s: rc %d, message \"%s\", expected \"%s\"", file, rc, err, want);
        if (rc == 0) aud_clip_free(&c);
        return 0;
    }
    return 1;
}

static void damaged_files_are_refused_by_name(void)
{
    static const char text[] = "This is a plain text file, not a sound.\n";
    EXPECT(file_refused("text.wav", text, sizeof text - 1, "not a WAV file (no RIFF header)"));
    EXPECT(file_refused("empty.wav", "", 0, "empty"));

    unsigned char pcm[200];
    for (int i = 0; i < 200; i++) pcm[i] = (unsigned char)(i * 7);
    size_t len;
    unsigned char *wav = wav_bytes(&len, 1, 1, 16000, 16, pcm, sizeof pcm);
    EXPECT(wav);
    /* cut inside the fmt chunk (bytes 20..35), inside the data chunk's header (36..43),
     * and inside the data */
    int ok = file_refused("cut-fmt.wav", wav, 30, "truncated") && file_refused("cut-hdr.wav", wav, 40, "truncated") &&
             file_refused("cut-data.wav", wav, 144, "truncated: the data chunk holds 100 of its 200 bytes");
    /* RIFF, but not WAVE */
    memcpy(wav + 8, "AVI ", 4);
    ok = ok && file_refused("avi.wav", wav, len, "not a WAV file");
    free(wav);
    EXPECT(ok);

    /* a header and no sample bytes */
    wav = wav_bytes(&len, 1, 1, 16000, 16, NULL, 0);
    EXPECT(wav);
    ok = file_refused("nodata.wav", wav, len, "empty: no samples");
    free(wav);
    EXPECT(ok);

    /* format tag 0x55 (MPEG layer 3) */
    wav = wav_bytes(&len, 0x55, 1, 16000, 16, pcm, sizeof pcm);
    EXPECT(wav);
    ok = file_refused("mp3.wav", wav, len, "unsupported format tag 0x0055");
    free(wav);
    EXPECT(ok);

    /* sample rates outside the limits */
    wav = wav_bytes(&len, 1, 1, 4000, 16, pcm, sizeof pcm);
    EXPECT(wav);
    ok = file_refused("slow.wav", wav, len, "sample rate 4000 Hz is below 8000 Hz");
    free(wav);
    EXPECT(ok);
    wav = wav_bytes(&len, 1, 1, 1, 16, pcm, sizeof pcm);
    EXPECT(wav);
    ok = file_refused("one-hz.wav", wav, len, "sample rate 1 Hz is below 8000 Hz");
    free(wav);
    EXPECT(ok);
    wav = wav_bytes(&len, 1, 1, 384000, 16, pcm, sizeof pcm);
    EXPECT(wav);
    ok = file_refused("fast.wav", wav, len, "sample rate 384000 Hz is above the limit of 192000 Hz");
    free(wav);
    EXPECT(ok);
}

static void missing_file_and_directory_are_named(void)
{
    char path[512], want[600], err[600] = "";
    tmp_path(path, sizeof path, "no-such-sound.wav");
    AudClip c = {dummy_samples, 5, 7};
    EXPECT(aud_load_wav(&c, path, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    EXPECT_STR(err, want);
    EXPECT(!c.samples && c.n == 0 && c.rate == 0);

    c.samples = dummy_samples;
    EXPECT(aud_load_wav(&c, test_tmpdir(), err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s: is a directory, not a WAV file", test_tmpdir());
    EXPECT_STR(err, want);
    EXPECT(!c.samples);
}

static void clips_longer_than_a_minute_are_refused(void)
{
    /* 8000 Hz, 16-bit mono: 16000 bytes a second, all present in the file */
    struct {
        unsigned long seconds_x10;
        const char *want; /* NULL: accepted */
    } cases[] = {
        {600, NULL},
        {605, "long.wav: 1 min 0.5 s is longer than the limit of 60 s"},
        {1920, "long.wav: 3 min 12 s is longer than the limit of 60 s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned long samples = cases[i].seconds_x10 * 800;
        size_t len;
        unsigned char *wav = wav_bytes(&len, 1, 1, 8000, 16, NULL, samples * 2);
        EXPECT(wav);
        AudClip c = {dummy_samples, 5, 7};
        char err[300] = "";
        int rc = aud_load_wav_mem(&c, wav, len, "long.wav", err, sizeof err);
        free(wav);
        if (!cases[i].want) {
            int n = c.n;
            aud_clip_free(&c);
            EXPECT_MSG(rc == 0, "%s", err);
            EXPECT_INT(n, 480000);
        } else {
            EXPECT(rc == -1);
            EXPECT_STR(err, cases[i].want);
            EXPECT(!c.samples && c.n == 0 && c.rate == 0);
        }
    }
}

/* 1 if the directory holds an entry whose name starts with prefix */
static int dir_has_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int found = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) found = 1;
    closedir(d);
    return found;
}

static void failed_writes_leave_no_file(void)
{
    AudClip c = sine(440, 16000, 1600, 0.5);
    EXPECT(c.samples);
    char path[512], err[600] = "", want[600];

    /* a folder that does not exist */
    tmp_path(path, sizeof path, "no-such-folder/out.wav");
    int rc = aud_write_wav(&c, path, err, sizeof err);
    snprintf(want, sizeof want, "cannot write %s: No such file or directory", path);
    int missing_ok = rc == -1 && strcmp(err, want) == 0 && !exists(path);

    /* a path that is a folder: refused, and no temporary is left beside it */
    char folder[512];
    tmp_path(folder, sizeof folder, "a-folder.wav");
    int made = mkdir(folder, 0755) == 0;
    rc = aud_write_wav(&c, folder, err, sizeof err);
    int folder_ok = made && rc == -1 && strstr(err, folder) && !dir_has_prefix(test_tmpdir(), "a-folder.wav.tmp");

    /* nothing to write */
    AudClip empty = {NULL, 0, 16000};
    tmp_path(path, sizeof path, "empty-out.wav");
    int empty_ok = aud_write_wav(&empty, path, err, sizeof err) == -1 && strstr(err, "no samples") && !exists(path);
    aud_clip_free(&c);
    EXPECT_MSG(missing_ok, "message: %s", err);
    EXPECT(folder_ok);
    EXPECT(empty_ok);
}

/* ---------------------------------------------------------------- synthesis */

static void synth_names_and_unknown_name(void)
{
    int count = 0;
    for (int i = 0; aud_synth_names[i]; i++) count++;
    EXPECT(count >= 3);
    AudClip c = {dummy_samples, 5, 7};
    char err[300] = "";
    EXPECT(aud_synth(&c, "whale", err, sizeof err) == -1);
    EXPECT(!c.samples && c.n == 0 && c.rate == 0);
    EXPECT_MSG(strstr(err, "whale"), "message: %s", err);
    for (int i = 0; aud_synth_names[i]; i++) EXPECT_MSG(strstr(err, aud_synth_names[i]), "message: %s", err);
}

/* Frames whose samples all lie inside [a, b) */
static int frame_inside(const AudFrames *fr, int k, int a, int b)
{
    return fr->start[k] >= a && fr->start[k] + fr->frame_len <= b;
}

static void speech_is_deterministic_with_silences_and_loud_syllables(void)
{
    AudClip a, b;
    char err[300] = "";
    EXPECT_MSG(aud_synth(&a, "speech", err, sizeof err) == 0, "%s", err);
    int rc = aud_synth(&b, "speech", err, sizeof err);
    int same = rc == 0 && a.n == b.n && a.rate == b.rate && memcmp(a.samples, b.samples, sizeof(float) * a.n) == 0;
    aud_clip_free(&b);
    if (!same) aud_clip_free(&a);
    EXPECT(same);
    EXPECT_INT(a.rate, 16000);
    EXPECT_MSG(a.n >= 2.5 * a.rate && a.n <= 3.5 * a.rate, "%d samples", a.n);
    float peak = 0;
    for (int i = 0; i < a.n; i++) peak = fmaxf(peak, fabsf(a.samples[i]));

    AudFraming f = aud_framing_default();
    AudFrames fr;
    rc = aud_frames(&fr, &a, &f, 1000, err, sizeof err);
    aud_clip_free(&a);
    EXPECT_MSG(rc == 0, "%s", err);
    EXPECT_MSG(peak > 0.1f && peak <= 1.0f, "peak %g", peak);

    int silent = 0, loud = 0, bad = 0;
    for (int k = 0; k < fr.n_frames; k++) {
        for (int j = 0; j < fr.bands; j++) bad += !isfinite(fr.features[(size_t)k * fr.bands + j]);
        bad += !isfinite(fr.energy[k]);
        int outside = 1, in_vowel = 0;
        for (const AudSegment *s = aud_speech_segments; s->label; s++) {
            int sa = s->start_ms * 16, sb = s->end_ms * 16;
            if (fr.start[k] < sb && fr.start[k] + fr.frame_len > sa) outside = 0;
            /* away from the fades */
            if (s->kind == AUD_VOWEL && frame_inside(&fr, k, sa + 30 * 16, sb - 30 * 16)) in_vowel = 1;
        }
        if (outside) {
            silent++;
            if (!(fr.energy[k] < log(1e-8))) bad++;
        }
        if (in_vowel) {
            loud++;
            if (!(fr.energy[k] > log(1e-3))) bad++;
        }
    }
    aud_frames_free(&fr);
    EXPECT_INT(bad, 0);
    EXPECT_MSG(silent >= 20 && loud >= 40, "%d silent frames, %d loud", silent, loud);
}

/* Mean over the frames of a segment (away from its fades) of each band's feature. */
static int segment_profile(double *mean, const AudFrames *fr, const AudSegment *s)
{
    int a = s->start_ms * 16 + 30 * 16, b = s->end_ms * 16 - 30 * 16, n = 0;
    for (int j = 0; j < fr->bands; j++) mean[j] = 0;
    for (int k = 0; k < fr->n_frames; k++)
        if (frame_inside(fr, k, a, b)) {
            for (int j = 0; j < fr->bands; j++) mean[j] += fr->features[(size_t)k * fr->bands + j];
            n++;
        }
    for (int j = 0; n && j < fr->bands; j++) mean[j] /= n;
    return n;
}

static void speech_fricatives_are_high_and_vowels_have_formants(void)
{
    AudClip a;
    char err[300] = "";
    EXPECT_MSG(aud_synth(&a, "speech", err, sizeof err) == 0, "%s", err);
    AudFraming f = aud_framing_default();
    AudFrames fr;
    int rc = aud_frames(&fr, &a, &f, 1000, err, sizeof err);
    aud_clip_free(&a);
    EXPECT_MSG(rc == 0, "%s", err);
    int B = fr.bands;
    double top_fric = 0, top_vowel = 0;
    double vowel[3][AUD_MAX_BANDS] = {{0}}; /* mean profile of /a/, /i/, /u/ */
    int n_vowel[3] = {0}, n_fric = 0, n_voiced = 0, ok = 1;
    for (const AudSegment *s = aud_speech_segments; ok && s->label; s++) {
        double m[AUD_MAX_BANDS];
        if (s->kind == AUD_BURST) continue;
        if (segment_profile(m, &fr, s) == 0) {
            test_fail(__FILE__, __LINE__, "segment \"%s\" at %d ms has no whole frame", s->label, s->start_ms);
            ok = 0;
            break;
        }
        double top = (m[B - 1] + m[B - 2]) / 2, low = (m[0] + m[1] + m[2] + m[3]) / 4;
        if (s->kind == AUD_FRICATIVE) {
            top_fric += top;
            n_fric++;
            if (!(top > low)) {
                test_fail(__FILE__, __LINE__, "fricative \"%s\" at %d ms: top bands %g, low bands %g", s->label,
                          s->start_ms, top, low);
                ok = 0;
            }
            continue;
        }
        top_vowel += top;
        n_voiced++;
        const char *which = strchr("aiu", s->label[0]);
        if (s->label[1] || !which) continue; /* glides are left out of the profiles */
        for (int j = 0; j < B; j++) vowel[which - "aiu"][j] += m[j];
        n_vowel[which - "aiu"]++;
    }
    int b700 = band_of(&fr, 700), b800 = band_of(&fr, 800), b2300 = band_of(&fr, 2300);
    aud_frames_free(&fr);
    if (!ok) return;
    EXPECT(n_fric >= 2 && n_voiced >= 2 && n_vowel[0] && n_vowel[1] && n_vowel[2]);
    top_fric /= n_fric;
    top_vowel /= n_voiced;
    EXPECT_MSG(top_fric > top_vowel + log(10.0), "top bands: fricatives %g, vowels %g", top_fric, top_vowel);

    /* each vowel stands out where its formants are: /a/ (F1 700 Hz) and /u/ (F2 800 Hz)
     * above /i/ (F1 300, F2 2300) around 700 to 800 Hz; /i/ above both around 2300 Hz */
    for (int v = 0; v < 3; v++)
        for (int j = 0; j < B; j++) vowel[v][j] /= n_vowel[v];
    enum { A, I, U };
    EXPECT_MSG(vowel[A][b700] > vowel[I][b700] + log(4.0), "700 Hz: /a/ %g, /i/ %g", vowel[A][b700], vowel[I][b700]);
    EXPECT_MSG(vowel[U][b800] > vowel[I][b800] + log(4.0), "800 Hz: /u/ %g, /i/ %g", vowel[U][b800], vowel[I][b800]);
    EXPECT_MSG(vowel[I][b2300] > vowel[A][b2300] + log(2.0) && vowel[I][b2300] > vowel[U][b2300] + log(2.0),
               "2300 Hz: /i/ %g, /a/ %g, /u/ %g", vowel[I][b2300], vowel[A][b2300], vowel[U][b2300]);
}

static void tone_and_chirp_follow_their_frequency(void)
{
    AudClip c;
    char err[300] = "";
    AudFraming f = aud_framing_default();
    AudFrames fr;
    EXPECT_MSG(aud_synth(&c, "tone", err, sizeof err) == 0, "%s", err);
    EXPECT_INT(c.rate, 16000);
    EXPECT_INT(c.n, 16000);
    int rc = aud_frames(&fr, &c, &f, 1000, err, sizeof err);
    aud_clip_free(&c);
    EXPECT_MSG(rc == 0, "%s", err);
    int want = band_of(&fr, 1000), off = 0;
    for (int k = 0; k < fr.n_frames; k++) off += loudest_band(&fr, k) != want;
    aud_frames_free(&fr);
    EXPECT_INT(off, 0);

    /* f(t) = 200 * 30^(t / 2 s); frames whose frequency is well inside a band (not within
     * 8% of an edge) are loudest in that band */
    EXPECT_MSG(aud_synth(&c, "chirp", err, sizeof err) == 0, "%s", err);
    EXPECT_INT(c.rate, 16000);
    EXPECT_INT(c.n, 32000);
    rc = aud_frames(&fr, &c, &f, 1000, err, sizeof err);
    aud_clip_free(&c);
    EXPECT_MSG(rc == 0, "%s", err);
    int checked = 0, first = -1, last = -1;
    off = 0;
    for (int k = 0; k < fr.n_frames; k++) {
        double t = (fr.start[k] + fr.frame_len / 2.0) / 16000.0, hz = 200 * pow(30, t / 2);
        int b = band_of(&fr, hz);
        if (b < 0 || hz < fr.band_lo_hz[b] * 1.08 || hz > fr.band_hi_hz[b] / 1.08) continue;
        checked++;
        if (loudest_band(&fr, k) != b) off++;
        if (first < 0) first = b;
        last = b;
    }
    aud_frames_free(&fr);
    EXPECT_MSG(checked > 100 && off == 0, "%d of %d frames loudest in the wrong band", off, checked);
    EXPECT(first < last);
}

void suite_audio(void)
{
    RUN(framing_one_second_at_16000_hz_gives_98_frames);
    RUN(framing_other_rates_and_hops);
    RUN(clip_of_one_frame_gives_one_and_shorter_is_refused);
    RUN(framing_outside_its_ranges_is_refused);
    RUN(too_many_frames_names_the_limit_and_a_hop_that_fits);
    RUN(features_match_a_direct_dft);
    RUN(pure_tones_light_their_own_band);
    RUN(silence_and_bad_samples_give_finite_equal_features);
    RUN(band_edges_are_contiguous_and_mel_spaced);
    RUN(white_noise_reads_as_its_variance_in_every_band);
    RUN(round_trip_within_16_bit_quantisation);
    RUN(stereo_16_bit_loads_as_the_channel_average);
    RUN(unsigned_8_bit_loads);
    RUN(float_and_24_bit_load);
    RUN(damaged_files_are_refused_by_name);
    RUN(missing_file_and_directory_are_named);
    RUN(clips_longer_than_a_minute_are_refused);
    RUN(failed_writes_leave_no_file);
    RUN(synth_names_and_unknown_name);
    RUN(speech_is_deterministic_with_silences_and_loud_syllables);
    RUN(speech_fricatives_are_high_and_vowels_have_formants);
    RUN(tone_and_chirp_follow_their_frequency);
}
