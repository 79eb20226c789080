/* audio.c: sound for attention: WAV files read with a header check of our own before SDL
 * decodes them, atomic 16-bit WAV writing, the synthesised sounds, and framing with FFTW. */
#include "audio.h"
#include "../engine/msg.h"
#include "../file/file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SDL.h>
#include <fftw3.h>

static const double PI = 3.14159265358979323846;

void aud_clip_free(AudClip *c)
{
    if (!c) return;
    free(c->samples);
    c->samples = NULL;
    c->n = c->rate = 0;
}

/* ---------------------------------------------------------------- reading WAV */

/* Format tags (the fmt chunk's first field) that SDL's reader decodes. */
enum { TAG_PCM = 1, TAG_ADPCM = 2, TAG_FLOAT = 3, TAG_ALAW = 6, TAG_MULAW = 7, TAG_IMA_ADPCM = 0x11,
       TAG_EXTENSIBLE = 0xfffe };

/* What the header promises, read before anything is decoded. */
typedef struct {
    unsigned tag;               /* WAVE_FORMAT_EXTENSIBLE resolved to its subformat */
    unsigned channels, block_align, samples_per_block;
    unsigned long rate, data_len;
} WavHeader;

static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

static unsigned long le32(const unsigned char *p)
{
    return (unsigned long)p[0] | (unsigned long)p[1] << 8 | (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}

/* "3 min 12 s", "1 min 0.5 s", "42 s": rounded up to a tenth so a clip just over a limit
 * never reads as equal to it. */
static void format_duration(char *buf, size_t len, double seconds)
{
    long long tenths = (long long)ceil(seconds * 10 - 1e-9), min = tenths / 600, rest = tenths % 600;
    int at = 0;
    if (min > 0) at = snprintf(buf, len, "%lld min ", min);
    if (at < 0 || (size_t)at >= len) return;
    if (rest % 10 == 0) snprintf(buf + at, len - (size_t)at, "%lld s", rest / 10);
    else snprintf(buf + at, len - (size_t)at, "%lld.%lld s", rest / 10, rest % 10);
}

static int too_long(const char *name, double samples, double rate, char *err, size_t errlen)
{
    char d[64];
    format_duration(d, sizeof d, samples / rate);
    return msg_fail(err, errlen, "%s: %s is longer than the limit of %d s", name, d, AUD_MAX_SECONDS);
}

/* Walks the RIFF chunks up to the start of the data chunk and fills h from the fmt chunk.
 * A chunk that claims more bytes than the file holds is reported as truncated. */
static int wav_read_header(WavHeader *h, SDL_RWops *rw, const char *name, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    Sint64 total = SDL_RWsize(rw); /* -1 when the source cannot tell */
    unsigned char b[40];
    size_t got = SDL_RWread(rw, b, 1, 12);
    if (got == 0) return msg_fail(err, errlen, "%s: empty file (0 bytes), not a WAV file", name);
    if (got < 4 || memcmp(b, "RIFF", 4) != 0) return msg_fail(err, errlen, "%s: not a WAV file (no RIFF header)", name);
    if (got < 12) return msg_fail(err, errlen, "%s: truncated: the file ends inside the RIFF header", name);
    if (memcmp(b + 8, "WAVE", 4) != 0)
        return msg_fail(err, errlen, "%s: not a WAV file (a RIFF file, but not of type WAVE)", name);

    Sint64 pos = 12;
    int have_fmt = 0;
    for (;;) {
        got = SDL_RWread(rw, b, 1, 8);
        if (got == 0)
            return msg_fail(err, errlen, "%s: truncated: the file ends before the %s chunk", name,
                        have_fmt ? "data" : "fmt");
        if (got < 8) return msg_fail(err, errlen, "%s: truncated: the file ends inside a chunk header", name);
        pos += 8;
        unsigned long size = le32(b + 4);
        long long left = total >= 0 ? (long long)(total - pos) : -1;
        char id[5];
        for (int i = 0; i < 4; i++) id[i] = (b[i] >= 32 && b[i] < 127) ? (char)b[i] : '?';
        id[4] = '\0';

        if (memcmp(b, "data", 4) == 0) {
            if (!have_fmt) return msg_fail(err, errlen, "%s: damaged: the data chunk comes before the fmt chunk", name);
            if (left >= 0 && (long long)size > left)
                return msg_fail(err, errlen, "%s: truncated: the data chunk holds %lld of its %lu bytes", name, left, size);
            h->data_len = size;
            return 0;
        }
        if (left >= 0 && (long long)size > left)
            return msg_fail(err, errlen, "%s: truncated: the file ends inside the \"%s\" chunk", name, id);

        unsigned long skip = size + (size & 1); /* chunks are padded to an even length */
        if (memcmp(b, "fmt ", 4) == 0) {
            if (size < 16)
                return msg_fail(err, errlen, "%s: damaged: the fmt chunk is %lu bytes, at least 16 are needed", name, size);
            size_t want = size < sizeof b ? size : sizeof b;
            if (SDL_RWread(rw, b, 1, want) != want)
                return msg_fail(err, errlen, "%s: truncated: the file ends inside the fmt chunk", name);
            h->tag = le16(b);
            h->channels = le16(b + 2);
            h->rate = le32(b + 4);
            h->block_align = le16(b + 12);
            h->samples_per_block = want >= 20 ? le16(b + 18) : 0; /* ADPCM only */
            if (h->tag == TAG_EXTENSIBLE) {
                if (want < 40)
                    return msg_fail(err, errlen, "%s: damaged: an extensible fmt chunk of %lu bytes has no subformat",
                                name, size);
                h->tag = le16(b + 24); /* the subformat GUID starts with the plain tag */
            }
            have_fmt = 1;
            skip -= want;
            pos += (Sint64)want;
        }
        if (skip && SDL_RWseek(rw, (Sint64)skip, RW_SEEK_CUR) < 0)
            return msg_fail(err, errlen, "%s: %s", name, SDL_GetError());
        pos += (Sint64)skip;
    }
}

/* The header's promises against attnlab's limits. */
static int wav_check_header(const WavHeader *h, const char *name, char *err, size_t errlen)
{
    int plain = h->tag == TAG_PCM || h->tag == TAG_FLOAT || h->tag == TAG_ALAW || h->tag == TAG_MULAW;
    int adpcm = h->tag == TAG_ADPCM || h->tag == TAG_IMA_ADPCM;
    if (!plain && !adpcm)
        return msg_fail(err, errlen,
                    "%s: unsupported format tag 0x%04X (attnlab reads PCM, IEEE float, A-law, mu-law and ADPCM)",
                    name, h->tag);
    if (h->channels == 0) return msg_fail(err, errlen, "%s: damaged: the fmt chunk says 0 channels", name);
    if (h->block_align == 0) return msg_fail(err, errlen, "%s: damaged: the fmt chunk says 0 bytes a block", name);
    if (h->rate < AUD_MIN_RATE)
        return msg_fail(err, errlen, "%s: sample rate %lu Hz is below %d Hz", name, h->rate, AUD_MIN_RATE);
    if (h->rate > AUD_MAX_RATE)
        return msg_fail(err, errlen, "%s: sample rate %lu Hz is above the limit of %d Hz", name, h->rate, AUD_MAX_RATE);
    /* samples per channel; for ADPCM only whole blocks are counted, and only when the
     * header says how many samples a block holds (SDL's own check covers the rest) */
    double samples = (double)(h->data_len / h->block_align);
    if (adpcm) samples *= h->samples_per_block;
    if (h->data_len == 0 || (plain && samples == 0)) return msg_fail(err, errlen, "%s: empty: no samples", name);
    if (samples > (double)AUD_MAX_SECONDS * (double)h->rate)
        return too_long(name, samples, (double)h->rate, err, errlen);
    return 0;
}

/* One sample of whatever format SDL decoded to, as a value in [-1, 1] (non-finite floats
 * read as 0). */
static double sample_value(const Uint8 *p, SDL_AudioFormat fmt)
{
    int bits = SDL_AUDIO_BITSIZE(fmt), bytes = bits / 8;
    uint32_t u = 0;
    for (int i = 0; i < bytes; i++)
        u |= (uint32_t)p[i] << (8 * (SDL_AUDIO_ISBIGENDIAN(fmt) ? bytes - 1 - i : i));
    double v;
    if (SDL_AUDIO_ISFLOAT(fmt)) {
        float f;
        memcpy(&f, &u, sizeof f);
        v = isfinite(f) ? f : 0.0;
    } else {
        double half = ldexp(1.0, bits - 1); /* 128, 32768 or 2^31 */
        if (SDL_AUDIO_ISSIGNED(fmt)) v = ((u >> (bits - 1)) & 1u ? (double)u - 2 * half : (double)u) / half;
        else v = ((double)u - half) / half;
    }
    return v < -1 ? -1 : v > 1 ? 1 : v;
}

/* SDL's decoded buffer (interleaved channels) averaged into mono floats. */
static int mix_to_mono(AudClip *out, const Uint8 *buf, Uint32 len, const SDL_AudioSpec *spec, const char *name,
                       char *err, size_t errlen)
{
    SDL_AudioFormat fmt = spec->format;
    int bits = SDL_AUDIO_BITSIZE(fmt);
    if ((bits != 8 && bits != 16 && bits != 32) || (SDL_AUDIO_ISFLOAT(fmt) && bits != 32) || spec->channels == 0)
        return msg_fail(err, errlen, "%s: SDL decoded to an unexpected sample format (0x%04X, %d channels)", name,
                    (unsigned)fmt, spec->channels);
    if (spec->freq < AUD_MIN_RATE || spec->freq > AUD_MAX_RATE)
        return msg_fail(err, errlen, "%s: sample rate %d Hz is outside %d..%d Hz", name, spec->freq, AUD_MIN_RATE,
                    AUD_MAX_RATE);
    size_t bytes = (size_t)bits / 8, frame = bytes * spec->channels, n = len / frame;
    if (n == 0) return msg_fail(err, errlen, "%s: empty: no samples", name);
    if ((double)n > (double)AUD_MAX_SECONDS * spec->freq) return too_long(name, (double)n, spec->freq, err, errlen);
    float *s = malloc(sizeof(float) * n);
    if (!s) return msg_fail(err, errlen, "%s: out of memory for %zu samples", name, n);
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        for (int c = 0; c < spec->channels; c++) sum += sample_value(buf + i * frame + (size_t)c * bytes, fmt);
        s[i] = (float)(sum / spec->channels);
    }
    out->samples = s;
    out->n = (int)n;
    out->rate = spec->freq;
    return 0;
}

