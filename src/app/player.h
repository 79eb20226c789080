/* player.h: lessons in the window and on the command line: finding them, checking them
 * against what the engine accepts, turning a step into a scene (every earlier step's scene
 * block applied in order), answering a step's question, and noticing edits to the file.
 *
 * Ownership: a Player owns its Lesson and the list of lesson files; player_free releases
 * them. The App it drives is the caller's. */
#ifndef ATTN_PLAYER_H
#define ATTN_PLAYER_H

#include "../lesson/lesson.h"

#include <stddef.h>
#include <time.h>

struct App;

#define PLAYER_MAX_LESSONS 64
#define PLAYER_MAX_HIGHLIGHT 64

typedef struct {
    char path[1024];           /* the lesson file */
    char dir[1024];            /* its folder: file names in scene blocks are relative to it */
    Lesson lesson;
    int loaded;                /* lesson holds a parsed, checked lesson */
    char error[700];           /* "FILE:LINE:COLUMN: message" when the lesson could not open */
    long long mtime;           /* the file's modification time when read (ns) */
    int step;                  /* 0-based */
    /* the step's question */
    int answered;              /* the learner answered: the reveal shows */
    int chosen;                /* the choice clicked, 1-based (0: a typed number) */
    int correct;
    char typed[64];            /* a numeric answer being typed */
    int typing;
    float scroll;              /* how far the narration is scrolled up, logical pixels */
    float scroll_max;          /* set by the drawing: how far it can scroll */
    /* the step's highlighted cells, 0-based (row, col) */
    int n_highlight;
    int highlight[PLAYER_MAX_HIGHLIGHT][2];
    /* the lesson menu */
    int menu;
    int n_files;
    char *files[PLAYER_MAX_LESSONS];
    char *titles[PLAYER_MAX_LESSONS];
    int progress[PLAYER_MAX_LESSONS]; /* the step reached, from 1, 0 = not opened */
    int steps[PLAYER_MAX_LESSONS];    /* how many steps each has, 0 if it does not parse */
} Player;

void player_init(Player *p);
void player_free(Player *p);

/* The lessons folder: $ATTNLAB_LESSONS, else lessons/ next to the program's folder
 * (build/../lessons), else the installed share/attnlab/lessons. Returns 0 or -1. */
int player_lessons_dir(char *out, size_t len);

/* Lists the *.md lessons of a folder (README.md excluded), sorted, with their titles. */
void player_scan(Player *p, const char *dir);

/* Fills each listed lesson's furthest step from WinSettings' progress list. */
void player_progress_from(Player *p, const char *progress);

/* Reads, parses and checks a lesson. Returns 0, or -1 with "FILE:LINE:COLUMN: message" in
 * err. out is untouched on failure. */
int player_load(Lesson *out, const char *path, char *err, size_t errlen);

/* Checks a parsed lesson as `attnlab check` does: every scene key and value, files inside
 * the lesson's folder and present, queries, steps and highlights within the scene, images
 * present. dir is the lesson's folder, name its path for messages. Returns 0 or -1. */
int player_check(const Lesson *l, const char *dir, const char *name, char *err, size_t errlen);

/* Opens a lesson in the App at a step (0-based, clamped). On failure the App keeps what it
 * shows and p->error says why. Returns 0 or -1. */
int player_open(Player *p, struct App *app, const char *path, int step);

/* Shows step `step` of the open lesson: the scene of every step up to it, the step's tab,
 * query, computation step and highlights; edits are dropped. */
void player_show(Player *p, struct App *app, int step);

/* Answers the step's question: a choice (1-based), or choice 0 with the typed number. */
void player_answer(Player *p, struct App *app, int choice);

/* Re-reads the lesson if its file changed since it was read; keeps the step. Returns 1 when
 * it reloaded. */
int player_poll(Player *p, struct App *app);

#endif
