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
    char lesson[1024];   /* the lesson open last ("" = none) */
    int lesson_step;     /* its step, from 1 */
    char progress[4096]; /* every lesson's furthest step: "FILE=STEP" entries, space-separated,
                            FILE the lesson's file name ("lesson-progress = FILE STEP" lines) */
} WinSettings;

WinSettings win_settings_default(void);

/* Parses a scene file's text into sp and o (which keep their values for keys the file does
 * not name). Lines are "key = value": spaces and tabs around the key and the value are
 * dropped, the value runs to the end of the line (it may hold '=', '#', '|'); blank lines
 * and lines whose first non-blank character is '#' are skipped; CRLF and a leading UTF-8
 * BOM are accepted; a key given twice takes its later value. Keys: scene_keys (through
 * scene_set) and fig_keys (through fig_set); with win also window-width, window-height
 * (200..16384), zoom (0.5..3), animate and fullscreen (on|off). win may be NULL: then the
 * window keys are unknown keys. Returns 0, or -1 with "NAME:LINE:COLUMN: message" in err,
 * COLUMN a 1-based byte column (counted after a BOM) of the key for an unknown key, of the
 * value for a bad value (or one longer than 64 KB), of the first non-blank character for a
 * line without '=', of the bad byte for invalid UTF-8 or a NUL; sp and o may then hold
 * some of the file's values. */
int scenefile_parse(SceneSpec *sp, FigOptions *o, WinSettings *win, const char *text,
                    size_t len, const char *name, char *err, size_t errlen);

/* Writes every scene key and figure key (and the window keys when win is not NULL) so that
 * scenefile_parse gives the same spec and options back. The first line is "# attnlab scene"
 * ("# attnlab settings" with win). Keys at their "unset" value are left out: d-att 0,
 * cell 0, window-width/height 0, and a graph/custom mask without a file. Newlines in the
 * text are written as spaces, and spaces at its ends do not survive. With a weights file
 * both "weights = PRESET" and "weights = FILE" are written (the preset fills what the file
 * leaves out). */
void scenefile_write(OutBuf *b, const SceneSpec *sp, const FigOptions *o, const WinSettings *win);

/* Reads and parses a scene file (at most 1 MB; window keys are unknown). File names inside it (mask, weights,
 * vectors) stay as written; resolve them against the scene file's folder with
 * scene_load(sp, folder, ...). Returns 0 or -1 with a message. */
int scenefile_load(SceneSpec *sp, FigOptions *o, const char *path, char *err, size_t errlen);
/* Writes a scene file atomically. */
int scenefile_save(const SceneSpec *sp, const FigOptions *o, const char *path, char *err, size_t errlen);

/* The settings file: $XDG_CONFIG_HOME/attnlab/settings.txt when XDG_CONFIG_HOME is an
 * absolute path, else $HOME/.config/attnlab/settings.txt. Returns 0, or -1 when neither is
 * set (or empty), or the path does not fit in len. */
int settings_path(char *out, size_t len);

/* Loads the settings into sp, o and win (win may be NULL). A missing file, or no settings
 * path, is not an error (returns 0, leaves everything as it was). A corrupt or unreadable
 * file is ignored as a whole (sp, o, win untouched) and returns 1 with a warning in warn
 * naming file:line:column, ending "; settings ignored". On success what sp has loaded
 * stays as after scene_set: call scene_load again. */
int settings_load(SceneSpec *sp, FigOptions *o, WinSettings *win, char *warn, size_t warnlen);
/* Saves them atomically, making the folders if needed (mode 0755). Returns 0 or -1 with a
 * message. */
int settings_save(const SceneSpec *sp, const FigOptions *o, const WinSettings *win, char *err,
                  size_t errlen);

#endif
