/* test_window.c: the real window ($ATTNLAB_BIN --replay SCRIPT), driven by replay scripts and checked through its state files, screenshots, exports and settings. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../src/draw/fig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stb_image.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* the light theme's accent (ui.c): the selected tab, the produced column's frame, the cursor */
static const int ACCENT[3] = {214, 110, 0};

/* ---------------------------------------------------------------- files */

/* A case's own folders: DIR, DIR/config (XDG_CONFIG_HOME) and DIR/export (ATTNLAB_EXPORT_DIR),
 * all absolute. */
typedef struct {
    char dir[700], config[760], export_dir[760];
    char lessons[760];   /* ATTNLAB_LESSONS: an empty folder (no lesson opens) unless a case sets it */
} Box;

static int make_dir(const char *path)
{
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

static int box_at(Box *b, const char *name, int line)
{
    char base[600];
    const char *t = test_tmpdir();
    if (t[0] == '/') snprintf(base, sizeof base, "%s", t);
    else {
        char cwd[300];
        if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
        snprintf(base, sizeof base, "%s/%s", cwd, t);
    }
    snprintf(b->dir, sizeof b->dir, "%s/window-%s", base, name);
    snprintf(b->config, sizeof b->config, "%s/config", b->dir);
    snprintf(b->export_dir, sizeof b->export_dir, "%s/export", b->dir);
    snprintf(b->lessons, sizeof b->lessons, "%s/no-lessons", b->dir);
    if (!make_dir(b->dir) || !make_dir(b->config) || !make_dir(b->lessons)) {
        test_fail(__FILE__, line, "cannot make %s: %s", b->dir, strerror(errno));
        return 0;
    }
    return 1;
}
#define BOX(b, name) do { if (!box_at((b), (name), __LINE__)) return; } while (0)

/* DIR/name, in one of a few rotating buffers. */
static const char *in_box(const Box *b, const char *name)
{
    static char buf[12][900];
    static int next;
    char *p = buf[next++ % 12];
    snprintf(p, sizeof buf[0], "%s/%s", b->dir, name);
    return p;
}

static int write_at(const char *path, const char *text, int line)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0) {
        test_fail(__FILE__, line, "cannot write %s", path);
        if (f) fclose(f);
        return 0;
    }
    fclose(f);
    return 1;
}
#define WRITE(path, text) do { if (!write_at((path), (text), __LINE__)) return; } while (0)

/* Reads a whole file (NUL-terminated, malloc'd); NULL if it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    while (b) {
        if (n + 1 >= cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) { free(b); b = NULL; break; }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - 1 - n, f);
        if (!got) break;
        n += got;
    }
    fclose(f);
    if (b) b[n] = 0;
    return b;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The names in a folder ending in .png, sorted; returns how many (at most max). */
static int list_pngs(const char *dir, char names[][128], int max)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t l = strlen(e->d_name);
        if (l > 4 && l < 128 && strcmp(e->d_name + l - 4, ".png") == 0) memcpy(names[n++], e->d_name, l + 1);
    }
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[128];
            memcpy(t, names[j], 128);
            memcpy(names[j], names[j - 1], 128);
            memcpy(names[j - 1], t, 128);
        }
    return n;
}

/* ---------------------------------------------------------------- running the window */

/* The last run: its exit status and what it wrote (freed by the next run). */
static struct {
    int status;
    char *out, *err;
} R;

static void run_free(void)
{
    free(R.out);
    free(R.err);
    memset(&R, 0, sizeof R);
}

static const char *attnlab_bin(void)
{
    const char *b = getenv("ATTNLAB_BIN");
    return b && *b ? b : "build/attnlab";
}

/* Runs prefix (NULL-ended, may be NULL) then attnlab with args (NULL-ended) in the case's
 * environment: its own XDG_CONFIG_HOME and ATTNLAB_EXPORT_DIR, HOME at the test folder,
 * SDL_VIDEODRIVER=dummy unless under Xvfb (xvfb), LSAN_OPTIONS kept with
 * print_suppressions=0. Under Xvfb the window is presented through plain X11 shared memory
 * (SDL_FRAMEBUFFER_ACCELERATION=0): by default SDL loads Mesa's GL to present it and unloads
 * it at exit, and LeakSanitizer reports what Mesa leaves behind as leaks of an unknown
 * module, which no suppression can name. stdin from /dev/null, stdout and stderr to files. Fills R; reports
 * at the caller's line and returns 0 if the child could not run or did not exit. */
