/* app.h: the window's state and the actions that change it. No SDL here: input.c turns
 * SDL events into Actions, app_apply carries them out, ui.c draws the state. What needs
 * the window itself (exporting pixels, fullscreen, quitting) is left as a request in the
 * App for the window loop to carry out.
 *
 * Ownership: the App owns its SceneSpec, its trace and every edit buffer; app_free
 * releases them. */
#ifndef ATTN_APP_H
#define ATTN_APP_H

#include "../draw/fig.h"
#include "../engine/scene.h"
#include "player.h"
#include "scenefile.h"

#include <stddef.h>

/* The tabs across the top of the main area. */
typedef enum {
    TAB_STEP,      /* one query's output, step by step */
    TAB_OVERVIEW,  /* weights, all heads, q/k/v and outputs at once */
    TAB_INPUTS, TAB_QKV, TAB_SCORES, TAB_SCALED, TAB_MASK, TAB_WEIGHTS, TAB_HEADS, TAB_OUT,
    TAB_PE, TAB_PARAMS, TAB_PICTURE, TAB_CNN, TAB_BLOCK,
    TAB_CROSS,     /* encoder-decoder attention over the scene's sentence pair */
    TAB_GRAPH,     /* the tokens as a graph with the query's weights on its edges */
    TAB_COMPARE,   /* the mask, full attention and attention under the mask, with their costs */
    TAB_SPEECH,    /* a sound's frames: waveform, features, the query frame's weights */
    TAB_COUNT
} AppTab;

/* The scene and display settings the side panel shows and the keys change. */
typedef enum {
    FIELD_HEADS, FIELD_D_MODEL, FIELD_D_HEAD, FIELD_SCORE, FIELD_MASK, FIELD_MASK_PARAM,
    FIELD_POSENC, FIELD_NORM, FIELD_TEMPERATURE, FIELD_SEED, FIELD_WEIGHTS, FIELD_HEAD,
    FIELD_CMAP, FIELD_ORIENT, FIELD_THEME, FIELD_NUMBERS, FIELD_ANIMATE,
    FIELD_PATCH, FIELD_GRID,          /* a picture's patch size and grid (pictures only) */
    FIELD_LAYERS, FIELD_LAYER,        /* Transformer blocks stacked, and the one shown */
    FIELD_FRAME, FIELD_HOP,           /* a sound's frame length and hop (sounds only) */
    FIELD_COUNT
} AppField;

/* The steps of computing one output b^i (see app_step_caption). */
typedef enum {
    STEP_QUERY, STEP_KEYS, STEP_DOTS, STEP_SCALE, STEP_MASK, STEP_SOFTMAX, STEP_VALUES,
    STEP_SUM, STEP_MERGE, STEP_MATRIX,
    STEP_COUNT
} AppStep;

typedef enum {
    ACT_NONE,
    ACT_QUIT,
    ACT_EDIT_BEGIN, ACT_EDIT_END,      /* focus the text line / leave it */
    ACT_TEXT_INSERT,                   /* text: UTF-8 to insert at the cursor */
    ACT_TEXT_COMPOSE,                  /* text: an input method's composition in progress */
    ACT_TEXT_BACKSPACE, ACT_TEXT_DELETE, ACT_TEXT_LEFT, ACT_TEXT_RIGHT, ACT_TEXT_HOME,
    ACT_TEXT_END, ACT_TEXT_SET,        /* text: replaces the whole line */
    ACT_STEP_NEXT, ACT_STEP_PREV,      /* next / previous step (or tab outside the step tab) */
    ACT_STEP_SET,                      /* i: the step */
    ACT_QUERY_SET,                     /* i: the query token, 0-based */
    ACT_QUERY_NEXT, ACT_QUERY_PREV,
    ACT_TAB_SET,                       /* i: an AppTab */
    ACT_TAB_NEXT, ACT_TAB_PREV,
    ACT_FIELD_NEXT, ACT_FIELD_PREV,    /* i: an AppField */
    ACT_POKE,                          /* hit: an input or weight cell; f: amount to add */
    ACT_MASK_TOGGLE,                   /* hit: a cell of an N x N matrix */
    ACT_RESET,                         /* drops every edit, back to the scene as set */
    ACT_HOVER,                         /* hit, x, y: what is under the mouse (i = 0: nothing) */
    ACT_VIEW_ZOOM,                     /* hit: the cell to zoom about; f: factor (> 1 in) */
    ACT_VIEW_PAN,                      /* i, j: query rows and key columns to move by */
    ACT_VIEW_RESET,
    ACT_HELP_TOGGLE, ACT_ESCAPE, ACT_BLANK_TOGGLE, ACT_FULLSCREEN_TOGGLE,
    ACT_ZOOM_IN, ACT_ZOOM_OUT, ACT_ZOOM_RESET,
    ACT_EXPORT_VIEW, ACT_EXPORT_HEADS, ACT_SAVE_SCENE,
    ACT_OPEN_SCENE,                    /* text: a scene file's path */
    ACT_LESSON_NEXT, ACT_LESSON_PREV,  /* the lesson's next / previous step */
    ACT_LESSON_SET,                    /* i: a lesson step, 0-based */
    ACT_LESSON_BACK,                   /* back to the lesson: the step's scene again */
    ACT_LESSON_MENU,                   /* the lesson menu, open or closed */
    ACT_LESSON_OPEN,                   /* i: a lesson of the menu; -1 closes the lesson */
    ACT_MENU_MOVE,                     /* i: +1 / -1 through the menu */
    ACT_MENU_CHOOSE,                   /* the menu's highlighted entry */
    ACT_ANSWER,                        /* i: a choice, 1-based; 0 submits the typed number */
    ACT_ANSWER_TYPE,                   /* text: characters of a numeric answer */
    ACT_ANSWER_BACKSPACE,
    ACT_NARRATION_SCROLL,              /* f: logical pixels to scroll down (negative: up) */
} ActionKind;

