/* harness.c: owns how the tests run the built attnlab: sandbox folders, the child's
 * environment and output, and reading back files, state values and PNGs (see harness.h). */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stb_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

HarnessRun harness_last;

/* ---------------------------------------------------------------- files */

const char *harness_abs_tmpdir(void)
{
    static char base[600];
    const char *t = test_tmpdir();
    if (t[0] == '/') snprintf(base, sizeof base, "%s", t);
    else {
        char cwd[300];
        if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
        snprintf(base, sizeof base, "%s/%s", cwd, t);
    }
    return base;
}

int harness_make_dir(const char *path)
{
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

int harness_box(const char *file, int line, HarnessBox *b, const char *group, const char *name)
{
    snprintf(b->dir, sizeof b->dir, "%s/%s-%s", harness_abs_tmpdir(), group, name);
    snprintf(b->config, sizeof b->config, "%s/config", b->dir);
    snprintf(b->export_dir, sizeof b->export_dir, "%s/export", b->dir);
    snprintf(b->lessons, sizeof b->lessons, "%s/no-lessons", b->dir);
    if (!harness_make_dir(b->dir) || !harness_make_dir(b->config) || !harness_make_dir(b->lessons)) {
        test_fail(file, line, "cannot make %s: %s", b->dir, strerror(errno));
        return 0;
    }
    return 1;
}

const char *harness_path(const HarnessBox *b, const char *name)
{
    static char buf[12][900];
    static int next;
    char *p = buf[next++ % 12];
    snprintf(p, sizeof buf[0], "%s/%s", b->dir, name);
    return p;
}

int harness_write(const char *file, int line, const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0) {
        test_fail(file, line, "cannot write %s", path);
        if (f) fclose(f);
        return 0;
    }
    fclose(f);
    return 1;
}

int harness_write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t put = len ? fwrite(data, 1, len, f) : 0;
    return (fclose(f) == 0 && put == len) ? 0 : -1;
}

char *harness_slurp(const char *path, size_t *len)
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
    if (len) *len = n;
    return b;
}

int harness_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

int harness_list_names(const char *dir, const char *start, const char *end, char names[][128], int max)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return 0;
    struct dirent *e;
    size_t el = strlen(end);
    while ((e = readdir(d)) && n < max) {
        size_t l = strlen(e->d_name);
        if (l <= el || l >= 128 || strcmp(e->d_name + l - el, end) != 0) continue;
        if (strcmp(start, "digit") == 0 ? !(e->d_name[0] >= '0' && e->d_name[0] <= '9')
                                        : strncmp(e->d_name, start, strlen(start)) != 0)
            continue;
        memcpy(names[n++], e->d_name, l + 1);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_name);
    return n;
}

/* ---------------------------------------------------------------- running attnlab */

void harness_free(void)
{
    free(harness_last.out);
    free(harness_last.err);
    memset(&harness_last, 0, sizeof harness_last);
}

const char *harness_bin(void)
{
    const char *b = getenv("ATTNLAB_BIN");
    return b && *b ? b : "build/attnlab";
}

/* Whether the environment entry "NAME=VALUE" is named by one of list's entries ("NAME" or
 * "NAME=VALUE"; the list ends at NULL or after n entries, n < 0: no limit). */
static int env_named(const char *entry, const char *const *list, int n)
{
    for (int i = 0; list && list[i] && (n < 0 || i < n); i++) {
        size_t k = strcspn(list[i], "=");
        if (strncmp(entry, list[i], k) == 0 && entry[k] == '=') return 1;
    }
    return 0;
}