static int load_rw(AudClip *out, SDL_RWops *rw, const char *name, char *err, size_t errlen)
{
    WavHeader h;
    if (wav_read_header(&h, rw, name, err, errlen) || wav_check_header(&h, name, err, errlen)) return -1;
    if (SDL_RWseek(rw, 0, RW_SEEK_SET) < 0) return msg_fail(err, errlen, "%s: %s", name, SDL_GetError());
    SDL_AudioSpec spec;
    Uint8 *buf = NULL;
    Uint32 len = 0;
    if (!SDL_LoadWAV_RW(rw, 0, &spec, &buf, &len))
        return msg_fail(err, errlen, "%s: cannot decode the WAV file: %s", name, SDL_GetError());
    int rc = mix_to_mono(out, buf, len, &spec, name, err, errlen);
    SDL_FreeWAV(buf);
    return rc;
}

int aud_load_wav_mem(AudClip *out, const void *data, size_t len, const char *name, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!name) name = "sound";
    if (!data || len == 0) return msg_fail(err, errlen, "%s: empty file (0 bytes), not a WAV file", name);
    if (len > INT32_MAX) return msg_fail(err, errlen, "%s: %zu bytes is larger than the limit of 2 GB", name, len);
    SDL_RWops *rw = SDL_RWFromConstMem(data, (int)len);
    if (!rw) return msg_fail(err, errlen, "%s: %s", name, SDL_GetError());
    int rc = load_rw(out, rw, name, err, errlen);
    SDL_RWclose(rw);
    return rc;
}

