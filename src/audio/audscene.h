/* audscene.h: a scene whose input is a sound. aud_scene_load reads the sound the SceneSpec
 * names (a WAV file relative to the scene's folder, or example:NAME, one of the sounds
 * attnlab synthesises), cuts it into frames, and gives the frames to the engine as tokens:
 * each frame's band energies, normalised per band over the clip (mean 0, variance 1), are
 * its features. A scene without a sound goes on to img_scene_load (pictures), which ends
 * in scene_load.
 *
 * Ownership: what it reads goes into the SceneSpec (labels, features, wave), which frees it. */
#ifndef ATTN_AUDSCENE_H
#define ATTN_AUDSCENE_H

#include "../engine/scene.h"

#include <stddef.h>

/* Returns what scene_load returns: 0; -1 for a file that cannot be read (named with the
 * reason); -2 for a bad value or a size beyond the limits (the message names the limit). */
int aud_scene_load(SceneSpec *sp, const char *base_dir, char *err, size_t errlen);

#endif
