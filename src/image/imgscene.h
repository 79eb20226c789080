/* imgscene.h: a scene whose input is a picture. img_scene_load reads the picture the
 * SceneSpec names (a file relative to the scene's folder, or example:NAME), turns it into
 * pixel or patch tokens for the engine, then loads the rest of the scene with scene_load.
 * For a scene without a picture it is scene_load. */
#ifndef ATTN_IMGSCENE_H
#define ATTN_IMGSCENE_H

#include "../engine/scene.h"

#include <stddef.h>

/* Returns what scene_load returns: 0; -1 for a file that cannot be read (the picture
 * included, named with the reason); -2 for a bad value or a size beyond the limits. */
int img_scene_load(SceneSpec *sp, const char *base_dir, char *err, size_t errlen);

#endif