int aud_load_wav(AudClip *out, const char *path, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb"); /* opened here rather than by SDL for the system's reason */
    if (!f) return msg_fail(err, errlen, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return msg_fail(err, errlen, "%s: is a directory, not a WAV file", path);
    }
    SDL_RWops *rw = SDL_RWFromFP(f, SDL_TRUE);
    if (!rw) {
        fclose(f);
        return msg_fail(err, errlen, "%s: %s", path, SDL_GetError());
    }
    int rc = load_rw(out, rw, path, err, errlen);
    SDL_RWclose(rw);
    return rc;
}

/* ---------------------------------------------------------------- writing WAV */

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, unsigned long v)
{
    put16(p, (unsigned)(v & 0xffff));
    put16(p + 2, (unsigned)(v >> 16));
}

int aud_write_wav(const AudClip *c, const char *path, char *err, size_t errlen)
{
    if (!c || !c->samples || c->n <= 0) return msg_fail(err, errlen, "cannot write %s: the clip has no samples", path);
    if (c->rate < AUD_MIN_RATE || c->rate > AUD_MAX_RATE)
        return msg_fail(err, errlen, "cannot write %s: sample rate %d Hz is outside %d..%d Hz", path, c->rate,
                    AUD_MIN_RATE, AUD_MAX_RATE);
    if ((unsigned long)c->n > (0xffffffffUL - 36) / 2)
        return msg_fail(err, errlen, "cannot write %s: %d samples do not fit in a WAV file", path, c->n);
    size_t data = (size_t)c->n * 2, len = 44 + data;
    unsigned char *b = malloc(len);
    if (!b) return msg_fail(err, errlen, "cannot write %s: out of memory for %zu bytes", path, len);
    memcpy(b, "RIFF", 4);
    put32(b + 4, (unsigned long)(36 + data));
    memcpy(b + 8, "WAVEfmt ", 8);
    put32(b + 16, 16);
    put16(b + 20, TAG_PCM);
    put16(b + 22, 1);                            /* channels */
    put32(b + 24, (unsigned long)c->rate);
    put32(b + 28, (unsigned long)c->rate * 2);   /* bytes a second */
    put16(b + 32, 2);                            /* bytes a block */
    put16(b + 34, 16);                           /* bits a sample */
    memcpy(b + 36, "data", 4);
    put32(b + 40, (unsigned long)data);
    for (int i = 0; i < c->n; i++) {
        double v = c->samples[i];
        v = v >= -1 && v <= 1 ? v : v > 1 ? 1 : v < -1 ? -1 : 0; /* NaN becomes 0 */
        long q = lround(v * 32768.0);
        if (q > 32767) q = 32767;
        put16(b + 44 + 2 * (size_t)i, (unsigned)(q & 0xffff));
    }
    int rc = file_write_atomic(path, b, len, err, errlen);
    free(b);
    return rc;
}

