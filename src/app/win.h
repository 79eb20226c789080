/* win.h: the interactive window: opens it, runs the event loop (drawing only when
 * something changed), carries out the App's requests (exports, fullscreen), remembers the
 * settings between runs, and plays replay scripts.
 *
 * A replay script is plain text, one command a line ('#' starts a comment):
 *   size W H            resize the window
 *   type TEXT           type TEXT (as text-input events; the text line must be focused)
 *   key NAME            press a key: SDL key names with ctrl+, shift+, alt+ ("ctrl+s",
 *                       "PageDown", "Return", "shift+h")
 *   click X Y | @PLACE [right]   click at window coordinates or a named place
 *   move X Y | @PLACE   move the mouse
 *   drag @PLACE DY      press on a place, move DY pixels down (negative: up), release
 *   wheel @PLACE N      turn the wheel N notches over a place (positive: zoom in)
 *   drop FILE           drop a file on the window
 *   wait N              draw N frames
 *   shot FILE           save what the window shows as PNG
 *   state FILE          write the state as "key = value" lines
 *   expect KEY VALUE    check one state value (as `state` writes it); a mismatch is reported
 *                       and makes the replay exit with status 1
 *   exec COMMAND        run a shell command and wait for it (e.g. a screenshot tool)
 *   quit
 * Places are those of ui_find: text, tab:NAME, field:NAME, token:N, cell:VIEW:ROW:COL. */
#ifndef ATTN_WIN_H
#define ATTN_WIN_H

/* Opens the window on the scene file (or the remembered scene when NULL) and runs until the
 * user quits, then remembers the settings (see settings_path). With a replay script, plays
 * it instead of waiting for the user; settings are read and remembered the same way, so
 * tests point XDG_CONFIG_HOME at a folder of their own. Returns an exit status: 0, 1 when
 * an `expect` or `exec` failed, 2 for a malformed script. */
int win_run(const char *scene_path, const char *replay_path);

#endif
