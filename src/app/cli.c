/* cli.c: "attnlab export ..." and the help texts: options to a scene and figure options
 * (pure parsing), then loading, computing and writing the figure, trace or matrix. */
#include "cli.h"
#include "export.h"
#include "player.h"
#include "../audio/audio.h"
#include "../audio/audscene.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int usage(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return CLI_USAGE;
}

static const struct {
    const char *name;
    OutMatrix m;
} matrices[] = {
    {"a", OUT_M_A}, {"pe", OUT_M_PE}, {"x", OUT_M_X}, {"q", OUT_M_Q}, {"k", OUT_M_K},
    {"v", OUT_M_V}, {"scores", OUT_M_SCORES}, {"scaled", OUT_M_SCALED}, {"mask", OUT_M_MASK},
    {"weights", OUT_M_WEIGHTS}, {"out", OUT_M_OUT}, {"concat", OUT_M_CONCAT},
    {"output", OUT_M_OUTPUT}, {"Wq", OUT_M_WQ}, {"Wk", OUT_M_WK}, {"Wv", OUT_M_WV},
    {"Wo", OUT_M_WO},
};
#define MATRIX_NAMES "a|pe|x|q|k|v|scores|scaled|mask|weights|out|concat|output|Wq|Wk|Wv|Wo"

void cli_print_help(FILE *f)
{
    fprintf(f,
        "attnlab %s: self-attention computed live, every number shown\n"
        "\n"
        "usage:\n"
        "  attnlab                      open the window (on the scene it last showed)\n"
        "  attnlab SCENE_FILE           open the window on a scene file\n"
        "  attnlab --replay SCRIPT [SCENE_FILE]\n"
        "                               play a script of input events in the window\n"
        "  attnlab export [OPTIONS]     write a figure (PNG), the whole trace (JSON) or one\n"
        "                               matrix (CSV) without opening a window\n"
        "  attnlab export --help        every export option with its default\n"
        "  attnlab check LESSON...      check lesson files; file:line:column for each problem\n"
        "  attnlab LESSON.md            open the window on a lesson\n"
        "  attnlab --help | --version\n"
        "\n"
        "example:\n"
        "  attnlab export --text \"I saw a saw\" --heads 2 --d-model 8 --score scaled \\\n"
        "                 --mask causal --posenc sinusoidal --seed 7 --view weights --out fig.png\n"
        "\n"
        "exit status: 0 done, 1 could not read or write something, 2 bad option or value\n",
        ATTNLAB_VERSION);
}