/* ---------------------------------------------------------------- synthesis */

const char *const aud_synth_names[] = {"speech", "tone", "chirp", NULL};

const AudSegment aud_speech_segments[] = {
    {AUD_FRICATIVE, "s", 120, 250},   {AUD_VOWEL, "a", 250, 470},       {AUD_BURST, "t", 560, 580},
    {AUD_VOWEL, "i", 585, 790},       {AUD_FRICATIVE, "sh", 900, 1040}, {AUD_VOWEL, "u", 1040, 1270},
    {AUD_VOWEL, "ai", 1400, 1690},    {AUD_FRICATIVE, "s", 1690, 1840}, {AUD_BURST, "k", 1980, 2000},
    {AUD_VOWEL, "u", 2005, 2200},     {AUD_FRICATIVE, "s", 2320, 2450}, {AUD_VOWEL, "i", 2450, 2720},
    {AUD_VOWEL, NULL, 0, 0},
};

enum { SYNTH_RATE = 16000, VOWEL_HARMONICS = 36 }; /* 36 x 135 Hz stays below 5 kHz */

typedef struct {
    char name;
    double formant[3]; /* Hz */
} Vowel;
static const Vowel vowels[] = {{'a', {700, 1200, 2600}}, {'i', {300, 2300, 3000}}, {'u', {300, 800, 2250}}};
static const double formant_width[3] = {90, 110, 170}; /* bandwidth, Hz */
static const double formant_gain[3] = {1.0, 0.7, 0.35};