static int run_at(int line, const Box *b, int xvfb, const char *const *prefix, const char *const *args)
{
    static int count;
    static char e_cfg[900], e_exp[900], e_home[700], e_lsan[1200], e_les[900];
    const char *own[] = {"SDL_VIDEODRIVER", "SDL_AUDIODRIVER", "SDL_FRAMEBUFFER_ACCELERATION", "XDG_CONFIG_HOME",
                         "ATTNLAB_EXPORT_DIR", "HOME", "LSAN_OPTIONS", "ATTNLAB_LESSONS", NULL};
    const char *lo = getenv("LSAN_OPTIONS");
    snprintf(e_cfg, sizeof e_cfg, "XDG_CONFIG_HOME=%s", b->config);
    snprintf(e_exp, sizeof e_exp, "ATTNLAB_EXPORT_DIR=%s", b->export_dir);
    snprintf(e_home, sizeof e_home, "HOME=%s", test_tmpdir());
    snprintf(e_les, sizeof e_les, "ATTNLAB_LESSONS=%s", b->lessons);
    snprintf(e_lsan, sizeof e_lsan, "LSAN_OPTIONS=%s%sprint_suppressions=0", lo ? lo : "", lo && *lo ? ":" : "");
    run_free();

    size_t nenv = 0, npre = 0, nargs = 0;
    while (environ[nenv]) nenv++;
    while (prefix && prefix[npre]) npre++;
    while (args[nargs]) nargs++;
    char **envp = malloc(sizeof(char *) * (nenv + 9));
    char **argv = malloc(sizeof(char *) * (npre + nargs + 2));
    if (!envp || !argv) {
        free(envp);
        free(argv);
        test_fail(__FILE__, line, "out of memory");
        return 0;
    }
    size_t k = 0;
    for (size_t i = 0; i < nenv; i++) {
        int mine = 0;
        for (int o = 0; own[o] && !mine; o++) {
            size_t l = strlen(own[o]);
            mine = strncmp(environ[i], own[o], l) == 0 && environ[i][l] == '=';
        }
        if (!mine) envp[k++] = environ[i];
    }
    envp[k++] = xvfb ? "SDL_FRAMEBUFFER_ACCELERATION=0" : "SDL_VIDEODRIVER=dummy";
    envp[k++] = "SDL_AUDIODRIVER=dummy";
    envp[k++] = e_cfg;
    envp[k++] = e_exp;
    envp[k++] = e_home;
    envp[k++] = e_lsan;
    envp[k++] = e_les;
    envp[k] = NULL;
    size_t a = 0;
    for (size_t i = 0; i < npre; i++) argv[a++] = (char *)prefix[i];
    argv[a++] = (char *)attnlab_bin();
    for (size_t i = 0; i < nargs; i++) argv[a++] = (char *)args[i];
    argv[a] = NULL;

    char outp[900], errp[900];
    count++;
    snprintf(outp, sizeof outp, "%s/window-run-%d.out", test_tmpdir(), count);
    snprintf(errp, sizeof errp, "%s/window-run-%d.err", test_tmpdir(), count);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    free(argv);
    if (rc != 0) {
        test_fail(__FILE__, line, "cannot run %s: %s (set ATTNLAB_BIN)", npre ? prefix[0] : attnlab_bin(), strerror(rc));
        return 0;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            test_fail(__FILE__, line, "waitpid: %s", strerror(errno));
            return 0;
        }
    }
    R.out = slurp(outp);
    R.err = slurp(errp);
    unlink(outp);
    unlink(errp);
    if (!R.out || !R.err) {
        test_fail(__FILE__, line, "cannot read the child's output");
        return 0;
    }
    if (!WIFEXITED(st)) {
        test_fail(__FILE__, line, "%s ended by signal %d; stderr: %s", attnlab_bin(),
                  WIFSIGNALED(st) ? WTERMSIG(st) : -1, R.err);
        return 0;
    }
    R.status = WEXITSTATUS(st);
    return 1;
}

/* Writes the script to DIR/name and replays it (with a scene file when scene is not NULL). */
static int replay_at(int line, const Box *b, const char *name, const char *script, const char *scene)
{
    const char *path = in_box(b, name);
    if (!write_at(path, script, line)) return 0;
    const char *args[] = {"--replay", path, scene, NULL};
    return run_at(line, b, 0, NULL, args);
}
#define REPLAY(b, name, script) do { if (!replay_at(__LINE__, (b), (name), (script), NULL)) return; } while (0)
#define REPLAY_SCENE(b, name, script, scene) do { if (!replay_at(__LINE__, (b), (name), (script), (scene))) return; } while (0)

/* The exit status must be want; otherwise the failure shows what the child said. */
#define EXPECT_EXIT(want)                                                        \
    EXPECT_MSG(R.status == (want), "exit status %d, expected %d; stderr: %s", R.status, (want), R.err)

static int has_at(const char *hay, const char *needle, int line)
{
    if (hay && strstr(hay, needle)) return 1;
    test_fail(__FILE__, line, "\"%s\" lacks \"%s\"", hay ? hay : "(null)", needle);
    return 0;
}
#define EXPECT_HAS(hay, needle) do { if (!has_at((hay), (needle), __LINE__)) return; } while (0)

/* ---------------------------------------------------------------- state files */

/* A state file ("key = value" lines) read back; NULL if missing. */
typedef struct {
    char *text;
} State;