void cli_print_export_help(FILE *f)
{
    fprintf(f,
        "usage: attnlab export [OPTIONS]\n"
        "\n"
        "scene (what is computed):\n"
        "  --text TEXT         input text; words and punctuation split, CJK per character,\n"
        "                      or explicit tokens split by '|'     (default \"I saw a saw\")\n"
        "  --vectors FILE|hash input vectors a^i: one row of d_model numbers per token, or\n"
        "                      a fixed embedding per token string  (default hash)\n"
        "  --d-model N         size of a, e, x and b, 1..%d         (default 8)\n"
        "  --heads N           attention heads, 1..%d                (default 2)\n"
        "  --d-head N          size of q, k, v per head, 1..%d     (default 4)\n"
        "  --d-att N           hidden size of additive scoring, 1..%d (default d_head)\n"
        "  --score KIND        dot|scaled|additive                  (default scaled)\n"
        "  --mask KIND         none|causal|window:W|padding:P|conv:K|graph:FILE|custom:FILE\n"
        "                      (default none). conv:K: a K x K receptive field on a picture's\n"
        "                      grid, as a CNN sees; graph FILE: one edge \"I J\" a line, 1-based;\n"
        "                      custom FILE: N rows of N 0/1 values, 1 = may attend\n"
        "  --posenc KIND       none|sinusoidal|learned|2d           (default sinusoidal)\n"
        "                      2d: the row and the column of a picture's patch\n"
        "  --norm KIND         softmax|relu                         (default softmax)\n"
        "  --temperature T     weights = normalise(scaled / T), %g..%g (default 1)\n"
        "  --seed N            seed for random weights and learned positions (default 1)\n"
        "  --image PIC|none    a picture as the input instead of the text: a PNG, JPEG, BMP or\n"
        "                      GIF file, or example:ducks|shapes|gradient|tiny (default none)\n"
        "  --patch P           pixels per patch side, 1..64; 1 makes every pixel a token (default 16)\n"
        "  --grid G            at most G tokens along either side; larger pictures are shrunk\n"
        "                      first, 1..64 (default 8)\n"
        "  --graph G|none      a graph as the input: its nodes are the tokens, their numbers\n"
        "                      the inputs (a = features · E) and its edges the mask (graph):\n"
        "                      a graph FILE (format in README) or example:molecule|friends\n"
        "  --audio WAV|none    a sound as the input: its frames are the tokens; a WAV file\n"
        "                      (--wav FILE says the same) or example:speech|tone|chirp, sounds\n"
        "                      attnlab makes itself (default none)\n"
        "  --win-ms MS         a frame's length in milliseconds, 1..1000      (default 25)\n"
        "  --hop-ms MS         milliseconds from one frame to the next, 1..win-ms (default 10)\n"
        "  --bands B           features a frame: log energy in B mel-spaced bands, 1..64,\n"
        "                      each normalised over the sound (default 8)\n"
        "  --layers L          Transformer blocks after the attention, 0..12: each adds a\n"
        "                      residual, layer norm, an MLP, a residual and layer norm (default 0)\n"
        "  --d-ff N            the blocks' MLP hidden size, 1..4096; 0 means 4 d_model (default 0)\n"
        "  --cross PAIR        the sentence pair of --view cross (encoder-decoder attention):\n"
        "                      french|german, or a pair FILE: \"source WORD numbers\" and\n"
        "                      \"target WORD numbers\" lines (default french)\n"
        "  --cross-score S     dot|general|additive: Luong dot, Luong general (s W hᵀ) or\n"
        "                      Bahdanau (v · tanh(h W_src + s W_tgt))   (default dot)\n"
        "  --weights KIND      random|identity|picture|FILE; picture, for pictures: head 1\n"
        "                      attends to similar colour, head 2 to nearby patches; a FILE\n"
        "                      holds sections \"Wq H\", \"Wk H\",\n"
        "                      \"Wv H\", \"Wa H\", \"va H\", \"Wo\" with their rows; missing\n"
        "                      sections come from the random preset (default random)\n"
        "\n"
        , ATTN_MAX_D_MODEL, ATTN_MAX_HEADS, ATTN_MAX_D_HEAD, ATTN_MAX_D_ATT,
        (double)ATTN_MIN_TEMPERATURE, (double)ATTN_MAX_TEMPERATURE);
    fprintf(f,
        "figure:\n"
        "  --view VIEW         %s\n"
        "                      (default weights)\n"
        "  --head N            head shown by per-head views, 1-based (default 1)\n"
        "  --layer N           the Transformer block shown by --view block, 1-based (default 1)\n"
        "  --decode-step N|all --view cross decodes target steps 1..N, building step N's\n"
        "                      context term by term (default all: every step at once)\n"
        "  --query N           the query token of the picture and graph views, 1-based (a\n"
        "                      picture's patches row by row); --query-patch N says the same\n"
        "                      (default 1)\n"
        "  --orient qk|kq      qk: rows are queries (QKᵀ, as in papers); kq: queries are\n"
        "                      columns (A = KᵀQ, the lecture's layout)  (default qk)\n"
        "  --cmap MAP          auto|%s; auto uses diverging for\n"
        "                      signed values and viridis otherwise (default auto)\n"
        "  --theme light|dark  (default light)\n"
        "  --scale F           pixel scale for slides, %g..%g      (default 1)\n"
        "  --numbers [on|off|auto]  numbers in cells; auto when cells are large (default auto)\n"
        "  --cell PX           cell size in pixels before scaling, 2..200 (default: by size)\n"
        "\n"
        "output:\n"
        "  --format png|json|csv|wav  (default png); wav writes the scene's sound itself\n"
        "  --matrix NAME       the matrix a CSV holds: %s\n"
        "                      (default: the view's matrix, weights for --view weights)\n"
        "  --out PATH          file to write, '-' for standard output (default\n"
        "                      attnlab-VIEW.png for PNG, standard output for JSON and CSV)\n"
        "  --quiet             no \"wrote ...\" line\n"
        "\n"
        "lessons:\n"
        "  --lesson FILE       export a lesson's steps as they look in the window, narration\n"
        "                      included (1600 x 900 before --scale)\n"
        "  --step N            the step to export, from 1, into --out PATH\n"
        "  --all-steps         every step, into --out-dir DIR as step-01.png, step-02.png, ...\n"
        "  --reveal            show each question answered, with its explanation\n"
        "\n"
        "Files are written whole or not at all. Limits: %d tokens, %lld score cells in all\n"
        "(heads x N x N); JSON up to %lld cells; images up to %d pixels a side.\n",
        fig_view_names(),
        cmap_names(), (double)EXPORT_MIN_SCALE, (double)EXPORT_MAX_SCALE, MATRIX_NAMES,
        ATTN_MAX_N, (long long)ATTN_MAX_CELLS, (long long)OUT_JSON_MAX_CELLS, EXPORT_MAX_SIDE);
}