static const Vowel *find_vowel(char c)
{
    for (size_t i = 0; i < sizeof vowels / sizeof vowels[0]; i++)
        if (vowels[i].name == c) return &vowels[i];
    return &vowels[0];
}

/* A vowel by additive synthesis: harmonics of a falling fundamental, each weighted by how
 * close it lies to the formants (a resonance curve per formant). A two-letter label glides
 * from the first vowel to the second over the middle of the segment. */
static void render_vowel(float *out, int n, const char *label, int rate)
{
    const Vowel *from = find_vowel(label[0]), *to = find_vowel(label[strlen(label) - 1]);
    double phase = 0;
    for (int i = 0; i < n; i++) {
        double t = (double)i / n, f0 = 135.0 - 25.0 * t;
        double m = t < 0.3 ? 0 : t > 0.7 ? 1 : 0.5 - 0.5 * cos(PI * (t - 0.3) / 0.4);
        double s = 0;
        for (int h = 1; h <= VOWEL_HARMONICS; h++) {
            double a = 0;
            for (int j = 0; j < 3; j++) {
                double F = from->formant[j] + m * (to->formant[j] - from->formant[j]);
                double d = (h * f0 - F) / (formant_width[j] / 2);
                a += formant_gain[j] / sqrt(1 + d * d);
            }
            s += a * sin(h * phase);
        }
        out[i] = (float)s;
        phase += 2 * PI * f0 / rate;
        if (phase > 2 * PI) phase -= 2 * PI;
    }
}

/* A second-order Butterworth section (the audio EQ cookbook's, Q = 1/sqrt 2), run in
 * transposed direct form II. */
typedef struct {
    double b0, b1, b2, a1, a2, z1, z2;
} Biquad;

static Biquad biquad(int highpass, double fc, double rate)
{
    double w = 2 * PI * fc / rate, c = cos(w), alpha = sin(w) / (2 / sqrt(2.0)), a0 = 1 + alpha;
    Biquad q = {0};
    q.b0 = q.b2 = (highpass ? (1 + c) : (1 - c)) / 2 / a0;
    q.b1 = (highpass ? -(1 + c) : (1 - c)) / a0;
    q.a1 = -2 * c / a0;
    q.a2 = (1 - alpha) / a0;
    return q;
}

static double biquad_run(Biquad *q, double x)
{
    double y = q->b0 * x + q->z1;
    q->z1 = q->b1 * x - q->a1 * y + q->z2;
    q->z2 = q->b2 * x - q->a2 * y;
    return y;
}

/* xorshift32: the only source of noise, seeded the same way on every call */
static double noise(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (double)(*s >> 8) / 8388608.0 - 1.0; /* [-1, 1) */
}

/* White noise through a fourth-order high-pass at hp Hz and, if lp > 0, a low-pass. */
static void render_noise(float *out, int n, double hp, double lp, int rate, uint32_t *seed)
{
    Biquad h1 = biquad(1, hp, rate), h2 = h1, l = biquad(0, lp > 0 ? lp : rate / 4.0, rate);
    for (int i = 0; i < n; i++) {
        double y = biquad_run(&h2, biquad_run(&h1, noise(seed)));
        out[i] = (float)(lp > 0 ? biquad_run(&l, y) : y);
    }
}

static void scale_to_rms(float *x, int n, double rms)
{
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    if (ss <= 0) return;
    double g = rms / sqrt(ss / n);
    for (int i = 0; i < n; i++) x[i] = (float)(x[i] * g);
}

