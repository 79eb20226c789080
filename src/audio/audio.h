/* audio.h: sound as an input to attention. Loading WAV files (through SDL's reader, any
 * format it decodes, mixed down to mono), writing 16-bit WAV files, the sounds attnlab
 * synthesises itself, and cutting a clip into overlapping frames described by their energy
 * in a few mel-spaced frequency bands (FFTW), one frame per token.
 *
 * Ownership: an AudClip owns its samples (aud_clip_free); an AudFrames owns every array in
 * it (aud_frames_free). On failure every function leaves its output zeroed with nothing to
 * free. Errors are one line in err: "NAME: reason" for files, the reason alone otherwise. */
#ifndef ATTN_AUDIO_H
#define ATTN_AUDIO_H

#include <stddef.h>

#define AUD_MAX_SECONDS 60   /* longest clip accepted */
#define AUD_MIN_RATE 8000    /* Hz: telephone speech; anything slower is refused */
#define AUD_MAX_RATE 192000  /* Hz */
#define AUD_MAX_BANDS 64
#define AUD_MAX_WIN_MS 1000  /* longest analysis window */

typedef struct {
    float *samples;  /* n values, mono, in [-1, 1] */
    int n;           /* samples */
    int rate;        /* samples per second */
} AudClip;

void aud_clip_free(AudClip *c);

/* Reads a WAV file: PCM of 8, 16, 24 or 32 bits, 32-bit float, A-law, mu-law or ADPCM, any
 * number of channels (averaged into one). Returns 0, or -1 with "PATH: reason", e.g.
 * "not a WAV file (no RIFF header)", "truncated: ...", "empty: no samples", "unsupported
 * format tag 0x0055 ...", "3 min 12 s is longer than the limit of 60 s", "sample rate
 * 4000 Hz is below 8000 Hz". The header is checked (length, rate, format) before anything
 * is decoded; a data chunk shorter than its header says is refused as truncated. */
int aud_load_wav(AudClip *out, const char *path, char *err, size_t errlen);

/* The same from bytes in memory (name is used in messages). */
int aud_load_wav_mem(AudClip *out, const void *data, size_t len, const char *name, char *err, size_t errlen);

/* Writes the clip as a 16-bit PCM mono WAV file: sample x becomes round(32768 x) clipped to
 * -32768..32767, so a clip read from such a file is written back unchanged. Atomic: the
 * bytes go to PATH.tmp-XXXXXX, which is flushed and renamed over PATH; on failure no file
 * is left and an existing PATH is untouched. Returns 0, or -1 with "cannot write PATH:
 * reason" (an empty clip or a rate outside AUD_MIN_RATE..AUD_MAX_RATE is refused). */
int aud_write_wav(const AudClip *c, const char *path, char *err, size_t errlen);

/* Sounds attnlab makes itself, the same samples every time (noise comes from a generator
 * with a fixed seed), all at 16000 Hz:
 *   "speech": 3 s of made-up syllables, the segments listed in aud_speech_segments with
 *             silence between them. Vowels are a fundamental falling from 135 to 110 Hz
 *             with harmonics up to about 5 kHz shaped by three formant peaks (/a/ 700,
 *             1200, 2600 Hz; /i/ 300, 2300, 3000; /u/ 300, 800, 2250; "ai" glides from
 *             /a/ to /i/), plus a little breath noise above 2 kHz, 30 dB down.
 *             Fricatives are high-passed noise ("s" above 4 kHz, "sh" 2.8 to 7 kHz);
 *             bursts are 20 ms clicks of noise above 1.5 kHz, like the release of t or k.
 *             Every segment fades in and out so nothing clicks.
 *   "tone":   1 s of a 1000 Hz sine, amplitude 0.5, 10 ms fades.
 *   "chirp":  2 s sine sweeping from 200 to 6000 Hz at an even rate in octaves
 *             (f(t) = 200 * 30^(t / 2 s)), amplitude 0.5, 10 ms fades.
 * Returns 0, or -1 for an unknown name with a message listing the known ones. */
int aud_synth(AudClip *out, const char *name, char *err, size_t errlen);
extern const char *const aud_synth_names[]; /* NULL-terminated */

typedef enum { AUD_VOWEL, AUD_FRICATIVE, AUD_BURST } AudSegmentKind;
typedef struct {
    AudSegmentKind kind;
    const char *label;     /* "a", "i", "u", "ai", "s", "sh", "t", "k" */
    int start_ms, end_ms;  /* where it sounds, fades included; silence elsewhere */
} AudSegment;
extern const AudSegment aud_speech_segments[]; /* in time order, ends with a NULL label */

typedef struct {
    float win_ms;  /* analysis window, 1..AUD_MAX_WIN_MS */
    float hop_ms;  /* step between frame starts, 1..win_ms (frames never leave gaps) */
    int bands;     /* 1..AUD_MAX_BANDS */
} AudFraming;

AudFraming aud_framing_default(void); /* 25 ms, 10 ms, 8 bands */

typedef struct {
    int n_frames;
    int frame_len, hop;    /* samples: round(win_ms * rate / 1000), round(hop_ms * rate / 1000) */
    int bands, rate;
    int fft_size;          /* the smallest power of two >= frame_len (the frame is zero-padded) */
    int *start;            /* n_frames: first sample of frame k, k * hop */
    float *features;       /* n_frames x bands: ln(mean power of the FFT bins in the band + 1e-10);
                              X = the FFT of the frame times the periodic Hann window
                              w[i] = 0.5 - 0.5 cos(2 pi i / frame_len), zero-padded to fft_size;
                              bin k (k = 0..fft_size/2) is at k * rate / fft_size Hz and its power
                              is |X[k]|^2 / sum(w^2), so white noise of variance s^2 reads about
                              ln s^2 in every band */
    float *band_lo_hz;     /* bands: lower edge; band b holds the bins with lo <= f < hi (the last */
    float *band_hi_hz;     /*   band also the bin at rate/2); evenly spaced in mel (2595 log10(1 +
                              f / 700)) from 0 to rate/2, hi of band b == lo of band b + 1 */
    float *energy;         /* n_frames: ln(mean square sample of the frame + 1e-10), for display */
} AudFrames;

/* Cuts the clip into frames k = 0 .. n_frames - 1 starting at k * hop, where n_frames =
 * 1 + (n - frame_len) / hop (whole frames only; the tail that does not fill one is dropped),
 * and describes each by its band energies. Samples outside [-1, 1] are clipped and
 * non-finite ones read as 0, so every output is finite (silence gives ln 1e-10).
 * Returns 0, or -1 naming the limit for: a framing outside the ranges above, a band too
 * narrow to hold an FFT bin, a clip shorter than one frame, or more than max_frames frames
 * (with the shortest hop that would do). out is then zeroed.
 * Plans an FFT with FFTW, whose planner is not thread-safe: call from one thread at a time. */
int aud_frames(AudFrames *out, const AudClip *clip, const AudFraming *f, int max_frames, char *err, size_t errlen);
void aud_frames_free(AudFrames *f);

#endif