static int is_scene_key(const char *k)
{
    if (strcmp(k, "wav") == 0) return 1;
    for (int i = 0; scene_keys[i]; i++)
        if (strcmp(scene_keys[i], k) == 0) return 1;
    return 0;
}

static int is_cli_key(const char *k)
{
    static const char *const keys[] = {"scale", "format", "matrix", "out", "quiet", "lesson", "step",
                                       "all-steps", "out-dir", "reveal", NULL};
    for (int i = 0; keys[i]; i++)
        if (strcmp(keys[i], k) == 0) return 1;
    for (int i = 0; fig_keys[i]; i++)
        if (strcmp(fig_keys[i], k) == 0) return 1;
    return 0;
}

static int set_option(CliCommand *c, const char *key, const char *v, char *err, size_t errlen)
{
    char serr[256];
    if (strcmp(key, "wav") == 0) key = "audio"; /* a sound file, by its other name */
    if (is_scene_key(key)) {
        if (scene_set(&c->spec, key, v, serr, sizeof serr)) return usage(err, errlen, "%s", serr);
        return CLI_OK;
    }
    if (!v) return usage(err, errlen, "--%s needs a value", key);
    int fr = fig_set(&c->fig, key, v, serr, sizeof serr);
    if (fr < 0) return usage(err, errlen, "%s", serr);
    if (fr == 0) return CLI_OK;
    if (strcmp(key, "scale") == 0) {
        char *end;
        errno = 0;
        double s = strtod(v, &end);
        if (end == v || *end || errno || !isfinite(s)) return usage(err, errlen, "--scale: '%s' is not a number", v);
        if (s < EXPORT_MIN_SCALE || s > EXPORT_MAX_SCALE)
            return usage(err, errlen, "--scale: %s is outside the limit %g..%g", v, (double)EXPORT_MIN_SCALE, (double)EXPORT_MAX_SCALE);
        c->scale = (float)s;
    } else if (strcmp(key, "format") == 0) {
        if (strcmp(v, "png") == 0) c->format = CLI_PNG;
        else if (strcmp(v, "json") == 0) c->format = CLI_JSON;
        else if (strcmp(v, "csv") == 0) c->format = CLI_CSV;
        else if (strcmp(v, "wav") == 0) c->format = CLI_WAV;
        else return usage(err, errlen, "--format: unknown format '%s' (allowed: png|json|csv|wav)", v);
    } else if (strcmp(key, "matrix") == 0) {
        size_t i;
        for (i = 0; i < sizeof matrices / sizeof matrices[0]; i++)
            if (strcmp(v, matrices[i].name) == 0) break;
        if (i == sizeof matrices / sizeof matrices[0])
            return usage(err, errlen, "--matrix: unknown matrix '%s' (allowed: %s)", v, MATRIX_NAMES);
        c->matrix = matrices[i].m;
        c->matrix_set = 1;
    } else if (strcmp(key, "out") == 0) {
        if (!*v) return usage(err, errlen, "--out: empty path");
        c->out = v;
    } else if (strcmp(key, "lesson") == 0) {
        c->lesson = v;

    } else if (strcmp(key, "out-dir") == 0) {
        if (!*v) return usage(err, errlen, "--out-dir: empty path");
        c->out_dir = v;
    } else if (strcmp(key, "step") == 0) {
        char *end;
        errno = 0;
        long st = strtol(v, &end, 10);
        if (end == v || *end || errno || st < 1 || st > 100000) return usage(err, errlen, "--step: '%s' is not a step number from 1", v);
        c->lesson_step = (int)st;
    } else {
        return usage(err, errlen, "unknown option '--%s' (see attnlab export --help)", key);
    }
    return CLI_OK;
}

