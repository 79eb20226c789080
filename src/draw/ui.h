/* ui.h: the window's screen: text line, tabs, side panel of settings, the main view (a
 * figure, four figures, or the step-through), status line, tooltip and help. Drawing goes
 * through ren and fig; the layout it fills tells input.c what is where.
 *
 * The UiLayout is owned by the caller and rewritten by every ui_draw. */
#ifndef ATTN_UI_H
#define ATTN_UI_H

#include "../app/app.h"
#include "fig.h"
#include "ren.h"

typedef struct { float x, y, w, h; } UiRect;

#define UI_MAX_FIGS 4
#define UI_MAX_CELLS 4096   /* step-through cells remembered for hovering */
#define UI_MAX_CHIPS 512    /* token chips remembered for clicking */

typedef struct {
    UiRect r;
    FigHit hit;
} UiCell;

typedef struct {
    float scale;                 /* logical to pixels */
    float w, h;                  /* logical size */
    UiRect text_box;
    UiRect tabs[TAB_COUNT];
    UiRect fields[FIELD_COUNT];
    UiRect main;
    int n_figs;
    FigLayout figs[UI_MAX_FIGS];
    FigView fig_views[UI_MAX_FIGS];
    UiRect fig_rects[UI_MAX_FIGS];
    int n_cells;
    UiCell cells[UI_MAX_CELLS];
    int n_chips;
    UiRect chips[UI_MAX_CHIPS];
    int chip_token[UI_MAX_CHIPS];
    /* the lesson: its narration panel, answer buttons, step buttons, menu entries */
    UiRect narration;
    float narration_scroll_max;  /* how far the narration can scroll */
    int n_choices;
    UiRect choices[16];
    UiRect answer_box;           /* a numeric answer's box (w 0: none) */
    UiRect lesson_prev, lesson_next;
    int n_marks;
    UiRect marks[64];            /* the lesson's steps, one mark each: click to jump */
    int n_menu;
    UiRect menu[PLAYER_MAX_LESSONS + 1]; /* the lessons, then "no lesson" */
} UiLayout;

/* Draws the whole window (w x h logical pixels) and fills lay. */
void ui_draw(Ren *ren, const App *app, float w, float h, UiLayout *lay);

/* The cell under a point: from the figures, then from the step-through. Returns 0 if none. */
int ui_hit(const UiLayout *lay, float x, float y, FigHit *hit);

/* The figure view under a point, or -1. */
int ui_fig_at(const UiLayout *lay, float x, float y);

int ui_in(UiRect r, float x, float y);

/* Named places, for replay scripts: "text", "tab:NAME", "field:NAME", "token:N",
 * "choice:N", "answer", "lesson:next", "lesson:prev", "menu:N", "mark:N" (a lesson step's
 * mark; N from 1),
 * "cell:VIEW:ROW:COL" (1-based ROW and COL, VIEW a figure view name shown on screen). Fills
 * the centre point. Returns 0 if there is no such place on screen. */
int ui_find(const UiLayout *lay, const App *app, const char *name, float *x, float *y);

#endif