/* Raised-cosine ramps over the first fade_in and last fade_out samples. */
static void fade(float *x, int n, int fade_in, int fade_out)
{
    for (int i = 0; i < fade_in && i < n; i++) x[i] *= (float)(0.5 - 0.5 * cos(PI * i / fade_in));
    for (int i = 0; i < fade_out && i < n; i++) x[n - 1 - i] *= (float)(0.5 - 0.5 * cos(PI * i / fade_out));
}

static int ms(int m) { return m * SYNTH_RATE / 1000; }

static int synth_speech(float *y, int n)
{
    float *seg = malloc(sizeof(float) * (size_t)n), *breath = malloc(sizeof(float) * (size_t)n);
    if (!seg || !breath) {
        free(seg);
        free(breath);
        return -1;
    }
    uint32_t seed = 0x2545f491u;
    for (const AudSegment *s = aud_speech_segments; s->label; s++) {
        int a = ms(s->start_ms), len = ms(s->end_ms) - a;
        if (a < 0 || len <= 0 || a + len > n) continue;
        if (s->kind == AUD_VOWEL) {
            render_vowel(seg, len, s->label, SYNTH_RATE);
            scale_to_rms(seg, len, 0.10);
            /* a little breath noise 30 dB down, so the bands above the harmonics are quiet
             * rather than empty */
            render_noise(breath, len, 2000, 0, SYNTH_RATE, &seed);
            scale_to_rms(breath, len, 0.0032);
            for (int i = 0; i < len; i++) seg[i] += breath[i];
            fade(seg, len, ms(20), ms(20));
        } else if (s->kind == AUD_FRICATIVE) {
            int sh = strcmp(s->label, "sh") == 0;
            render_noise(seg, len, sh ? 2800 : 4000, sh ? 7000 : 0, SYNTH_RATE, &seed);
            scale_to_rms(seg, len, sh ? 0.045 : 0.035);
            fade(seg, len, ms(30), ms(30));
        } else { /* a release burst: sharp onset, quick decay */
            render_noise(seg, len, 1500, 0, SYNTH_RATE, &seed);
            scale_to_rms(seg, len, 0.15);
            for (int i = 0; i < len; i++) seg[i] *= (float)exp(-(double)i / ms(5));
            fade(seg, len, ms(1), ms(3));
        }
        for (int i = 0; i < len; i++) y[a + i] += seg[i];
    }
    free(seg);
    free(breath);
    /* keep clear of clipping, the same way every time */
    float peak = 0;
    for (int i = 0; i < n; i++) peak = fmaxf(peak, fabsf(y[i]));
    if (peak > 0.9f)
        for (int i = 0; i < n; i++) y[i] *= 0.9f / peak;
    return 0;
}

static void synth_tone(float *y, int n)
{
    for (int i = 0; i < n; i++) y[i] = (float)(0.5 * sin(2 * PI * 1000.0 * i / SYNTH_RATE));
    fade(y, n, ms(10), ms(10));
}

/* f(t) = f0 k^(t/T) with k = f1/f0, so the phase is 2 pi f0 T (k^(t/T) - 1) / ln k */
static void synth_chirp(float *y, int n)
{
    double f0 = 200, k = 6000.0 / 200.0, T = (double)n / SYNTH_RATE;
    for (int i = 0; i < n; i++) {
        double t = (double)i / SYNTH_RATE;
        y[i] = (float)(0.5 * sin(2 * PI * f0 * T * (pow(k, t / T) - 1) / log(k)));
    }
    fade(y, n, ms(10), ms(10));
}

int aud_synth(AudClip *out, const char *name, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int which = -1;
    for (int i = 0; name && aud_synth_names[i]; i++)
        if (strcmp(name, aud_synth_names[i]) == 0) which = i;
    if (which < 0) {
        char known[128];
        msg_join(known, sizeof known, aud_synth_names, "");
        return msg_fail(err, errlen, "unknown sound \"%s\": the built-in sounds are %s", name ? name : "(none)", known);
    }
    static const int seconds[] = {3, 1, 2};
    int n = seconds[which] * SYNTH_RATE;
    float *y = calloc((size_t)n, sizeof(float));
    if (!y || (which == 0 && synth_speech(y, n))) {
        free(y);
        return msg_fail(err, errlen, "out of memory for %d samples", n);
    }
    if (which == 1) synth_tone(y, n);
    if (which == 2) synth_chirp(y, n);
    out->samples = y;
    out->n = n;
    out->rate = SYNTH_RATE;
    return 0;
}