typedef struct {
    ActionKind kind;
    int i, j;
    float f, x, y;
    FigHit hit;
    char text[256];
} Action;

/* What the window loop should do next, set by actions it alone can carry out. */
typedef enum { REQ_NONE = 0, REQ_EXPORT_VIEW = 1, REQ_EXPORT_HEADS = 2, REQ_FULLSCREEN = 4 } AppRequest;

#define APP_TEXT_MAX 16384 /* bytes of input text */

typedef struct App {
    SceneSpec spec;          /* the scene as set (fields, text, files) */
    FigOptions fig;          /* colour map, orientation, theme, numbers, head, zoom range */
    WinSettings win;         /* size, zoom, animation, fullscreen */
    char base_dir[1024];     /* where a scene file's relative paths point ("" = cwd) */

    AttnTrace trace;         /* the last computation that succeeded */
    BlockTrace block;        /* the Transformer blocks after it, when spec.layers > 0 */
    int have_block;
    CrossScene cross_scene;  /* the sentence pair of the cross tab (spec.cross, spec.cross_score) */
    CrossTrace cross;        /* its encoder-decoder attention */
    int have_cross;
    AttnTrace unmasked;      /* the scene without its mask, beside it in the compare and speech
                                views (masked scenes up to FIG_COMPARE_MAX_N tokens) */
    int have_unmasked;
    int have_trace;
    unsigned revision;       /* bumped whenever the trace changes */
    struct Compute *compute; /* the background worker (owned), or NULL: every scene is
                                computed at once, on the caller's thread */
    unsigned ticket;         /* bumped with every scene computed or handed to the worker */
    int computing;           /* the worker has the newest scene: the trace is the one before */

    /* edits poked into the scene; each is dropped when the scene's shape changes */
    float *vec_edit;         /* n x d_model explicit a, or NULL */
    int vec_n, vec_d;
    float *par_edit;         /* wq | wk | wv (heads x d_model x d_head each) | wo, or NULL */
    int par_h, par_dm, par_dh;
    unsigned char *mask_edit;/* n x n custom mask, or NULL */
    int mask_n;

    AppTab tab;
    int query;               /* 0-based */
    int step;                /* an AppStep */
    double step_changed_at;  /* clock time of the last step change, for the transition */

    int editing;             /* the text line has the keyboard */
    int cursor;              /* byte offset in spec.text */
    char compose[256];       /* input-method text being composed */

    int help, blank, quit;
    int requests;            /* AppRequest bits */
    char open_path[1024];    /* a scene file to open (ACT_OPEN_SCENE) */

    int hover_on;            /* hover is valid */
    FigHit hover;
    float hover_x, hover_y;

    Player player;           /* the open lesson, its step and question, the lesson menu */
    int lesson_on;           /* a lesson is open: the narration shows and steps are its */
    int menu_sel;            /* the highlighted entry of the lesson menu */

    char status[512];        /* the status line */
    int status_error;
    int dirty;               /* something changed: draw again */
    double now;              /* the clock, in seconds, set by the window loop */
} App;

/* Starts with the default scene; app_init computes it. */
void app_init(App *app);
void app_free(App *app);

/* Carries out one action. */
void app_apply(App *app, const Action *a);

/* Scenes of at least this many score cells (heads x N x N, times 1 + layers) go to the
 * background worker when the App has one; smaller ones are computed at once. */
#define APP_BACKGROUND_CELLS (1LL << 22)

/* Recomputes the trace from the scene and the edits. On failure the previous trace stays and
 * the status line says why. Returns 0 on success: the trace is new, or the scene passed its
 * checks and went to the background worker (app->computing; app_poll_compute brings the
 * trace in). */
int app_recompute(App *app);

/* Brings in the worker's trace for the newest scene when it is ready. Returns 1 when
 * something changed (the trace, or the status line with the worker's error). */
int app_poll_compute(App *app);

/* Drops every poked edit (input vectors, weights, mask) without recomputing. */
void app_drop_edits(App *app);

/* Replaces the scene with a scene file's (relative paths resolved against its folder). */
int app_open_scene(App *app, const char *path);

/* Text for the side panel and the help: a field's name, its value, and its key. */
const char *app_field_name(AppField f);
void app_field_value(const App *app, AppField f, char *out, size_t len);
const char *app_field_key(AppField f);
const char *app_tab_name(AppTab t);
FigView app_tab_view(AppTab t); /* the figure a tab shows (for fig tabs) */

/* The options a figure of the App is drawn with: the display settings, the query, and
 * borrowed pointers to what the App has computed besides the trace (the Transformer blocks,
 * the unmasked trace, encoder-decoder attention and its words). */
FigOptions app_figure(const App *app, FigView view);

/* The caption of a step of the step-through: a title line and a sentence with the live
 * numbers of the current query. */
void app_step_caption(const App *app, int step, char *title, size_t tlen, char *body, size_t blen);

/* A new file name STEM-NNN.EXT in the export folder ($ATTNLAB_EXPORT_DIR, else
 * ~/attnlab-exports, made if missing) that names no existing file. Returns 0, or -1 with a
 * message. */
int app_export_path(const char *stem, const char *ext, char *out, size_t len, char *err, size_t errlen);

/* Sets the status line. */
void app_status(App *app, int error, const char *fmt, ...);

/* One line per key, for the help overlay. NULL-terminated. */
extern const char *const app_help_lines[];

#endif