static int state_at(State *s, const char *path, int line)
{
    s->text = slurp(path);
    if (!s->text) test_fail(__FILE__, line, "no state file %s; stderr: %s", path, R.err ? R.err : "");
    return s->text != NULL;
}
#define STATE(s, path) do { if (!state_at((s), (path), __LINE__)) return; } while (0)

/* The value of key, copied into one of a few rotating buffers; NULL if there is none. */
static const char *sv(const State *s, const char *key)
{
    static char buf[8][16384];
    static int next;
    size_t kl = strlen(key);
    for (const char *line = s->text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len >= kl + 3 && strncmp(line, key, kl) == 0 && strncmp(line + kl, " = ", 3) == 0) {
            char *p = buf[next++ % 8];
            size_t vl = len - kl - 3 < sizeof buf[0] - 1 ? len - kl - 3 : sizeof buf[0] - 1;
            memcpy(p, line + kl + 3, vl);
            p[vl] = 0;
            return p;
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Parses a row of numbers ("0.1 0.2 ..."); returns how many (at most max). */
static int numbers(const char *v, double *out, int max)
{
    int n = 0;
    char *end;
    while (v && n < max) {
        double d = strtod(v, &end);
        if (end == v) break;
        out[n++] = d;
        v = end;
    }
    return n;
}

/* ---------------------------------------------------------------- screenshots */

typedef struct {
    unsigned char *px; /* RGB */
    int w, h;
} Img;

static int img_at(Img *im, const char *path, int line)
{
    int comp;
    im->px = stbi_load(path, &im->w, &im->h, &comp, 3);
    if (!im->px) test_fail(__FILE__, line, "stb_image cannot read %s; stderr: %s", path, R.err ? R.err : "");
    return im->px != NULL;
}
#define IMG(im, path) do { if (!img_at((im), (path), __LINE__)) return; } while (0)

static const unsigned char *at(const Img *im, int x, int y) { return im->px + 3 * ((size_t)y * im->w + x); }

static int near(const unsigned char *p, const int rgb[3], int tol)
{
    return abs(p[0] - rgb[0]) <= tol && abs(p[1] - rgb[1]) <= tol && abs(p[2] - rgb[2]) <= tol;
}

static int count_colour(const Img *im, const int rgb[3], int tol)
{
    int n = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) n += near(at(im, x, y), rgb, tol);
    return n;
}

/* The leftmost column x holding a vertical run of at least min_run accent pixels below
 * y0, or -1: a frame's side. */
static int accent_frame_x(const Img *im, int y0, int min_run)
{
    for (int x = 0; x < im->w; x++) {
        int run = 0;
        for (int y = y0; y < im->h; y++) {
            run = near(at(im, x, y), ACCENT, 12) ? run + 1 : 0;
            if (run >= min_run) return x;
        }
    }
    return -1;
}

/* Colourful blocks side by side between rows y0 and y1: columns with at least min_px
 * strongly coloured pixels, joined across gaps narrower than gap. Counts the heat maps of
 * a row of panels (and a colour bar). */
static int coloured_blocks(const Img *im, int y0, int y1, int min_px, int gap)
{
    int blocks = 0, last = -1000000;
    for (int x = 0; x < im->w; x++) {
        int n = 0;
        for (int y = y0; y < y1 && y < im->h; y++) {
            const unsigned char *p = at(im, x, y);
            int mx = p[0] > p[1] ? p[0] : p[1], mn = p[0] < p[1] ? p[0] : p[1];
            if (p[2] > mx) mx = p[2];
            if (p[2] < mn) mn = p[2];
            n += mx - mn > 60;
        }
        if (n < min_px) continue;
        if (x - last > gap) blocks++;
        last = x;
    }
    return blocks;
}

/* ---------------------------------------------------------------- cases */

static void typing_a_sentence_recomputes(void)
{
    Box b;
    BOX(&b, "typing");
    /* Return focuses the text line with the cursor at its end; Backspace empties it (extra
     * ones do nothing at the start) */
    char script[2048] = "key Return\nexpect editing 1\n";
    for (int i = 0; i < 40; i++) strcat(script, "key BackSpace\n");
    strcat(script, "type the cat sat\nkey Return\nexpect editing 0\nexpect tokens 3\nexpect text the cat sat\n");
    char tail[1024];
    snprintf(tail, sizeof tail, "state %s\nquit\n", in_box(&b, "typed.state"));
    strcat(script, tail);
    REPLAY(&b, "typing.script", script);
    EXPECT_EXIT(0);
    State s;
    STATE(&s, in_box(&b, "typed.state"));
    EXPECT_STR(sv(&s, "text"), "the cat sat");
    EXPECT_STR(sv(&s, "tokens"), "3");
    EXPECT_STR(sv(&s, "cursor"), "11");
    EXPECT_STR(sv(&s, "editing"), "0");
    /* the trace was recomputed for the new sentence: three weights adding up to 1 */
    double w[8];
    int nw = numbers(sv(&s, "weights_row"), w, 8);
    free(s.text);
    EXPECT_INT(nw, 3);
    EXPECT_NEAR(w[0] + w[1] + w[2], 1.0, 1e-4);

    /* a wrong expectation fails the run with the line and both values, and the script goes
     * on to its end */
    strcpy(script, "key Return\n");
    for (int i = 0; i < 40; i++) strcat(script, "key BackSpace\n");
    snprintf(tail, sizeof tail, "type the cat sat\nkey Return\nexpect tokens 4\nstate %s\nquit\n",
             in_box(&b, "after-wrong.state"));
    strcat(script, tail);
    REPLAY(&b, "wrong.script", script);
    EXPECT_EXIT(1);
    char where[1024];
    /* Return, 40 Backspaces, type, Return: the expect is line 44 */
    snprintf(where, sizeof where, "%s:%d: expected tokens = 4, found 3", in_box(&b, "wrong.script"), 1 + 40 + 2 + 1);
    EXPECT_HAS(R.err, where);
    EXPECT(exists(in_box(&b, "after-wrong.state")));
}

static void stepping_through_a_query(void)
{
    Box b;
    BOX(&b, "stepping");
    char script[2048];
    snprintf(script, sizeof script,
             "key Right\nkey Right\nkey Right\nkey Right\nexpect step 5\n"
             "click @token:3\nexpect query 3\nshot %s\n"
             "key PageDown\nexpect step 6\nkey Down\nexpect query 4\nkey Up\nexpect query 3\n"
             "shot %s\nstate %s\n"
             "key PageUp\nkey Left\nexpect step 4\nquit\n",
             in_box(&b, "step5.png"), in_box(&b, "step6.png"), in_box(&b, "step6.state"));
    REPLAY(&b, "stepping.script", script);
    EXPECT_EXIT(0);
    State s;
    STATE(&s, in_box(&b, "step6.state"));
    int ok = sv(&s, "step") && strcmp(sv(&s, "step"), "6") == 0 && sv(&s, "query") && strcmp(sv(&s, "query"), "3") == 0;
    free(s.text);
    EXPECT(ok);
    /* the produced column is framed in the accent colour: at step 6 (softmax) the weights
     * column, right of step 5's mask column. The frame spans the four key rows; the tab
     * and the q frame are far shorter. */
    Img a, c;
    IMG(&a, in_box(&b, "step5.png"));
    IMG(&c, in_box(&b, "step6.png"));
    int x5 = accent_frame_x(&a, 100, 90), x6 = accent_frame_x(&c, 100, 90);
    int n6 = count_colour(&c, ACCENT, 12);
    stbi_image_free(a.px);
    stbi_image_free(c.px);
    EXPECT_MSG(x5 >= 0, "no framed column at step 5");
    EXPECT_MSG(x6 >= 0, "no framed column at step 6");
    EXPECT_MSG(x6 > x5 + 20, "the frame is at x=%d at step 6, x=%d at step 5: it did not move right", x6, x5);
    EXPECT_MSG(n6 > 1000, "only %d accent pixels at step 6", n6);
}

static void toggling_a_mask_cell(void)
{
    Box b;
    BOX(&b, "mask");
    char script[2048];
    /* "move 1 1" takes the mouse off the matrix so no tooltip covers it */
    snprintf(script, sizeof script,
             "key 7\nexpect tab mask\nshot %s\n"
             "click @cell:mask:1:2\nmove 1 1\nexpect edited_mask 1\nexpect query 1\nshot %s\nstate %s\n"
             "click @cell:mask:1:2\nmove 1 1\nshot %s\nstate %s\nquit\n",
             in_box(&b, "before.png"), in_box(&b, "after.png"), in_box(&b, "after.state"),
             in_box(&b, "again.png"), in_box(&b, "again.state"));
    REPLAY(&b, "mask.script", script);
    EXPECT_EXIT(0);
    State s;
    double allowed[8], w[8];
    STATE(&s, in_box(&b, "after.state"));
    int na = numbers(sv(&s, "allowed_row"), allowed, 8), nw = numbers(sv(&s, "weights_row"), w, 8);
    char wrow[256];
    snprintf(wrow, sizeof wrow, "%s", sv(&s, "weights_row") ? sv(&s, "weights_row") : "");
    const char *mask = sv(&s, "mask");
    int custom = mask && strcmp(mask, "custom (edited)") == 0;
    free(s.text);
    EXPECT_INT(na, 4);
    EXPECT_INT(nw, 4);
    EXPECT(allowed[0] == 1 && allowed[1] == 0 && allowed[2] == 1 && allowed[3] == 1);
    /* exactly zero, as written: not merely small */
    EXPECT_MSG(w[1] == 0.0, "weights_row = %s: key 2 is not exactly 0", wrow);
    EXPECT_NEAR(w[0] + w[2] + w[3], 1.0, 1e-4);
    EXPECT(custom);
    STATE(&s, in_box(&b, "again.state"));
    na = numbers(sv(&s, "allowed_row"), allowed, 8);
    free(s.text);
    EXPECT(na == 4 && allowed[1] == 1);

    /* the cell's pixels: those of the "may attend" colour that the click changed form one
     * cell, which has lost that colour, and gets it back on the second click */
    FigTheme th = fig_theme(0);
    const int ok_rgb[3] = {th.allowed.r, th.allowed.g, th.allowed.b};
    Img pre, post, back;
    IMG(&pre, in_box(&b, "before.png"));
    IMG(&post, in_box(&b, "after.png"));
    IMG(&back, in_box(&b, "again.png"));
    int x0 = pre.w, y0 = pre.h, x1 = -1, y1 = -1, changed = 0, total = 0;
    int same = pre.w == post.w && pre.h == post.h && pre.w == back.w && pre.h == back.h;
    for (int y = 0; same && y < pre.h; y++)
        for (int x = 0; x < pre.w; x++) {
            if (!near(at(&pre, x, y), ok_rgb, 3)) continue;
            total++;
            if (near(at(&post, x, y), ok_rgb, 3)) continue;
            changed++;
            if (x < x0) x0 = x;
            if (x > x1) x1 = x;
            if (y < y0) y0 = y;
            if (y > y1) y1 = y;
        }
    int box_px = 0, pre_ok = 0, post_ok = 0, back_ok = 0;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            box_px++;
            pre_ok += near(at(&pre, x, y), ok_rgb, 3);
            post_ok += near(at(&post, x, y), ok_rgb, 3);
            back_ok += near(at(&back, x, y), ok_rgb, 3);
        }
    stbi_image_free(pre.px);
    stbi_image_free(post.px);
    stbi_image_free(back.px);
    EXPECT_MSG(same, "the shots differ in size");
    EXPECT_MSG(changed > 100, "only %d pixels lost the allowed colour", changed);
    EXPECT_MSG(changed * 6 < total, "%d of %d allowed pixels changed: more than one cell", changed, total);
    EXPECT_MSG(x1 - x0 < 200 && y1 - y0 < 200, "the changed area (%d,%d)-(%d,%d) is not one cell", x0, y0, x1, y1);
    EXPECT_MSG(pre_ok * 10 > box_px * 7, "the cell was not of the allowed colour before (%d of %d)", pre_ok, box_px);
    EXPECT_MSG(post_ok * 10 < box_px, "the cell keeps the allowed colour (%d of %d)", post_ok, box_px);
    EXPECT_MSG(back_ok * 10 > box_px * 7, "the second click did not bring the colour back (%d of %d)", back_ok, box_px);
}

