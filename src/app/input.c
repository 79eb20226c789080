/* input.c: SDL events to Actions: keys (with and without the text line focused), text and
 * input-method composition, clicks on tabs, settings, tokens and cells, dragging a cell to
 * change it, the wheel and right-drag to zoom and pan, dropped files. */
#include "input.h"

#include <string.h>

static Action act(ActionKind k, int i)
{
    Action a;
    memset(&a, 0, sizeof a);
    a.kind = k;
    a.i = i;
    return a;
}

/* Letter keys that change a setting (Shift goes back). */
static int field_for_key(SDL_Keycode k)
{
    switch (k) {
    case SDLK_h: return FIELD_HEADS;
    case SDLK_m: return FIELD_D_MODEL;
    case SDLK_k: return FIELD_D_HEAD;
    case SDLK_s: return FIELD_SCORE;
    case SDLK_x: return FIELD_MASK;
    case SDLK_w: return FIELD_MASK_PARAM;
    case SDLK_p: return FIELD_POSENC;
    case SDLK_n: return FIELD_NORM;
    case SDLK_t: return FIELD_TEMPERATURE;
    case SDLK_e: return FIELD_SEED;
    case SDLK_i: return FIELD_WEIGHTS;
    case SDLK_v: return FIELD_HEAD;
    case SDLK_c: return FIELD_CMAP;
    case SDLK_o: return FIELD_ORIENT;
    case SDLK_l: return FIELD_THEME;
    case SDLK_g: return FIELD_NUMBERS;
    case SDLK_a: return FIELD_ANIMATE;
    case SDLK_u: return FIELD_PATCH;
    case SDLK_y: return FIELD_GRID;
    case SDLK_j: return FIELD_LAYERS;
    case SDLK_f: return FIELD_LAYER;
    case SDLK_q: return FIELD_FRAME;
    case SDLK_d: return FIELD_HOP;
    default: return -1;
    }
}

