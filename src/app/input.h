/* input.h: the one place that reads SDL events: each becomes zero or more Actions for
 * app_apply. Mouse positions are turned into the screen's logical units (window
 * coordinates divided by the zoom) and looked up in the last UiLayout. */
#ifndef ATTN_INPUT_H
#define ATTN_INPUT_H

#include "../draw/ui.h"
#include "app.h"

#include <SDL.h>

typedef struct {
    int poking;          /* the left button holds a cell being changed */
    FigHit poke_hit;
    float poke_y;        /* last mouse y, window coordinates */
    int panning;         /* the right button drags the zoomed matrix */
    float pan_x, pan_y;
    float mouse_x, mouse_y; /* last position, window coordinates */
} Input;

#define INPUT_MAX_ACTIONS 4

/* Returns how many actions were written to out (at most INPUT_MAX_ACTIONS). */
int input_translate(Input *in, const SDL_Event *e, const App *app, const UiLayout *lay, Action *out);

#endif