static void changing_heads(void)
{
    Box b;
    BOX(&b, "heads");
    char script[2048];
    snprintf(script, sizeof script,
             "key 9\nexpect tab heads\nexpect heads 2\nshot %s\nkey h\nexpect heads 3\nexpect heads_n 3\n"
             "shot %s\nquit\n",
             in_box(&b, "two.png"), in_box(&b, "three.png"));
    REPLAY(&b, "heads.script", script);
    EXPECT_EXIT(0);
    Img two, three;
    IMG(&two, in_box(&b, "two.png"));
    IMG(&three, in_box(&b, "three.png"));
    /* between the tabs and the status line: one heat map per head and the colour bar */
    int n2 = coloured_blocks(&two, 100, two.h - 40, 100, 12);
    int n3 = coloured_blocks(&three, 100, three.h - 40, 100, 12);
    stbi_image_free(two.px);
    stbi_image_free(three.px);
    EXPECT_MSG(n2 == 3, "%d coloured blocks with 2 heads, expected 2 panels and a colour bar", n2);
    EXPECT_MSG(n3 == 4, "%d coloured blocks with 3 heads, expected 3 panels and a colour bar", n3);
}

static void dragging_an_input_cell_changes_it(void)
{
    Box b;
    BOX(&b, "drag");
    char script[2048];
    snprintf(script, sizeof script,
             "key 3\nexpect tab inputs\nexpect edited_vectors 0\nstate %s\n"
             "drag @cell:inputs:1:1 -50\nexpect edited_vectors 1\nstate %s\n"
             "key r\nexpect edited_vectors 0\nstate %s\nquit\n",
             in_box(&b, "s0.state"), in_box(&b, "s1.state"), in_box(&b, "s2.state"));
    REPLAY(&b, "drag.script", script);
    EXPECT_EXIT(0);
    State s0, s1, s2;
    STATE(&s0, in_box(&b, "s0.state"));
    STATE(&s1, in_box(&b, "s1.state"));
    STATE(&s2, in_box(&b, "s2.state"));
    double a0[64], a1[64], a2[64];
    int n0 = numbers(sv(&s0, "a_row"), a0, 64), n1 = numbers(sv(&s1, "a_row"), a1, 64);
    int n2 = numbers(sv(&s2, "a_row"), a2, 64);
    char w0[1024], w1[1024];
    snprintf(w0, sizeof w0, "%s", sv(&s0, "weights_row") ? sv(&s0, "weights_row") : "");
    snprintf(w1, sizeof w1, "%s", sv(&s1, "weights_row") ? sv(&s1, "weights_row") : "");
    int restored = sv(&s0, "a_row") && sv(&s2, "a_row") && strcmp(sv(&s0, "a_row"), sv(&s2, "a_row")) == 0;
    free(s0.text);
    free(s1.text);
    free(s2.text);
    EXPECT(n0 > 1);
    EXPECT_INT(n1, n0);
    EXPECT_INT(n2, n0);
    /* 50 pixels up, 0.01 a pixel: the first number grows by 0.5, the others stay */
    EXPECT_NEAR(a1[0] - a0[0], 0.5, 0.011);
    for (int i = 1; i < n0; i++) EXPECT_NEAR(a1[i], a0[i], 1e-9);
    EXPECT_MSG(strcmp(w0, w1) != 0, "the weights did not change with the input: %s", w1);
    EXPECT_MSG(restored, "R did not restore a_row");
}

