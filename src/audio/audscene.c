/* audscene.c: sounds into scenes: the sound is read and framed only when the scene's sound
 * settings changed, then its frames' features, labels and samples go to scene_load. */
#include "audscene.h"
#include "audio.h"
#include "../engine/msg.h"
#include "../image/imgscene.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the tokens are made from: folder, sound, framing. */
static void made_key(char *out, size_t len, const SceneSpec *sp, const char *base_dir)
{
    snprintf(out, len, "sound|%s|%s|%g|%g|%d", base_dir ? base_dir : "", sp->audio, (double)sp->win_ms,
             (double)sp->hop_ms, sp->bands);
}

/* Each band (column) of x (n x d) to mean 0 and variance 1 over the frames; a band that does
 * not vary (silence) becomes 0. */
static void normalise_bands(float *x, int n, int d)
{
    for (int b = 0; b < d; b++) {
        double mean = 0, var = 0;
        for (int i = 0; i < n; i++) mean += x[(size_t)i * d + b];
        mean /= n;
        for (int i = 0; i < n; i++) {
            double e = x[(size_t)i * d + b] - mean;
            var += e * e;
        }
        double sd = sqrt(var / n);
        for (int i = 0; i < n; i++) {
            float *v = &x[(size_t)i * d + b];
            *v = sd > 1e-6 ? (float)((*v - mean) / sd) : 0.0f;
        }
    }
}

static int read_sound(AudClip *clip, const SceneSpec *sp, const char *base_dir, char *err, size_t errlen)
{
    if (strncmp(sp->audio, "example:", 8) == 0) {
        char msg[300];
        if (aud_synth(clip, sp->audio + 8, msg, sizeof msg) == 0) return 0;
        char names[200];
        msg_fail(err, errlen, "--audio: no example '%s' (allowed: %s)", sp->audio + 8,
                 msg_join(names, sizeof names, aud_synth_names, "example:"));
        return -2;
    }
    char path[1100];
    if (base_dir && sp->audio[0] != '/') snprintf(path, sizeof path, "%s/%s", base_dir, sp->audio);
    else snprintf(path, sizeof path, "%s", sp->audio);
    return aud_load_wav(clip, path, err, errlen) ? -1 : 0;
}

int aud_scene_load(SceneSpec *sp, const char *base_dir, char *err, size_t errlen)
{
    if (!sp->audio) {
        if (sp->wave) scene_picture_free(sp); /* the last sound's tokens */
        return img_scene_load(sp, base_dir, err, errlen);
    }
    char key[1200];
    made_key(key, sizeof key, sp, base_dir);
    /* an unchanged sound is not read again (typing elsewhere recomputes often) */
    if (sp->wave && sp->features && strcmp(key, sp->picture_from) == 0) return scene_load(sp, base_dir, err, errlen);

    AudClip clip;
    int r = read_sound(&clip, sp, base_dir, err, errlen);
    if (r) return r;
    AudFraming fr = {sp->win_ms, sp->hop_ms, sp->bands};
    AudFrames f;
    char msg[400];
    if (aud_frames(&f, &clip, &fr, ATTN_MAX_N, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: %s", sp->audio, msg);
        aud_clip_free(&clip);
        return -2;
    }
    int n = f.n_frames;
    char **labels = calloc((size_t)n, sizeof(char *));
    int ok = labels != NULL;
    for (int t = 0; ok && t < n; t++) {
        char buf[16];
        snprintf(buf, sizeof buf, "f%d", t + 1);
        labels[t] = malloc(strlen(buf) + 1);
        if (labels[t]) strcpy(labels[t], buf);
        else ok = 0;
    }
    if (!ok) {
        for (int t = 0; labels && t < n; t++) free(labels[t]);
        free(labels);
        aud_frames_free(&f);
        aud_clip_free(&clip);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    scene_picture_free(sp);
    normalise_bands(f.features, n, f.bands);
    sp->pic_labels.n = n;
    sp->pic_labels.text = labels;
    sp->features = f.features;
    f.features = NULL; /* the spec owns the features now */
    sp->d_feature = f.bands;
    sp->grid_w = sp->grid_h = 0;
    sp->wave = clip.samples;
    clip.samples = NULL; /* and the samples */
    sp->wave_n = clip.n;
    sp->wave_rate = clip.rate;
    sp->frame_len = f.frame_len;
    sp->frame_hop = f.hop;
    snprintf(sp->picture_note, sizeof sp->picture_note, "%.2f s at %d Hz · %d frames of %g ms every %g ms · %d bands",
             (double)clip.n / clip.rate, clip.rate, n, (double)sp->win_ms, (double)sp->hop_ms, f.bands);
    snprintf(sp->picture_from, sizeof sp->picture_from, "%s", key);
    aud_frames_free(&f);
    aud_clip_free(&clip);
    return scene_load(sp, base_dir, err, errlen);
}