/* ---------------------------------------------------------------- framing */

AudFraming aud_framing_default(void)
{
    AudFraming f = {25.0f, 10.0f, 8};
    return f;
}

static double hz_to_mel(double hz) { return 2595.0 * log10(1.0 + hz / 700.0); }
static double mel_to_hz(double mel) { return 700.0 * (pow(10.0, mel / 2595.0) - 1.0); }

void aud_frames_free(AudFrames *f)
{
    if (!f) return;
    free(f->start);
    free(f->features);
    free(f->band_lo_hz);
    free(f->band_hi_hz);
    free(f->energy);
    memset(f, 0, sizeof *f);
}

static float clean_sample(float v)
{
    if (!isfinite(v)) return 0;
    return v < -1 ? -1 : v > 1 ? 1 : v;
}

/* Checks the framing and works out the frame sizes; fills the size fields of out. */
static int frames_layout(AudFrames *out, const AudClip *clip, const AudFraming *f, int max_frames, char *err,
                         size_t errlen)
{
    if (!clip || !clip->samples || clip->n <= 0) return msg_fail(err, errlen, "the clip has no samples");
    if (clip->rate < AUD_MIN_RATE || clip->rate > AUD_MAX_RATE)
        return msg_fail(err, errlen, "sample rate %d Hz is outside %d..%d Hz", clip->rate, AUD_MIN_RATE, AUD_MAX_RATE);
    if (!(f->win_ms >= 1 && f->win_ms <= AUD_MAX_WIN_MS))
        return msg_fail(err, errlen, "a window of %g ms is outside 1..%d ms", f->win_ms, AUD_MAX_WIN_MS);
    if (!(f->hop_ms >= 1 && f->hop_ms <= f->win_ms))
        return msg_fail(err, errlen, "a hop of %g ms is outside 1..%g ms (at most the window)", f->hop_ms, f->win_ms);
    if (f->bands < 1 || f->bands > AUD_MAX_BANDS)
        return msg_fail(err, errlen, "%d bands is outside 1..%d", f->bands, AUD_MAX_BANDS);
    if (max_frames < 1) return msg_fail(err, errlen, "a limit of %d frames allows none", max_frames);

    int rate = clip->rate, len = (int)lround(f->win_ms * rate / 1000.0), hop = (int)lround(f->hop_ms * rate / 1000.0);
    if (clip->n < len)
        return msg_fail(err, errlen, "the clip is %d samples (%.1f ms), shorter than one frame of %d samples (%g ms)",
                    clip->n, clip->n * 1000.0 / rate, len, f->win_ms);
    long long frames = 1 + (long long)(clip->n - len) / hop;
    if (frames > max_frames) {
        /* the shortest hop h with (n - len) / h < max_frames, rounded up to a tenth of a ms */
        long long need = (long long)(clip->n - len) / max_frames + 1;
        double need_ms = ceil(need * 10000.0 / rate) / 10;
        return msg_fail(err, errlen, "%lld frames is more than the limit of %d: use a hop of at least %.1f ms%s", frames,
                    max_frames, need_ms, need_ms > f->win_ms ? " and a window at least as long" : "");
    }
    int fft = 1;
    while (fft < len) fft <<= 1;
    out->n_frames = (int)frames;
    out->frame_len = len;
    out->hop = hop;
    out->bands = f->bands;
    out->rate = rate;
    out->fft_size = fft;
    return 0;
}