int harness_run(const char *file, int line, const HarnessBox *b, const HarnessOptions *opt, const char *const *args)
{
    static int count;
    /* never inherited: the harness sets one of the two and the child must not see the other */
    static const char *const always[] = {"SDL_VIDEODRIVER", "SDL_FRAMEBUFFER_ACCELERATION", NULL};
    const char *const *prefix = opt ? opt->prefix : NULL;
    const char *const *extra = opt ? opt->env : NULL;
    int xvfb = opt && opt->xvfb;
    char e_cfg[900], e_exp[900], e_home[700], e_lsan[1200], e_les[900];
    const char *lo = getenv("LSAN_OPTIONS");
    snprintf(e_lsan, sizeof e_lsan, "LSAN_OPTIONS=%s%sprint_suppressions=0", lo ? lo : "", lo && *lo ? ":" : "");
    harness_free();

    /* what the child is given: opt's entries, then the harness's own unless opt names them */
    const char *base[8];
    int nb = 0;
    base[nb++] = xvfb ? "SDL_FRAMEBUFFER_ACCELERATION=0" : "SDL_VIDEODRIVER=dummy";
    base[nb++] = "SDL_AUDIODRIVER=dummy";
    if (b) {
        snprintf(e_cfg, sizeof e_cfg, "XDG_CONFIG_HOME=%s", b->config);
        snprintf(e_exp, sizeof e_exp, "ATTNLAB_EXPORT_DIR=%s", b->export_dir);
        snprintf(e_home, sizeof e_home, "HOME=%s", test_tmpdir());
        snprintf(e_les, sizeof e_les, "ATTNLAB_LESSONS=%s", b->lessons);
        base[nb++] = e_cfg;
        base[nb++] = e_exp;
        base[nb++] = e_home;
    }
    base[nb++] = e_lsan;
    if (b) base[nb++] = e_les;
    size_t nenv = 0, npre = 0, nargs = 0, nextra = 0;
    while (environ[nenv]) nenv++;
    while (prefix && prefix[npre]) npre++;
    while (args[nargs]) nargs++;
    while (extra && extra[nextra]) nextra++;
    char **envp = malloc(sizeof(char *) * (nenv + nextra + (size_t)nb + 1));
    char **argv = malloc(sizeof(char *) * (npre + nargs + 2));
    if (!envp || !argv) {
        free(envp);
        free(argv);
        test_fail(file, line, "out of memory");
        return 0;
    }
    size_t k = 0;
    for (size_t i = 0; i < nenv; i++)
        if (!env_named(environ[i], always, -1) && !env_named(environ[i], base, nb) && !env_named(environ[i], extra, -1))
            envp[k++] = environ[i];
    for (size_t i = 0; i < nextra; i++) envp[k++] = (char *)extra[i];
    for (int i = 0; i < nb; i++)
        if (!env_named(base[i], extra, -1)) envp[k++] = (char *)base[i];
    envp[k] = NULL;
    size_t a = 0;
    for (size_t i = 0; i < npre; i++) argv[a++] = (char *)prefix[i];
    argv[a++] = (char *)harness_bin();
    for (size_t i = 0; i < nargs; i++) argv[a++] = (char *)args[i];
    argv[a] = NULL;

    char outp[900], errp[900];
    count++;
    snprintf(outp, sizeof outp, "%s/run-%d.out", test_tmpdir(), count);
    snprintf(errp, sizeof errp, "%s/run-%d.err", test_tmpdir(), count);
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
        test_fail(file, line, "cannot run %s: %s (set ATTNLAB_BIN)", npre ? prefix[0] : harness_bin(), strerror(rc));
        return 0;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            test_fail(file, line, "waitpid: %s", strerror(errno));
            return 0;
        }
    }
    harness_last.out = harness_slurp(outp, &harness_last.out_len);
    harness_last.err = harness_slurp(errp, &harness_last.err_len);
    unlink(outp);
    unlink(errp);
    if (!harness_last.out || !harness_last.err) {
        test_fail(file, line, "cannot read the child's output");
        return 0;
    }
    if (!WIFEXITED(st)) {
        test_fail(file, line, "%s ended by signal %d; stderr: %s", harness_bin(),
                  WIFSIGNALED(st) ? WTERMSIG(st) : -1, harness_last.err);
        return 0;
    }
    harness_last.status = WEXITSTATUS(st);
    return 1;
}

int harness_replay(const char *file, int line, const HarnessBox *b, const char *name, const char *script,
                   const char *extra)
{
    const char *path = harness_path(b, name);
    if (!harness_write(file, line, path, script)) return 0;
    const char *args[] = {"--replay", path, extra, NULL};
    return harness_run(file, line, b, NULL, args);
}

int harness_has(const char *file, int line, const char *hay, const char *needle)
{
    if (hay && strstr(hay, needle)) return 1;
    test_fail(file, line, "\"%s\" lacks \"%s\"", hay ? hay : "(null)", needle);
    return 0;
}

/* ---------------------------------------------------------------- state files */

const char *harness_value(const char *text, const char *key)
{
    static char buf[8][16384];
    static int next;
    size_t kl = strlen(key);
    for (const char *line = text; line && *line;) {
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

/* ---------------------------------------------------------------- screenshots */

int harness_img(const char *file, int line, HarnessImg *im, const char *path)
{
    int comp;
    im->px = stbi_load(path, &im->w, &im->h, &comp, 3);
    if (!im->px) test_fail(file, line, "stb_image cannot read %s; stderr: %s", path, harness_last.err ? harness_last.err : "");
    return im->px != NULL;
}

const unsigned char *harness_px(const HarnessImg *im, int x, int y)
{
    return im->px + 3 * ((size_t)y * im->w + x);
}

int harness_near(const unsigned char *p, const int rgb[3], int tol)
{
    return abs(p[0] - rgb[0]) <= tol && abs(p[1] - rgb[1]) <= tol && abs(p[2] - rgb[2]) <= tol;
}

int harness_count_colour(const HarnessImg *im, int x0, const int rgb[3], int tol)
{
    int n = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = x0; x < im->w; x++) n += harness_near(harness_px(im, x, y), rgb, tol);
    return n;
}