int cli_parse(CliCommand *c, int argc, char **argv, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    scene_spec_init(&c->spec);
    c->fig = fig_options_default();
    c->scale = 1.0f;
    c->kind = CLI_HELP;
    if (argc < 2) return CLI_OK;
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) return CLI_OK;
    if (strcmp(cmd, "--version") == 0) { c->kind = CLI_VERSION; return CLI_OK; }
    if (strcmp(cmd, "check") == 0) {
        c->kind = CLI_CHECK;
        c->n_files = argc - 2;
        c->files = argv + 2;
        if (c->n_files == 0) return usage(err, errlen, "check: name the lesson files to check, as in attnlab check lessons/*.md");
        return CLI_OK;
    }
    if (strcmp(cmd, "export") != 0)
        return usage(err, errlen, "unknown command '%s' (allowed: export, check, --replay, --help, --version)", cmd);
    c->kind = CLI_EXPORT;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { c->kind = CLI_EXPORT_HELP; return CLI_OK; }
        if (strncmp(a, "--", 2) != 0 || !a[2])
            return usage(err, errlen, "unexpected argument '%s' (options start with --; see attnlab export --help)", a);
        char key[64];
        const char *eq = strchr(a + 2, '=');
        size_t kl = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        if (kl >= sizeof key) return usage(err, errlen, "unknown option '%.40s...'", a);
        memcpy(key, a + 2, kl);
        key[kl] = 0;
        const char *v = eq ? eq + 1 : NULL;
        if (!is_scene_key(key) && !is_cli_key(key))
            return usage(err, errlen, "unknown option '--%s' (see attnlab export --help)", key);
        if (strcmp(key, "quiet") == 0 && !v) { c->quiet = 1; continue; }
        if (strcmp(key, "all-steps") == 0 && !v) { c->all_steps = 1; continue; }
        if (strcmp(key, "reveal") == 0 && !v) { c->reveal = 1; continue; }
        if (strcmp(key, "numbers") == 0 && !v) {
            /* "--numbers" alone turns them on; a following on|off|auto is its value */
            const char *nx = i + 1 < argc ? argv[i + 1] : "";
            if (strcmp(nx, "on") == 0 || strcmp(nx, "off") == 0 || strcmp(nx, "auto") == 0) v = argv[++i];
            else v = "on";
        }
        if (!v) {
            if (i + 1 >= argc) return usage(err, errlen, "--%s needs a value (see attnlab export --help)", key);
            v = argv[++i];
        }
        int r = set_option(c, key, v, err, errlen);
        if (r) return r;
    }
    return CLI_OK;
}

void cli_free(CliCommand *c) { scene_spec_free(&c->spec); }

/* The matrix a CSV holds when --matrix is not given. */
static int default_matrix(FigView v, OutMatrix *m)
{
    switch (v) {
    case FIG_SCORES: *m = OUT_M_SCORES; return 0;
    case FIG_SCALED: *m = OUT_M_SCALED; return 0;
    case FIG_MASK: *m = OUT_M_MASK; return 0;
    case FIG_WEIGHTS: *m = OUT_M_WEIGHTS; return 0;
    case FIG_OUTPUT: *m = OUT_M_OUTPUT; return 0;
    case FIG_PE: *m = OUT_M_PE; return 0;
    default: return -1;
    }
}

static int write_text(const char *path, const OutBuf *b, FILE *errs)
{
    char err[512];
    if (!path || strcmp(path, "-") == 0) {
        if (fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
            fprintf(errs, "attnlab: cannot write to standard output\n");
            return CLI_FAILED;
        }
        return CLI_OK;
    }
    if (file_write_atomic(path, b->data, b->len, err, sizeof err)) {
        fprintf(errs, "attnlab: %s\n", err);
        return CLI_FAILED;
    }
    return CLI_OK;
}