static void export_from_the_window_writes_a_png(void)
{
    Box b;
    BOX(&b, "export");
    /* a file already there is never overwritten */
    EXPECT(make_dir(b.export_dir));
    char taken[900];
    snprintf(taken, sizeof taken, "%s/attnlab-weights-head1-001.png", b.export_dir);
    WRITE(taken, "not mine");
    char script[2048];
    snprintf(script, sizeof script,
             "key 8\nmove @cell:weights:1:1\nkey ctrl+s\nstate %s\nkey ctrl+s\nstate %s\n"
             "key ctrl+shift+s\nstate %s\nquit\n",
             in_box(&b, "e1.state"), in_box(&b, "e2.state"), in_box(&b, "e3.state"));
    REPLAY(&b, "export.script", script);
    EXPECT_EXIT(0);
    char want1[1000], want2[1000], want3[1000], want4[1000], st1[1024], st2[1024], st3[1024];
    snprintf(want1, sizeof want1, "%s/attnlab-weights-head1-002.png", b.export_dir);
    snprintf(want2, sizeof want2, "%s/attnlab-weights-head1-003.png", b.export_dir);
    snprintf(want3, sizeof want3, "%s/attnlab-weights-head1-004.png", b.export_dir);
    snprintf(want4, sizeof want4, "%s/attnlab-weights-head2-001.png", b.export_dir);
    State s;
    STATE(&s, in_box(&b, "e1.state"));
    snprintf(st1, sizeof st1, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    free(s.text);
    STATE(&s, in_box(&b, "e2.state"));
    snprintf(st2, sizeof st2, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    free(s.text);
    STATE(&s, in_box(&b, "e3.state"));
    snprintf(st3, sizeof st3, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    free(s.text);
    EXPECT_HAS(st1, want1);
    EXPECT_HAS(st2, want2);
    EXPECT_HAS(st3, "2 heads");
    EXPECT_HAS(st3, want3);
    /* the first export is readable and as large as the status says */
    int sw = 0, sh = 0;
    const char *dims = strrchr(st1, '(');
    EXPECT_MSG(dims && sscanf(dims, "(%d x %d px)", &sw, &sh) == 2, "no size in \"%s\"", st1);
    Img im;
    IMG(&im, want1);
    stbi_image_free(im.px);
    EXPECT_INT(im.w, sw);
    EXPECT_INT(im.h, sh);
    /* every file: the one that was there (untouched), two views, one per head */
    char names[16][128];
    int n = list_pngs(b.export_dir, names, 16);
    EXPECT_INT(n, 5);
    char *old = slurp(taken);
    int untouched = old && strcmp(old, "not mine") == 0;
    free(old);
    EXPECT_MSG(untouched, "%s was overwritten", taken);
    const char *pngs[] = {want1, want2, want3, want4};
    for (int i = 0; i < 4; i++) {
        IMG(&im, pngs[i]);
        stbi_image_free(im.px);
        EXPECT(im.w > 100 && im.h > 100);
    }
}

static void settings_are_remembered(void)
{
    Box b;
    BOX(&b, "settings");
    REPLAY(&b, "first.script", "key h\nkey l\nexpect heads 3\nexpect theme dark\nquit\n");
    EXPECT_EXIT(0);
    char path[900];
    snprintf(path, sizeof path, "%s/attnlab/settings.txt", b.config);
    EXPECT_MSG(exists(path), "no %s", path);
    REPLAY(&b, "second.script", "expect heads 3\nexpect theme dark\nquit\n");
    EXPECT_EXIT(0);

    /* a corrupt file: a warning, and the defaults */
    Box c;
    BOX(&c, "settings-corrupt");
    char dir[900];
    snprintf(dir, sizeof dir, "%.880s/attnlab", c.config);
    EXPECT(make_dir(dir));
    snprintf(path, sizeof path, "%.880s/settings.txt", dir);
    WRITE(path, "# attnlab settings\nheads = 5\nthis line is garbage\n");
    REPLAY(&c, "corrupt.script", "expect heads 2\nexpect theme light\nquit\n");
    EXPECT_EXIT(0);
    EXPECT_HAS(R.err, "settings ignored");
    EXPECT_HAS(R.err, "settings.txt:3");
}

static void scene_file_opens(void)
{
    Box b;
    BOX(&b, "scene");
    char one[900], two[900], script[2048];
    snprintf(one, sizeof one, "%s", in_box(&b, "one.scene"));
    snprintf(two, sizeof two, "%s", in_box(&b, "two.scene"));
    WRITE(one, "# attnlab scene\ntext = a b c d e\nheads = 1\nmask = causal\n");
    WRITE(two, "text = one two three\nheads = 4\nmask = none\n");
    snprintf(script, sizeof script,
             "expect tokens 5\nexpect heads 1\nexpect mask causal\nexpect text a b c d e\nstate %s\n"
             "drop %s\nexpect tokens 3\nexpect heads 4\nexpect mask none\nexpect text one two three\nstate %s\nquit\n",
             in_box(&b, "one.state"), two, in_box(&b, "two.state"));
    REPLAY_SCENE(&b, "scene.script", script, one);
    EXPECT_EXIT(0);
    State s;
    STATE(&s, in_box(&b, "one.state"));
    char allowed[256];
    snprintf(allowed, sizeof allowed, "%s", sv(&s, "allowed_row") ? sv(&s, "allowed_row") : "");
    free(s.text);
    EXPECT_STR(allowed, "1 0 0 0 0"); /* causal: the first query sees only itself */
    STATE(&s, in_box(&b, "two.state"));
    char status[1024];
    snprintf(status, sizeof status, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    free(s.text);
    EXPECT_HAS(status, "opened");
    EXPECT_HAS(status, "two.scene");
}

static void help_and_blank(void)
{
    Box b;
    BOX(&b, "blank");
    char script[2048];
    snprintf(script, sizeof script,
             "key ?\nexpect help 1\nshot %s\nkey Escape\nexpect help 0\n"
             "key b\nexpect blank 1\nshot %s\nkey b\nexpect blank 0\nshot %s\nquit\n",
             in_box(&b, "help.png"), in_box(&b, "blank.png"), in_box(&b, "back.png"));
    REPLAY(&b, "blank.script", script);
    EXPECT_EXIT(0);
    Img help, blank, back;
    IMG(&help, in_box(&b, "help.png"));
    IMG(&blank, in_box(&b, "blank.png"));
    IMG(&back, in_box(&b, "back.png"));
    const int black[3] = {0, 0, 0};
    int nb = count_colour(&blank, black, 0), all = blank.w * blank.h;
    double lum_help = 0, lum_back = 0;
    for (int i = 0; i < help.w * help.h * 3; i++) lum_help += help.px[i];
    for (int i = 0; i < back.w * back.h * 3; i++) lum_back += back.px[i];
    lum_help /= (double)help.w * help.h * 3;
    lum_back /= (double)back.w * back.h * 3;
    int back_black = count_colour(&back, black, 0);
    stbi_image_free(help.px);
    stbi_image_free(blank.px);
    stbi_image_free(back.px);
    EXPECT_MSG(nb == all, "%d of %d pixels of the blank screen are black", nb, all);
    EXPECT_MSG(back_black * 2 < all, "the screen stays black after B again (%d black pixels)", back_black);
    /* the help darkens everything behind its box */
    EXPECT_MSG(lum_help < lum_back - 20, "help: mean level %.1f, without: %.1f", lum_help, lum_back);
}

static void large_input_is_drawn_not_cut(void)
{
    Box b;
    BOX(&b, "large");
    /* 600 one-word tokens */
    char *scene = malloc(16 * 600 + 64);
    EXPECT(scene != NULL);
    strcpy(scene, "text =");
    size_t len = strlen(scene);
    for (int i = 1; i <= 600; i++) len += (size_t)sprintf(scene + len, " w%d", i);
    strcat(scene, "\n");
    char scene_path[900];
    snprintf(scene_path, sizeof scene_path, "%s", in_box(&b, "large.scene"));
    int wrote = write_at(scene_path, scene, __LINE__);
    free(scene);
    if (!wrote) return;
    char script[2048];
    /* the corners of the 600 x 600 weights are on screen */
    snprintf(script, sizeof script,
             "key 8\nexpect tokens 600\nshot %s\nmove @cell:weights:1:1\nmove @cell:weights:600:600\n"
             "move @cell:weights:1:600\nstate %s\n"
             "wheel @cell:weights:300:300 3\nstate %s\n"
             "key Return\nexpect editing 1\nshot %s\ntype Z\nexpect tokens 600\nshot %s\nquit\n",
             in_box(&b, "large.png"), in_box(&b, "s0.state"), in_box(&b, "s1.state"), in_box(&b, "edit1.png"),
             in_box(&b, "edit2.png"));
    REPLAY_SCENE(&b, "large.script", script, scene_path);
    EXPECT_EXIT(0);
    State s;
    STATE(&s, in_box(&b, "s0.state"));
    char status[1024], rows0[64];
    snprintf(status, sizeof status, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    snprintf(rows0, sizeof rows0, "%s", sv(&s, "view_rows") ? sv(&s, "view_rows") : "");
    free(s.text);
    EXPECT_MSG(strncmp(status, "opened ", 7) == 0, "status: %s", status);
    EXPECT_STR(rows0, "0 0");
    STATE(&s, in_box(&b, "s1.state"));
    double rows[4], cols[4];
    int nr = numbers(sv(&s, "view_rows"), rows, 4), nc = numbers(sv(&s, "view_cols"), cols, 4);
    free(s.text);
    EXPECT_INT(nr, 2);
    EXPECT_INT(nc, 2);
    /* three notches in: about 600 / 1.25^3 rows, still holding row 300 */
    EXPECT_MSG(rows[1] >= 2 && rows[1] <= 599, "view_rows = %g %g", rows[0], rows[1]);
    EXPECT_MSG(rows[0] <= 299 && rows[0] + rows[1] > 299, "view_rows = %g %g misses row 300", rows[0], rows[1]);
    EXPECT_MSG(cols[1] >= 2 && cols[1] <= 599, "view_cols = %g %g", cols[0], cols[1]);

    Img im;
    IMG(&im, in_box(&b, "large.png"));
    int blocks = coloured_blocks(&im, 100, im.h - 40, 200, 12);
    stbi_image_free(im.px);
    EXPECT_MSG(blocks >= 1, "no matrix drawn");

    /* editing the long sentence: the text line scrolls to its end, where the cursor is, so
     * what is typed there shows (not some middle part of the text that never changes) */
    Img e1, e2;
    IMG(&e1, in_box(&b, "edit1.png"));
    IMG(&e2, in_box(&b, "edit2.png"));
    int cursor = -1, differ = 0;
    /* inside the text box (x 140 .. width - 200, y 10 .. 48), within its frame */
    for (int y = 14; y < 45; y++)
        for (int x = 144; x < e1.w - 204 && e1.w == e2.w && e1.h == e2.h; x++) {
            if (near(at(&e1, x, y), ACCENT, 12)) cursor = x;
            differ += memcmp(at(&e1, x, y), at(&e2, x, y), 3) != 0;
        }
    stbi_image_free(e1.px);
    stbi_image_free(e2.px);
    EXPECT_MSG(cursor > 0, "no cursor in the text line");
    EXPECT_MSG(differ > 20, "typing at the end of the long sentence left the text line as it was (%d pixels changed)", differ);
}

static void bad_script_reports_file_line(void)
{
    Box b;
    BOX(&b, "bad");
    REPLAY(&b, "bad.script", "key 2\nexpect tab overview\nfrobnicate now\nquit\n");
    EXPECT_EXIT(2);
    char where[1024];
    snprintf(where, sizeof where, "%s:3:", in_box(&b, "bad.script"));
    EXPECT_HAS(R.err, where);
    EXPECT_HAS(R.err, "frobnicate");
}

static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[1200];
    while (path && *path) {
        size_t l = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)l, path, prog);
        if (l && access(buf, X_OK) == 0) return 1;
        path += l;
        if (*path == ':') path++;
    }
    return 0;
}

static void window_under_xvfb_captured_with_import(void)
{
    if (!on_path("xvfb-run") || !on_path("import")) {
        printf("     (skipped: xvfb-run or import is missing; `make deps-test` installs them)\n");
        return;
    }
    Box b;
    BOX(&b, "xvfb");
    char script[2048], out[900];
    snprintf(out, sizeof out, "%s", in_box(&b, "screen.png"));
    snprintf(script, sizeof script, "wait 2\nexec import -window attnlab '%s'\nquit\n", out);
    const char *path = in_box(&b, "xvfb.script");
    WRITE(path, script);
    const char *prefix[] = {"xvfb-run", "-a", "-s", "-screen 0 1280x800x24", NULL};
    const char *args[] = {"--replay", path, NULL};
    if (!run_at(__LINE__, &b, 1, prefix, args)) return;
    EXPECT_EXIT(0);
    EXPECT_MSG(exists(out), "import wrote no %s; stderr: %s", out, R.err);
    Img im;
    IMG(&im, out);
    int n = count_colour(&im, ACCENT, 12);
    stbi_image_free(im.px);
    EXPECT_MSG(im.w >= 1200 && im.w <= 1300 && im.h >= 740 && im.h <= 820, "the capture is %d x %d", im.w, im.h);
    EXPECT_MSG(n > 1000, "only %d accent pixels: no selected tab", n);
}

void suite_window(void)
{
    RUN(typing_a_sentence_recomputes);
    RUN(stepping_through_a_query);
    RUN(toggling_a_mask_cell);
    RUN(changing_heads);
    RUN(dragging_an_input_cell_changes_it);
    RUN(export_from_the_window_writes_a_png);
    RUN(settings_are_remembered);
    RUN(scene_file_opens);
    RUN(help_and_blank);
    RUN(large_input_is_drawn_not_cut);
    RUN(bad_script_reports_file_line);
    RUN(window_under_xvfb_captured_with_import);
    run_free();
}