static int keydown(const SDL_KeyboardEvent *k, const App *app, Action *out)
{
    SDL_Keycode key = k->keysym.sym;
    Uint16 mod = k->keysym.mod;
    int ctrl = (mod & KMOD_CTRL) != 0, shift = (mod & KMOD_SHIFT) != 0;
    /* keys that work everywhere */
    if (ctrl && key == SDLK_q) { out[0] = act(ACT_QUIT, 0); return 1; }
    if (ctrl && key == SDLK_s) { out[0] = act(shift ? ACT_EXPORT_HEADS : ACT_EXPORT_VIEW, 0); return 1; }
    if (ctrl && (key == SDLK_EQUALS || key == SDLK_PLUS || key == SDLK_KP_PLUS)) { out[0] = act(ACT_ZOOM_IN, 0); return 1; }
    if (ctrl && (key == SDLK_MINUS || key == SDLK_KP_MINUS)) { out[0] = act(ACT_ZOOM_OUT, 0); return 1; }
    if (ctrl && (key == SDLK_0 || key == SDLK_KP_0)) { out[0] = act(ACT_ZOOM_RESET, 0); return 1; }
    if (key == SDLK_F11) { out[0] = act(ACT_FULLSCREEN_TOGGLE, 0); return 1; }
    if (key == SDLK_F1) { out[0] = act(ACT_HELP_TOGGLE, 0); return 1; }
    if (key == SDLK_F5) { out[0] = act(ACT_SAVE_SCENE, 0); return 1; }
    if (key == SDLK_F2) { out[0] = act(ACT_LESSON_MENU, 0); return 1; }
    if (app->player.menu) {
        switch (key) {
        case SDLK_UP: out[0] = act(ACT_MENU_MOVE, -1); return 1;
        case SDLK_DOWN: out[0] = act(ACT_MENU_MOVE, 1); return 1;
        case SDLK_RETURN: case SDLK_KP_ENTER: out[0] = act(ACT_MENU_CHOOSE, 0); return 1;
        case SDLK_ESCAPE: out[0] = act(ACT_ESCAPE, 0); return 1;
        default: return 0;
        }
    }
    if (app->editing) {
        switch (key) {
        case SDLK_RETURN: case SDLK_KP_ENTER: case SDLK_ESCAPE: out[0] = act(ACT_EDIT_END, 0); return 1;
        case SDLK_BACKSPACE: out[0] = act(ACT_TEXT_BACKSPACE, 0); return 1;
        case SDLK_DELETE: out[0] = act(ACT_TEXT_DELETE, 0); return 1;
        case SDLK_LEFT: out[0] = act(ACT_TEXT_LEFT, 0); return 1;
        case SDLK_RIGHT: out[0] = act(ACT_TEXT_RIGHT, 0); return 1;
        case SDLK_HOME: out[0] = act(ACT_TEXT_HOME, 0); return 1;
        case SDLK_END: out[0] = act(ACT_TEXT_END, 0); return 1;
        default: return 0; /* characters arrive as text events */
        }
    }
    if (ctrl) return 0;
    if (app->lesson_on && app->player.loaded && !app->help) {
        const Player *p = &app->player;
        const LessonStep *st = p->step >= 0 ? &p->lesson.steps[p->step] : NULL;
        int pending = st && st->has_question && !p->answered;
        if (pending && st->n_choices > 0 && key >= SDLK_1 && key <= SDLK_9 && (int)(key - SDLK_0) <= st->n_choices) {
            out[0] = act(ACT_ANSWER, (int)(key - SDLK_0));
            return 1;
        }
        if (pending && st->n_choices == 0) {
            const char *ch = NULL;
            if (key >= SDLK_0 && key <= SDLK_9) {
                static const char digits[] = "0123456789";
                static char one[2];
                one[0] = digits[key - SDLK_0];
                ch = one;
            } else if (key == SDLK_PERIOD || key == SDLK_KP_PERIOD) ch = ".";
            else if (key == SDLK_MINUS || key == SDLK_KP_MINUS) ch = "-";
            if (ch) {
                out[0] = act(ACT_ANSWER_TYPE, 0);
                snprintf(out[0].text, sizeof out[0].text, "%s", ch);
                return 1;
            }
            if (p->typing && key == SDLK_BACKSPACE) { out[0] = act(ACT_ANSWER_BACKSPACE, 0); return 1; }
            if (p->typing && (key == SDLK_RETURN || key == SDLK_KP_ENTER)) { out[0] = act(ACT_ANSWER, 0); return 1; }
        }
        switch (key) {
        case SDLK_RIGHT: case SDLK_SPACE: case SDLK_PAGEDOWN: case SDLK_PERIOD:
            out[0] = act(shift && key == SDLK_RIGHT ? ACT_STEP_NEXT : ACT_LESSON_NEXT, 0);
            return 1;
        case SDLK_LEFT: case SDLK_BACKSPACE: case SDLK_PAGEUP:
            out[0] = act(shift && key == SDLK_LEFT ? ACT_STEP_PREV : ACT_LESSON_PREV, 0);
            return 1;
        case SDLK_HOME: out[0] = act(ACT_LESSON_BACK, 0); return 1;
        default: break;
        }
    }
    switch (key) {
    case SDLK_ESCAPE: out[0] = act(ACT_ESCAPE, 0); return 1;
    case SDLK_RETURN: case SDLK_KP_ENTER: out[0] = act(ACT_EDIT_BEGIN, 0); return 1;
    case SDLK_RIGHT: case SDLK_SPACE: case SDLK_PAGEDOWN: case SDLK_PERIOD:
        out[0] = act(ACT_STEP_NEXT, 0);
        return 1;
    case SDLK_LEFT: case SDLK_BACKSPACE: case SDLK_PAGEUP: out[0] = act(ACT_STEP_PREV, 0); return 1;
    case SDLK_UP: out[0] = act(ACT_QUERY_PREV, 0); return 1;
    case SDLK_DOWN: out[0] = act(ACT_QUERY_NEXT, 0); return 1;
    case SDLK_TAB: out[0] = act(shift ? ACT_TAB_PREV : ACT_TAB_NEXT, 0); return 1;
    case SDLK_b: out[0] = act(ACT_BLANK_TOGGLE, 0); return 1;
    case SDLK_r: out[0] = act(ACT_RESET, 0); return 1;
    case SDLK_z: out[0] = act(ACT_VIEW_RESET, 0); return 1;
    case SDLK_QUESTION: out[0] = act(ACT_HELP_TOGGLE, 0); return 1;
    case SDLK_SLASH: if (shift) { out[0] = act(ACT_HELP_TOGGLE, 0); return 1; } return 0;
    default: break;
    }
    if (key >= SDLK_0 && key <= SDLK_9) {
        int tab = key == SDLK_0 ? 9 : (int)(key - SDLK_1);
        out[0] = act(ACT_TAB_SET, tab);
        return 1;
    }
    int f = field_for_key(key);
    if (f >= 0) {
        out[0] = act(shift ? ACT_FIELD_PREV : ACT_FIELD_NEXT, f);
        return 1;
    }
    return 0;
}