/* `export --lesson`: one step to --out, or every step into --out-dir. */
static int export_lesson_cli(CliCommand *c, FILE *out, FILE *errs)
{
    char err[1024];
    if (!c->all_steps && !c->lesson_step) {
        fprintf(errs, "attnlab: --lesson needs --step N or --all-steps\n");
        return CLI_USAGE;
    }
    if (c->all_steps && !c->out_dir) {
        fprintf(errs, "attnlab: --all-steps writes into a folder: name it with --out-dir\n");
        return CLI_USAGE;
    }
    if (!c->all_steps && !c->out) {
        fprintf(errs, "attnlab: --step writes one picture: name it with --out\n");
        return CLI_USAGE;
    }
    if (c->format != CLI_PNG) {
        fprintf(errs, "attnlab: lesson steps export as PNG only\n");
        return CLI_USAGE;
    }
    RenFonts *fonts = ren_fonts_open(err, sizeof err);
    if (!fonts) {
        fprintf(errs, "attnlab: %s\n", err);
        return CLI_FAILED;
    }
    int written = 0;
    int rc = export_lesson(c->lesson, c->all_steps ? 0 : c->lesson_step, c->out, c->out_dir, c->scale,
                           c->fig.dark, c->reveal, fonts, &written, err, sizeof err);
    ren_fonts_close(fonts);
    if (rc) {
        fprintf(errs, "attnlab: %s\n", err);
        return rc == -2 ? CLI_USAGE : CLI_FAILED;
    }
    if (!c->quiet) {
        if (c->all_steps) fprintf(out, "wrote %d steps into %s\n", written, c->out_dir);
        else fprintf(out, "wrote %s\n", c->out);
    }
    return CLI_OK;
}

