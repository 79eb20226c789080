/* scenefile.h: scene files and the settings file. A scene file is plain text, one
 * "key = value" a line with the command line's option names (text, heads, mask, view,
 * theme, ...); the settings file is a scene file with the window's keys too. Parsing and
 * writing are pure; scenefile_load/save and settings_load/save do the file I/O.
 *
 * Example scene file:
 *     # attnlab scene
 *     text = I saw a saw
 *     heads = 2
 *     mask = causal
 *     view = weights
 */
#ifndef ATTN_SCENEFILE_H
#define ATTN_SCENEFILE_H

#include "../draw/fig.h"
#include "../engine/scene.h"
#include "outfile.h"

#include <stddef.h>

/* What the window remembers besides the scene. */
typedef struct {
    int width, height;   /* window size in screen coordinates, 0 = default */
    float zoom;          /* text and cell zoom, 0.5 .. 3 */
    int animate;         /* step transitions animate */
    int fullscreen;
} WinSettings;

WinSettings win_settings_default(void);

/* Parses a scene file's text into sp and o (which keep their values for keys the file does
 * not name). win may be NULL: then the window keys (window-width, window-height, zoom,
 * animate, fullscreen) are unknown keys. Returns 0, or -1 with "NAME:LINE:COLUMN: message"
 * in err (for an unknown key, a bad value, a line without '='); sp and o may then hold
 * some of the file's values. */
int scenefile_parse(SceneSpec *sp, FigOptions *o, WinSettings *win, const char *text,
                    size_t len, const char *name, char *err, size_t errlen);

/* Writes every scene key and figure key (and the window keys when win is not NULL) so that
 * scenefile_parse gives the same spec and options back. */
void scenefile_write(OutBuf *b, const SceneSpec *sp, const FigOptions *o, const WinSettings *win);

/* Reads and parses a scene file (at most 1 MB). File names inside it (mask, weights,
 * vectors) stay as written; resolve them against the scene file's folder with
 * scene_load(sp, folder, ...). Returns 0 or -1 with a message. */
int scenefile_load(SceneSpec *sp, FigOptions *o, const char *path, char *err, size_t errlen);
/* Writes a scene file atomically. */
int scenefile_save(const SceneSpec *sp, const FigOptions *o, const char *path, char *err, size_t errlen);

/* The settings file: $XDG_CONFIG_HOME/attnlab/settings.txt, or ~/.config/attnlab/... .
 * Returns 0, or -1 when neither XDG_CONFIG_HOME nor HOME is set. */
int settings_path(char *out, size_t len);

/* Loads the settings into sp, o and win. A missing file is not an error (returns 0, leaves
 * everything as it was). A corrupt file is ignored as a whole (sp, o, win untouched) and
 * returns 1 with a warning in warn naming file:line:column. */
int settings_load(SceneSpec *sp, FigOptions *o, WinSettings *win, char *warn, size_t warnlen);
/* Saves them, making the folder if needed. Returns 0 or -1 with a message. */
int settings_save(const SceneSpec *sp, const FigOptions *o, const WinSettings *win, char *err,
                  size_t errlen);

#endif
