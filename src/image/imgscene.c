/* imgscene.c: pictures into scenes: the picture is read and tokenised only when the scene's
 * picture settings changed, then its features, grid and labels go to scene_load. */
#include "imgscene.h"
#include "img.h"
#include "../engine/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the tokens are made from: folder, picture, patch size, grid. */
static void made_key(char *out, size_t len, const SceneSpec *sp, const char *base_dir)
{
    snprintf(out, len, "%s|%s|%d|%d", base_dir ? base_dir : "", sp->image, sp->patch, sp->grid);
}

int img_scene_load(SceneSpec *sp, const char *base_dir, char *err, size_t errlen)
{
    if (!sp->image) {
        scene_picture_free(sp);
        return scene_load(sp, base_dir, err, errlen);
    }
    char key[1200];
    made_key(key, sizeof key, sp, base_dir);
    /* an unchanged picture is not read again (typing elsewhere recomputes often) */
    if (!sp->features || strcmp(key, sp->picture_from) != 0) {
        ImgRGB img;
        char path[1100];
        int r;
        if (strncmp(sp->image, "example:", 8) == 0) {
            r = img_example(&img, sp->image + 8);
            if (r) {
                char names[200];
                msg_fail(err, errlen, "--image: no example '%s' (allowed: %s)", sp->image + 8,
                         msg_join(names, sizeof names, img_example_names, "example:"));
                return -2;
            }
        } else {
            if (base_dir && sp->image[0] != '/') snprintf(path, sizeof path, "%s/%s", base_dir, sp->image);
            else snprintf(path, sizeof path, "%s", sp->image);
            if (img_load(&img, path, err, errlen)) return -1;
        }
        float *features;
        int n, d;
        ImgTokens info;
        r = img_tokens(&features, &n, &d, &info, &img, sp->patch == 1 ? IMG_PIXELS : IMG_PATCHES, sp->patch,
                       sp->grid, err, errlen);
        img_free(&img);
        if (r) return -2;
        /* centred on grey, so that dot products of colours act like their correlation */
        for (size_t k = 0; k < (size_t)n * d; k++) features[k] -= 0.5f;
        scene_picture_free(sp);
        /* labels name each token by its place in the grid */
        size_t bytes = 0;
        char **labels = malloc(sizeof(char *) * (size_t)n);
        for (int t = 0; labels && t < n; t++) {
            char buf[32];
            snprintf(buf, sizeof buf, "r%dc%d", t / info.grid_w + 1, t % info.grid_w + 1);
            labels[t] = malloc(strlen(buf) + 1);
            if (labels[t]) strcpy(labels[t], buf);
            bytes += strlen(buf) + 1;
        }
        sp->pic_labels.n = n;
        sp->pic_labels.text = labels;
        sp->features = features;
        sp->d_feature = d;
        sp->grid_w = info.grid_w;
        sp->grid_h = info.grid_h;
        sp->picture = info.view.rgb;
        sp->picture_w = info.view.w;
        sp->picture_h = info.view.h;
        info.view.rgb = NULL; /* the spec owns the picture now */
        snprintf(sp->picture_note, sizeof sp->picture_note, "%s", info.note);
        img_tokens_free(&info);
        for (int t = 0; labels && t < n; t++)
            if (!labels[t]) { snprintf(err, errlen, "out of memory"); return -1; }
        if (!labels) { snprintf(err, errlen, "out of memory"); return -1; }
        snprintf(sp->picture_from, sizeof sp->picture_from, "%s", key);
        (void)bytes;
    }
    return scene_load(sp, base_dir, err, errlen);
}