int cli_run(CliCommand *c, FILE *out, FILE *errs)
{
    char err[1024];
    switch (c->kind) {
    case CLI_HELP: cli_print_help(out); return CLI_OK;
    case CLI_EXPORT_HELP: cli_print_export_help(out); return CLI_OK;
    case CLI_VERSION: fprintf(out, "attnlab %s\n", ATTNLAB_VERSION); return CLI_OK;
    case CLI_CHECK: {
        int bad = 0;
        for (int i = 0; i < c->n_files; i++) {
            Lesson l;
            const char *base = strrchr(c->files[i], '/');
            if (strcmp(base ? base + 1 : c->files[i], "README.md") == 0) {
                if (!c->quiet) fprintf(out, "%s: the format's description, not a lesson: skipped\n", c->files[i]);
                continue;
            }
            if (player_load(&l, c->files[i], err, sizeof err)) {
                fprintf(errs, "%s\n", err);
                bad++;
                continue;
            }
            if (!c->quiet) fprintf(out, "%s: ok, %d steps\n", c->files[i], l.n_steps);
            lesson_free(&l);
        }
        return bad ? CLI_FAILED : CLI_OK;
    }
    case CLI_EXPORT: break;
    }
    if (c->lesson) return export_lesson_cli(c, out, errs);
    int lr = aud_scene_load(&c->spec, NULL, err, sizeof err);
    if (lr) {
        fprintf(errs, "attnlab: %s\n", err);
        return lr == -2 ? CLI_USAGE : CLI_FAILED;
    }
    if (c->format == CLI_WAV) {
        /* the sound itself, as 16-bit WAV: the synthesised examples saved for other tools */
        if (!c->spec.audio || !c->spec.wave) {
            fprintf(errs, "attnlab: --format wav writes the scene's sound: name one with --audio (e.g. example:speech)\n");
            return CLI_USAGE;
        }
        if (!c->out || strcmp(c->out, "-") == 0) {
            fprintf(errs, "attnlab: --format wav writes a file: name it with --out\n");
            return CLI_USAGE;
        }
        AudClip clip = {c->spec.wave, c->spec.wave_n, c->spec.wave_rate};
        if (aud_write_wav(&clip, c->out, err, sizeof err)) {
            fprintf(errs, "attnlab: %s\n", err);
            return CLI_FAILED;
        }
        if (!c->quiet) fprintf(out, "wrote %s (%.2f s at %d Hz)\n", c->out, (double)clip.n / clip.rate, clip.rate);
        return CLI_OK;
    }
    if (c->fig.head >= c->spec.scene.heads) {
        fprintf(errs, "attnlab: --head: %d is outside 1..%d (the number of heads)\n", c->fig.head + 1, c->spec.scene.heads);
        return CLI_USAGE;
    }
    if (c->format == CLI_CSV && !c->matrix_set && default_matrix(c->fig.view, &c->matrix)) {
        fprintf(errs, "attnlab: --format csv writes one matrix: name it with --matrix (%s)\n", MATRIX_NAMES);
        return CLI_USAGE;
    }
    AttnTrace t;
    memset(&t, 0, sizeof t);
    if (attn_forward(&t, &c->spec.scene, err, sizeof err)) {
        fprintf(errs, "attnlab: %s\n", err);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    BlockTrace block;
    memset(&block, 0, sizeof block);
    if (c->spec.layers > 0) {
        BlockScene bs = block_scene_default();
        bs.attn = c->spec.scene;
        bs.layers = c->spec.layers;
        bs.d_ff = c->spec.d_ff;
        if (block_forward(&block, &bs, err, sizeof err)) {
            fprintf(errs, "attnlab: Transformer blocks: %s\n", err);
            attn_trace_free(&t);
            return CLI_USAGE;
        }
        c->fig.block = &block;
    }
    AttnTrace full;
    memset(&full, 0, sizeof full);
    if ((c->fig.view == FIG_COMPARE || c->fig.view == FIG_SPEECH) && t.mask != ATTN_MASK_NONE && t.n <= FIG_COMPARE_MAX_N) {
        if (attn_forward_unmasked(&full, &c->spec.scene, err, sizeof err) == 0) c->fig.unmasked = &full;
    }
    CrossScene cs = cross_scene_default();
    CrossTrace cross;
    memset(&cross, 0, sizeof cross);
    if (c->fig.view == FIG_CROSS) {
        int lr2 = scene_cross_load(&c->spec, NULL, &cs, err, sizeof err);
        if (lr2 || cross_forward(&cross, &cs, err, sizeof err)) {
            fprintf(errs, "attnlab: encoder-decoder attention: %s\n", err);
            attn_trace_free(&t);
            attn_trace_free(&full);
            block_trace_free(&block);
            return lr2 ? CLI_FAILED : CLI_USAGE; /* a pair file that cannot be read, or a bad scene */
        }
        c->fig.cross = &cross;
        c->fig.cross_src = cs.src_words;
        c->fig.cross_tgt = cs.tgt_words;
    }
    if (c->format == CLI_JSON || c->format == CLI_CSV) {
        OutBuf b = {0};
        int r = c->format == CLI_JSON && c->fig.view == FIG_CROSS
                    ? out_json_cross(&b, &cross, cs.src_words, cs.tgt_words, err, sizeof err)
                : c->format == CLI_JSON ? out_json_trace_blocks(&b, &t, c->spec.layers > 0 ? &block : NULL, err, sizeof err)
                                        : out_csv_matrix(&b, &t, c->matrix, c->fig.head, err, sizeof err);
        if (r) {
            fprintf(errs, "attnlab: %s\n", err);
            rc = CLI_USAGE;
        } else if (b.failed) {
            fprintf(errs, "attnlab: out of memory\n");
            rc = CLI_FAILED;
        } else {
            rc = write_text(c->out, &b, errs);
            if (rc == CLI_OK && c->out && strcmp(c->out, "-") != 0 && !c->quiet)
                fprintf(out, "wrote %s (%zu bytes)\n", c->out, b.len);
        }
        out_buf_free(&b);
    } else {
        RenFonts *fonts = ren_fonts_open(err, sizeof err);
        if (!fonts) {
            fprintf(errs, "attnlab: %s\n", err);
            attn_trace_free(&t);
            return CLI_FAILED;
        }
        char def[64];
        snprintf(def, sizeof def, "attnlab-%s.png", fig_view_name(c->fig.view));
        const char *path = c->out ? c->out : def;
        int w, h;
        if (export_png(path, &t, &c->fig, c->scale, fonts, &w, &h, err, sizeof err)) {
            fprintf(errs, "attnlab: %s\n", err);
            rc = CLI_FAILED;
        } else if (strcmp(path, "-") != 0 && !c->quiet) {
            fprintf(out, "wrote %s (%d x %d px)\n", path, w, h);
            if (c->spec.image) fprintf(out, "picture: %s\n", c->spec.picture_note);
            if (c->spec.audio) fprintf(out, "sound: %s\n", c->spec.picture_note);
        }
        ren_fonts_close(fonts);
    }
    attn_trace_free(&t);
    block_trace_free(&block);
    cross_trace_free(&cross);
    attn_trace_free(&full);
    c->fig.block = NULL;
    c->fig.cross = NULL;
    c->fig.unmasked = NULL;
    return rc;
}