/* Band edges evenly spaced in mel, and which band each FFT bin 0..fft/2 falls in. */
static int frames_bands(AudFrames *out, int *bin_band, int *count, char *err, size_t errlen)
{
    int B = out->bands, nbins = out->fft_size / 2 + 1;
    double nyquist = out->rate / 2.0, top = hz_to_mel(nyquist);
    for (int b = 0; b < B; b++) {
        out->band_lo_hz[b] = b == 0 ? 0.0f : out->band_hi_hz[b - 1];
        out->band_hi_hz[b] = b == B - 1 ? (float)nyquist : (float)mel_to_hz(top * (b + 1) / B);
        count[b] = 0;
    }
    int b = 0;
    for (int k = 0; k < nbins; k++) {
        double hz = (double)k * out->rate / out->fft_size;
        while (b < B - 1 && hz >= out->band_hi_hz[b]) b++;
        bin_band[k] = b;
        count[b]++;
    }
    for (b = 0; b < B; b++)
        if (count[b] == 0)
            return msg_fail(err, errlen,
                        "band %d of %d (%.1f to %.1f Hz) holds no FFT bin: bins are %.1f Hz apart (%d-point FFT at "
                        "%d Hz); use fewer bands or a longer window",
                        b + 1, B, out->band_lo_hz[b], out->band_hi_hz[b], (double)out->rate / out->fft_size,
                        out->fft_size, out->rate);
    return 0;
}

int aud_frames(AudFrames *out, const AudClip *clip, const AudFraming *f, int max_frames, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (frames_layout(out, clip, f, max_frames, err, errlen)) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    int N = out->n_frames, B = out->bands, len = out->frame_len, fft = out->fft_size, nbins = fft / 2 + 1;
    int count[AUD_MAX_BANDS];
    int *bin_band = malloc(sizeof(int) * (size_t)nbins);
    float *window = malloc(sizeof(float) * (size_t)len);
    float *in = fftwf_malloc(sizeof(float) * (size_t)fft);
    fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)nbins);
    fftwf_plan plan = NULL;
    out->start = malloc(sizeof(int) * (size_t)N);
    out->features = malloc(sizeof(float) * (size_t)N * (size_t)B);
    out->band_lo_hz = malloc(sizeof(float) * (size_t)B);
    out->band_hi_hz = malloc(sizeof(float) * (size_t)B);
    out->energy = malloc(sizeof(float) * (size_t)N);
    int rc = -1;
    if (!bin_band || !window || !in || !spec || !out->start || !out->features || !out->band_lo_hz ||
        !out->band_hi_hz || !out->energy) {
        msg_fail(err, errlen, "out of memory for %d frames of %d bands", N, B);
        goto done;
    }
    if (frames_bands(out, bin_band, count, err, errlen)) goto done;
    plan = fftwf_plan_dft_r2c_1d(fft, in, spec, FFTW_ESTIMATE);
    if (!plan) {
        msg_fail(err, errlen, "FFTW could not plan a %d-point transform", fft);
        goto done;
    }

    /* periodic Hann window; bin powers are divided by sum(w^2) so a band's mean reads as
     * the signal's variance for white noise, whatever the window length */
    double wsum2 = 0;
    for (int i = 0; i < len; i++) {
        window[i] = (float)(0.5 - 0.5 * cos(2 * PI * i / len));
        wsum2 += (double)window[i] * window[i];
    }
    for (int i = len; i < fft; i++) in[i] = 0;

    for (int k = 0; k < N; k++) {
        const float *x = clip->samples + (size_t)k * out->hop;
        double e = 0;
        for (int i = 0; i < len; i++) {
            float v = clean_sample(x[i]);
            e += (double)v * v;
            in[i] = v * window[i];
        }
        fftwf_execute(plan);
        double acc[AUD_MAX_BANDS] = {0};
        for (int j = 0; j < nbins; j++)
            acc[bin_band[j]] += (double)spec[j][0] * spec[j][0] + (double)spec[j][1] * spec[j][1];
        for (int b = 0; b < B; b++)
            out->features[(size_t)k * B + b] = (float)log(acc[b] / (count[b] * wsum2) + 1e-10);
        out->energy[k] = (float)log(e / len + 1e-10);
        out->start[k] = k * out->hop;
    }
    rc = 0;

done:
    if (plan) fftwf_destroy_plan(plan);
    if (in) fftwf_free(in);
    if (spec) fftwf_free(spec);
    free(window);
    free(bin_band);
    if (rc) aud_frames_free(out);
    return rc;
}