static int is_square(FigQuantity q)
{
    return q == FQ_SCORES || q == FQ_SCALED || q == FQ_WEIGHTS || q == FQ_MASK;
}

static int pokable(FigQuantity q)
{
    return q == FQ_A || q == FQ_X || q == FQ_WQ || q == FQ_WK || q == FQ_WV || q == FQ_WO;
}

int input_translate(Input *in, const SDL_Event *e, const App *app, const UiLayout *lay, Action *out)
{
    float zoom = app->win.zoom > 0 ? app->win.zoom : 1.0f;
    switch (e->type) {
    case SDL_QUIT: out[0] = act(ACT_QUIT, 0); return 1;
    case SDL_KEYDOWN: return keydown(&e->key, app, out);
    case SDL_TEXTINPUT:
        if (!app->editing) {
            /* '?' typed on layouts where it is not Shift+slash */
            if (strcmp(e->text.text, "?") == 0) { out[0] = act(ACT_HELP_TOGGLE, 0); return 1; }
            return 0;
        }
        out[0] = act(ACT_TEXT_INSERT, 0);
        snprintf(out[0].text, sizeof out[0].text, "%s", e->text.text);
        return 1;
    case SDL_TEXTEDITING:
        if (!app->editing) return 0;
        out[0] = act(ACT_TEXT_COMPOSE, 0);
        snprintf(out[0].text, sizeof out[0].text, "%s", e->edit.text);
        return 1;
    case SDL_DROPFILE:
        out[0] = act(ACT_OPEN_SCENE, 0);
        snprintf(out[0].text, sizeof out[0].text, "%s", e->drop.file ? e->drop.file : "");
        return 1;
    case SDL_MOUSEBUTTONDOWN: {
        float x = e->button.x / zoom, y = e->button.y / zoom;
        in->mouse_x = (float)e->button.x;
        in->mouse_y = (float)e->button.y;
        if (e->button.button == SDL_BUTTON_RIGHT || e->button.button == SDL_BUTTON_MIDDLE) {
            for (int f = 0; f < FIELD_COUNT; f++)
                if (ui_in(lay->fields[f], x, y)) { out[0] = act(ACT_FIELD_PREV, f); return 1; }
            in->panning = 1;
            in->pan_x = (float)e->button.x;
            in->pan_y = (float)e->button.y;
            return 0;
        }
        if (e->button.button != SDL_BUTTON_LEFT) return 0;
        if (app->player.menu) {
            for (int m = 0; m < lay->n_menu; m++)
                if (ui_in(lay->menu[m], x, y)) {
                    out[0] = act(ACT_LESSON_OPEN, m < app->player.n_files ? m : -1);
                    return 1;
                }
            out[0] = act(ACT_ESCAPE, 0);
            return 1;
        }
        if (ui_in(lay->text_box, x, y)) { out[0] = act(ACT_EDIT_BEGIN, 0); return 1; }
        for (int c = 0; c < lay->n_choices; c++)
            if (ui_in(lay->choices[c], x, y)) { out[0] = act(ACT_ANSWER, c + 1); return 1; }
        if (lay->answer_box.w > 0 && ui_in(lay->answer_box, x, y)) {
            out[0] = act(ACT_ANSWER_TYPE, 0); /* no characters: the box takes the keys */
            return 1;
        }
        if (lay->lesson_next.w > 0 && ui_in(lay->lesson_next, x, y)) { out[0] = act(ACT_LESSON_NEXT, 0); return 1; }
        for (int m = 0; m < lay->n_marks; m++)
            if (ui_in(lay->marks[m], x, y)) { out[0] = act(ACT_LESSON_SET, m); return 1; }
        if (lay->lesson_prev.w > 0 && ui_in(lay->lesson_prev, x, y)) { out[0] = act(ACT_LESSON_PREV, 0); return 1; }
        int n = 0;
        if (app->editing) out[n++] = act(ACT_EDIT_END, 0);
        for (int t = 0; t < TAB_COUNT; t++)
            if (ui_in(lay->tabs[t], x, y)) { out[n++] = act(ACT_TAB_SET, t); return n; }
        for (int f = 0; f < FIELD_COUNT; f++)
            if (ui_in(lay->fields[f], x, y)) { out[n++] = act(ACT_FIELD_NEXT, f); return n; }
        for (int c = 0; c < lay->n_chips; c++)
            if (ui_in(lay->chips[c], x, y)) { out[n++] = act(ACT_QUERY_SET, lay->chip_token[c]); return n; }
        FigHit hit;
        if (ui_hit(lay, x, y, &hit)) {
            if (hit.q == FQ_MASK) {
                out[n] = act(ACT_MASK_TOGGLE, 0);
                out[n++].hit = hit;
            } else if (pokable(hit.q)) {
                in->poking = 1;
                in->poke_hit = hit;
                in->poke_y = (float)e->button.y;
            } else if (hit.q == FQ_PATCH) {
                out[n++] = act(ACT_QUERY_SET, hit.row); /* clicking a patch makes it the query */
            } else if (is_square(hit.q) || hit.q == FQ_Q || hit.q == FQ_OUT || hit.q == FQ_OUTPUT) {
                out[n++] = act(ACT_QUERY_SET, hit.row);
            }
        }
        return n;
    }
    case SDL_MOUSEBUTTONUP:
        if (e->button.button == SDL_BUTTON_LEFT) in->poking = 0;
        else in->panning = 0;
        return 0;
    case SDL_MOUSEMOTION: {
        float x = e->motion.x / zoom, y = e->motion.y / zoom;
        in->mouse_x = (float)e->motion.x;
        in->mouse_y = (float)e->motion.y;
        if (in->poking) {
            float dy = (float)e->motion.y - in->poke_y;
            in->poke_y = (float)e->motion.y;
            if (dy == 0) return 0;
            int fine = (SDL_GetModState() & KMOD_SHIFT) != 0;
            out[0] = act(ACT_POKE, 0);
            out[0].hit = in->poke_hit;
            out[0].f = -dy * (fine ? 0.001f : 0.01f);
            return 1;
        }
        if (in->panning && lay->n_figs > 0 && lay->figs[0].cell > 0) {
            float cell = lay->figs[0].cell * zoom;
            int dq = (int)((in->pan_y - (float)e->motion.y) / cell), dk = (int)((in->pan_x - (float)e->motion.x) / cell);
            if (!dq && !dk) return 0;
            if (dq) in->pan_y = (float)e->motion.y;
            if (dk) in->pan_x = (float)e->motion.x;
            out[0] = act(ACT_VIEW_PAN, app->fig.transposed ? dk : dq);
            out[0].j = app->fig.transposed ? dq : dk;
            return 1;
        }
        FigHit hit;
        int on = ui_hit(lay, x, y, &hit);
        if (!on && !app->hover_on) return 0;
        out[0] = act(ACT_HOVER, on);
        if (on) out[0].hit = hit;
        out[0].x = x;
        out[0].y = y;
        return 1;
    }
    case SDL_MOUSEWHEEL: {
        float x = in->mouse_x / zoom, y = in->mouse_y / zoom;
        FigHit hit;
        if (app->lesson_on && lay->narration.w > 0 && ui_in(lay->narration, x, y) && e->wheel.y != 0) {
            out[0] = act(ACT_NARRATION_SCROLL, 0);
            out[0].f = e->wheel.y > 0 ? -60.0f : 60.0f;
            return 1;
        }
        if (e->wheel.y == 0 || !ui_hit(lay, x, y, &hit)) return 0;
        out[0] = act(ACT_VIEW_ZOOM, 0);
        out[0].hit = hit;
        out[0].f = e->wheel.y > 0 ? 1.25f : 0.8f;
        return 1;
    }
    default: return 0;
    }
}
