/* test_cli.c: tests for the command line: cli_parse in process, and the attnlab binary ($ATTNLAB_BIN) for exit statuses, messages, help and files. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "harness.h"
#include "../src/app/cli.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

static char *tmp_path(const char *name)
{
    static char buf[8][512];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return p;
}

/* ------------------------------------------------ running the binary */

/* Runs attnlab with args and extra "NAME=VALUE" environment entries (NULL-ended, or NULL),
 * with no sandbox folders: the last run is harness_last. */
#define ATTNLAB_ENV(env, ...)                                                    \
    do {                                                                         \
        const char *const a_[] = {__VA_ARGS__, NULL};                            \
        const HarnessOptions o_ = {NULL, 0, (env)};                              \
        if (!harness_run(__FILE__, __LINE__, NULL, &o_, a_)) return;             \
    } while (0)
#define ATTNLAB(...) ATTNLAB_ENV(NULL, __VA_ARGS__)

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* --------------------------------------------------------- cli_parse, in process */

static int parse(CliCommand *c, char *err, size_t errlen, int argc, char **argv)
{
    err[0] = 0;
    return cli_parse(c, argc, argv, err, errlen);
}
#define PARSE(c, err, ...)                                                       \
    parse((c), (err), sizeof(err), (int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)), (char *[]){__VA_ARGS__})

static void test_parse_export_options_set_their_fields(void)
{
    CliCommand c;
    char err[256];
    char *argv[] = {"attnlab", "export", "--heads", "3", "--view", "heads", "--out", "x.png"};
    EXPECT_INT(cli_parse(&c, 8, argv, err, sizeof err), CLI_OK);
    EXPECT_INT(c.kind, CLI_EXPORT);
    EXPECT_INT(c.spec.scene.heads, 3);
    EXPECT_INT(c.fig.view, FIG_HEADS);
    EXPECT_STR(c.out, "x.png");
    /* everything else keeps its default */
    EXPECT_INT(c.format, CLI_PNG);
    EXPECT_INT(c.matrix_set, 0);
    EXPECT_INT(c.quiet, 0);
    EXPECT(c.scale == 1.0f);
    EXPECT_INT(c.fig.head, 0);
    EXPECT_INT(c.fig.dark, 0);
    EXPECT_INT(c.spec.scene.d_model, 8);
    cli_free(&c);

    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--theme", "dark", "--orient", "kq", "--cmap",
                     "cividis", "--scale", "2.5", "--cell", "30", "--format", "csv", "--matrix",
                     "Wq", "--head", "2", "--quiet", "--d-model", "16", "--mask", "causal"),
               CLI_OK);
    EXPECT_INT(c.fig.dark, 1);
    EXPECT_INT(c.fig.transposed, 1);
    EXPECT_INT(c.fig.cmap, CMAP_CIVIDIS);
    EXPECT(c.scale == 2.5f);
    EXPECT(c.fig.cell == 30.0f);
    EXPECT_INT(c.format, CLI_CSV);
    EXPECT_INT(c.matrix, OUT_M_WQ);
    EXPECT_INT(c.matrix_set, 1);
    EXPECT_INT(c.fig.head, 1);
    EXPECT_INT(c.quiet, 1);
    EXPECT_INT(c.spec.scene.d_model, 16);
    EXPECT_INT(c.spec.scene.mask, ATTN_MASK_CAUSAL);
    cli_free(&c);
}

static void test_parse_key_equals_value_form(void)
{
    CliCommand c;
    char err[256];
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--heads=5", "--score=additive",
                     "--mask=window:2", "--out=a=b.json", "--format=json", "--text=x y"),
               CLI_OK);
    EXPECT_INT(c.spec.scene.heads, 5);
    EXPECT_INT(c.spec.scene.score, ATTN_SCORE_ADDITIVE);
    EXPECT_INT(c.spec.scene.mask, ATTN_MASK_WINDOW);
    EXPECT_INT(c.spec.scene.mask_param, 2);
    EXPECT_STR(c.out, "a=b.json"); /* only the first '=' splits */
    EXPECT_INT(c.format, CLI_JSON);
    EXPECT_STR(c.spec.text, "x y");
    cli_free(&c);
    /* the value after '=' is the whole value: the next word is not consumed */
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--heads=", "3"), CLI_USAGE);
    EXPECT_HAS(err, "--heads");
    cli_free(&c);
}

static void test_parse_numbers_alone_means_on_and_takes_an_optional_value(void)
{
    CliCommand c;
    char err[256];
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--numbers"), CLI_OK);
    EXPECT_INT(c.fig.numbers, FIG_NUMBERS_ON);
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--numbers", "off"), CLI_OK);
    EXPECT_INT(c.fig.numbers, FIG_NUMBERS_OFF);
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--numbers", "--quiet"), CLI_OK);
    EXPECT_INT(c.fig.numbers, FIG_NUMBERS_ON);
    EXPECT_INT(c.quiet, 1);
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--numbers=off", "--numbers", "auto"), CLI_OK);
    EXPECT_INT(c.fig.numbers, FIG_NUMBERS_AUTO);
    cli_free(&c);
    /* a following word that is not on|off|auto stays an argument of its own */
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--numbers", "yes"), CLI_USAGE);
    EXPECT_HAS(err, "'yes'");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--numbers=maybe"), CLI_USAGE);
    EXPECT_HAS(err, "--numbers");
    EXPECT_HAS(err, "on|off|auto");
    cli_free(&c);
}

static void test_parse_unknown_option_is_a_usage_error_naming_it(void)
{
    CliCommand c;
    char err[256];
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--colour", "red"), CLI_USAGE);
    EXPECT_HAS(err, "'--colour'");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--colour=red"), CLI_USAGE);
    EXPECT_HAS(err, "'--colour'");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "fig.png"), CLI_USAGE);
    EXPECT_HAS(err, "'fig.png'");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "-q"), CLI_USAGE);
    EXPECT_HAS(err, "'-q'");
    cli_free(&c);
}

static void test_parse_bad_view_lists_every_view(void)
{
    CliCommand c;
    char err[256];
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--view", "attention"), CLI_USAGE);
    EXPECT_HAS(err, "--view");
    EXPECT_HAS(err, "'attention'");
    EXPECT_HAS(err, "inputs|qkv|scores|scaled|mask|weights|out|output|heads|pe|params");
    EXPECT_HAS(err, fig_view_names());
    cli_free(&c);
}

static void test_parse_missing_value_at_the_end_says_so(void)
{
    CliCommand c;
    char err[256];
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--heads"), CLI_USAGE);
    EXPECT_HAS(err, "--heads needs a value");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--view", "qkv", "--out"), CLI_USAGE);
    EXPECT_HAS(err, "--out needs a value");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--out="), CLI_USAGE);
    EXPECT_HAS(err, "--out");
    cli_free(&c);
}

static void test_parse_values_outside_limits_name_the_limit(void)
{
    CliCommand c;
    char err[256];
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--scale", "9"), CLI_USAGE);
    EXPECT_HAS(err, "--scale");
    EXPECT_HAS(err, "0.25..8");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--scale", "0.2"), CLI_USAGE);
    EXPECT_HAS(err, "0.25..8");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--scale", "nan"), CLI_USAGE);
    EXPECT_HAS(err, "not a number");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--scale", "8", "--cell", "200"), CLI_OK);
    EXPECT(c.scale == 8.0f);
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--cell", "1"), CLI_USAGE);
    EXPECT_HAS(err, "2..200");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--head", "0"), CLI_USAGE);
    EXPECT_HAS(err, "--head");
    EXPECT_HAS(err, "1..64");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--heads", "65"), CLI_USAGE);
    EXPECT_HAS(err, "--heads: 65 is outside the limit 1..64");
    cli_free(&c);
}

static void test_parse_bad_choices_list_what_is_allowed(void)
{
    CliCommand c;
    char err[256], want[128];
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--score", "x"), CLI_USAGE);
    EXPECT_STR(err, "--score: unknown value 'x' (allowed: dot|scaled|additive)");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--format", "xml"), CLI_USAGE);
    EXPECT_HAS(err, "png|json|csv");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--matrix", "attn"), CLI_USAGE);
    EXPECT_HAS(err, "'attn'");
    EXPECT_HAS(err, "a|pe|x|q|k|v|scores|scaled|mask|weights|out|concat|output|Wq|Wk|Wv|Wo");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--theme", "blue"), CLI_USAGE);
    EXPECT_HAS(err, "light|dark");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--orient", "xy"), CLI_USAGE);
    EXPECT_HAS(err, "qk|kq");
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--cmap", "jet"), CLI_USAGE);
    snprintf(want, sizeof want, "auto|%s", cmap_names());
    EXPECT_HAS(err, want);
    cli_free(&c);
}

static void test_parse_unknown_command_is_a_usage_error(void)
{
    CliCommand c;
    char err[256];
    EXPECT_INT(PARSE(&c, err, "attnlab", "frobnicate", "--heads", "2"), CLI_USAGE);
    EXPECT_HAS(err, "unknown command 'frobnicate'");
    EXPECT_HAS(err, "export");
    cli_free(&c);
}

static void test_parse_help_and_version_commands(void)
{
    CliCommand c;
    char err[256];
    EXPECT_INT(PARSE(&c, err, "attnlab"), CLI_OK);
    EXPECT_INT(c.kind, CLI_HELP);
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "--help"), CLI_OK);
    EXPECT_INT(c.kind, CLI_HELP);
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "--version"), CLI_OK);
    EXPECT_INT(c.kind, CLI_VERSION);
    cli_free(&c);
    EXPECT_INT(PARSE(&c, err, "attnlab", "export", "--heads", "3", "--help", "--bogus"), CLI_OK);
    EXPECT_INT(c.kind, CLI_EXPORT_HELP);
    cli_free(&c);
}

/* --------------------------------------------------------- the binary */

static void test_bin_help_exits_0_and_points_to_export_help(void)
{
    ATTNLAB("--help");
    EXPECT_EXIT(0);
    EXPECT_INT(harness_last.err_len, 0);
    EXPECT_HAS(harness_last.out, "attnlab export [OPTIONS]");
    EXPECT_HAS(harness_last.out, "attnlab export --help");
    EXPECT_HAS(harness_last.out, "exit status: 0 done, 1 could not read or write something, 2 bad option or value");
    char *help = harness_last.out;
    harness_last.out = NULL;
    ATTNLAB("help");
    EXPECT_EXIT(0);
    int same = strcmp(harness_last.out, help) == 0;
    free(help);
    EXPECT_MSG(same, "'attnlab help' differs from 'attnlab --help'");
    ATTNLAB("--version");
    EXPECT_EXIT(0);
    EXPECT_STR(harness_last.out, "attnlab " ATTNLAB_VERSION "\n");
}

/* The line of text that starts with prefix ("" if none). */
static const char *line_of(const char *text, const char *prefix, char *buf, size_t len)
{
    size_t pl = strlen(prefix);
    buf[0] = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, prefix, pl) == 0) {
            size_t n = strcspn(p, "\n");
            if (n >= len) n = len - 1;
            memcpy(buf, p, n);
            buf[n] = 0;
            break;
        }
    }
    return buf;
}

static void test_bin_export_help_lists_every_option_and_its_default(void)
{
    static const char *const options[] = {
        "--text", "--vectors", "--d-model", "--heads", "--d-head", "--d-att", "--score",
        "--mask", "--posenc", "--norm", "--temperature", "--seed", "--weights", "--view",
        "--head", "--orient", "--cmap", "--theme", "--scale", "--numbers", "--cell",
        "--format", "--matrix", "--out", "--quiet"};
    char line[512], want[128];
    ATTNLAB("export", "--help");
    EXPECT_EXIT(0);
    EXPECT_INT(harness_last.err_len, 0);
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        char head[64];
        snprintf(head, sizeof head, "  %s ", options[i]);
        EXPECT_MSG(line_of(harness_last.out, head, line, sizeof line)[0], "export --help has no line for %s", options[i]);
    }
    /* every scene key the parser knows is documented */
    for (int i = 0; scene_keys[i]; i++) {
        char head[64];
        snprintf(head, sizeof head, "  --%s ", scene_keys[i]);
        EXPECT_MSG(line_of(harness_last.out, head, line, sizeof line)[0], "export --help has no line for --%s", scene_keys[i]);
    }
    /* the defaults it prints are the real ones */
    AttnScene d = attn_scene_default();
    SceneSpec sp;
    scene_spec_init(&sp);
    snprintf(want, sizeof want, "(default \"%s\")", sp.text);
    scene_spec_free(&sp);
    EXPECT_HAS(harness_last.out, want);
    snprintf(want, sizeof want, "(default %d)", d.d_model);
    EXPECT_HAS(line_of(harness_last.out, "  --d-model ", line, sizeof line), want);
    snprintf(want, sizeof want, "(default %d)", d.heads);
    EXPECT_HAS(line_of(harness_last.out, "  --heads ", line, sizeof line), want);
    snprintf(want, sizeof want, "(default %d)", d.d_head);
    EXPECT_HAS(line_of(harness_last.out, "  --d-head ", line, sizeof line), want);
    snprintf(want, sizeof want, "(default %s)", attn_score_name(d.score));
    EXPECT_HAS(line_of(harness_last.out, "  --score ", line, sizeof line), want);
    snprintf(want, sizeof want, "(default %s)", attn_posenc_name(d.posenc));
    EXPECT_HAS(line_of(harness_last.out, "  --posenc ", line, sizeof line), want);
    snprintf(want, sizeof want, "(default %s)", attn_norm_name(d.norm));
    EXPECT_HAS(line_of(harness_last.out, "  --norm ", line, sizeof line), want);
    snprintf(want, sizeof want, "(default %llu)", (unsigned long long)d.seed);
    EXPECT_HAS(line_of(harness_last.out, "  --seed ", line, sizeof line), want);
    snprintf(want, sizeof want, "(default %g)", (double)d.temperature);
    EXPECT_HAS(line_of(harness_last.out, "  --temperature ", line, sizeof line), want);
    EXPECT_HAS(line_of(harness_last.out, "  --theme ", line, sizeof line), "(default light)");
    EXPECT_HAS(line_of(harness_last.out, "  --scale ", line, sizeof line), "(default 1)");
    EXPECT_HAS(line_of(harness_last.out, "  --numbers ", line, sizeof line), "(default auto)");
    EXPECT_HAS(line_of(harness_last.out, "  --format ", line, sizeof line), "(default png)");
    EXPECT_HAS(harness_last.out, "(default qk)");
    snprintf(want, sizeof want, "(default %s)", fig_view_name(fig_options_default().view));
    EXPECT_HAS(harness_last.out, want);
    EXPECT_HAS(line_of(harness_last.out, "  --view ", line, sizeof line), fig_view_names());
    EXPECT_HAS(harness_last.out, "(default none)");
    EXPECT_HAS(harness_last.out, "(default random)");
    EXPECT_HAS(harness_last.out, "(default hash)");
    /* and the limits */
    EXPECT_HAS(line_of(harness_last.out, "  --heads ", line, sizeof line), "1..64");
    EXPECT_HAS(line_of(harness_last.out, "  --scale ", line, sizeof line), "0.25..8");
    EXPECT_HAS(harness_last.out, "4096 tokens");
}

static void test_bin_bad_value_exits_2_naming_it_and_writes_nothing(void)
{
    const char *out = tmp_path("bad-value.png");
    ATTNLAB("export", "--score", "x", "--out", out);
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "--score");
    EXPECT_HAS(harness_last.err, "'x'");
    EXPECT_HAS(harness_last.err, "dot|scaled|additive");
    EXPECT_INT(harness_last.out_len, 0);
    EXPECT(!harness_exists(out));
    ATTNLAB("export", "--bogus", "1", "--out", out);
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "unknown option '--bogus'");
    EXPECT(!harness_exists(out));
    ATTNLAB("export", "--out", out, "--bogus");
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "--bogus");
    EXPECT(!harness_exists(out));
    ATTNLAB("frobnicate");
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "'frobnicate'");
}

static void test_bin_head_beyond_the_heads_exits_2(void)
{
    const char *out = tmp_path("head3.png");
    ATTNLAB("export", "--heads", "2", "--head", "3", "--view", "qkv", "--out", out);
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "--head");
    EXPECT_HAS(harness_last.err, "1..2");
    EXPECT(!harness_exists(out));
    ATTNLAB("export", "--heads", "3", "--head", "3", "--view", "qkv", "--out", out, "--quiet");
    EXPECT_EXIT(0);
    EXPECT(harness_exists(out));
}

static void test_bin_png_into_a_missing_directory_exits_1_with_one_line(void)
{
    const char *dir = tmp_path("no-such-dir");
    const char *out = tmp_path("no-such-dir/fig.png");
    ATTNLAB("export", "--out", out);
    EXPECT_EXIT(1);
    EXPECT_INT(count_lines(harness_last.err), 1);
    EXPECT(harness_last.err_len > 0 && harness_last.err[harness_last.err_len - 1] == '\n');
    EXPECT_HAS(harness_last.err, out);
    EXPECT_HAS(harness_last.err, "No such file or directory");
    EXPECT_INT(harness_last.out_len, 0);
    EXPECT(!harness_exists(out));
    EXPECT(!harness_exists(dir));
}

static int dir_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void test_bin_png_into_an_unwritable_place_exits_1_leaving_nothing(void)
{
    if (geteuid() == 0) {
        /* root writes into read-only directories; a path under a regular file fails for
         * everyone (ENOTDIR) */
        const char *plain = tmp_path("plain-file");
        const char *out = tmp_path("plain-file/fig.png");
        WRITE(plain, "keep\n");
        ATTNLAB("export", "--out", out);
        EXPECT_EXIT(1);
        EXPECT_INT(count_lines(harness_last.err), 1);
        EXPECT_HAS(harness_last.err, out);
        EXPECT_HAS(harness_last.err, "Not a directory");
        size_t len;
        char *kept = harness_slurp(plain, &len);
        int same = kept && strcmp(kept, "keep\n") == 0;
        free(kept);
        EXPECT_MSG(same, "%s changed", plain);
    } else {
        const char *dir = tmp_path("read-only");
        const char *out = tmp_path("read-only/fig.png");
        EXPECT(mkdir(dir, 0555) == 0);
        ATTNLAB("export", "--out", out);
        int entries = dir_entries(dir);
        chmod(dir, 0755);
        EXPECT_EXIT(1);
        EXPECT_INT(count_lines(harness_last.err), 1);
        EXPECT_HAS(harness_last.err, out);
        EXPECT_HAS(harness_last.err, "Permission denied");
        EXPECT_INT(entries, 0);
    }
}

static void test_bin_json_to_stdout_is_valid_json_of_the_scene(void)
{
    ATTNLAB("export", "--format", "json", "--out", "-", "--heads", "3", "--text", "a b c");
    EXPECT_EXIT(0);
    EXPECT_INT(harness_last.err_len, 0);
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(harness_last.out, &end, 1); /* nothing may follow the JSON */
    EXPECT_MSG(j != NULL, "stdout is not JSON near byte %ld", end ? (long)(end - harness_last.out) : -1L);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
    const cJSON *toks = cJSON_GetObjectItemCaseSensitive(j, "tokens");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
    const cJSON *heads = cJSON_GetObjectItemCaseSensitive(j, "heads");
    const cJSON *nh = cJSON_GetObjectItemCaseSensitive(cfg, "heads");
    int ok = cJSON_IsString(fmt) && strcmp(fmt->valuestring, "attnlab-trace") == 0 &&
             cJSON_GetArraySize(toks) == 3 && cJSON_IsNumber(nh) && nh->valueint == 3 &&
             cJSON_GetArraySize(heads) == 3 &&
             strcmp(cJSON_GetArrayItem(toks, 2)->valuestring, "c") == 0;
    cJSON_Delete(j);
    EXPECT_MSG(ok, "the JSON does not describe the scene asked for");
}

static void test_bin_json_to_a_file_reports_its_size(void)
{
    const char *out = tmp_path("trace.json");
    char want[600];
    ATTNLAB("export", "--format", "json", "--out", out);
    EXPECT_EXIT(0);
    size_t len;
    char *text = harness_slurp(out, &len);
    EXPECT(text != NULL);
    cJSON *j = cJSON_Parse(text);
    free(text);
    int ok = j != NULL;
    cJSON_Delete(j);
    EXPECT_MSG(ok, "%s is not JSON", out);
    snprintf(want, sizeof want, "wrote %s (%zu bytes)\n", out, len);
    EXPECT_STR(harness_last.out, want);
}

static void test_bin_csv_weights_has_a_header_and_one_line_per_token(void)
{
    ATTNLAB("export", "--format", "csv", "--matrix", "weights", "--text", "one two three four five");
    EXPECT_EXIT(0);
    EXPECT_INT(count_lines(harness_last.out), 6);
    EXPECT(harness_last.out[harness_last.out_len - 1] == '\n');
    const char *header = "query\\key,one,two,three,four,five\n";
    EXPECT_MSG(strncmp(harness_last.out, header, strlen(header)) == 0, "CSV starts: %.60s", harness_last.out);
    static const char *const toks[] = {"one", "two", "three", "four", "five"};
    const char *p = strchr(harness_last.out, '\n') + 1;
    for (int i = 0; i < 5; i++) {
        size_t tl = strlen(toks[i]);
        EXPECT_MSG(strncmp(p, toks[i], tl) == 0 && p[tl] == ',', "row %d does not start with %s", i + 1, toks[i]);
        p += tl;
        double sum = 0;
        for (int j = 0; j < 5; j++) {
            EXPECT_MSG(*p == ',', "row %d has fewer than 5 values", i + 1);
            char *e;
            sum += strtod(p + 1, &e);
            p = e;
        }
        EXPECT_MSG(*p == '\n', "row %d has more than 5 values", i + 1);
        p++;
        EXPECT_NEAR(sum, 1.0, 1e-6); /* softmax rows */
    }
}

static void test_bin_csv_of_a_view_without_one_matrix_asks_for_matrix(void)
{
    ATTNLAB("export", "--format", "csv", "--view", "qkv");
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "--matrix");
    EXPECT_INT(harness_last.out_len, 0);
    /* a view that holds one matrix needs no --matrix */
    ATTNLAB("export", "--format", "csv", "--view", "scores");
    EXPECT_EXIT(0);
    EXPECT_INT(count_lines(harness_last.out), 5);
    const char *header = "query\\key,I,saw,a,saw\n";
    EXPECT_MSG(strncmp(harness_last.out, header, strlen(header)) == 0, "CSV starts: %.60s", harness_last.out);
}

static void test_bin_bad_vectors_file_exits_1_naming_file_line_column(void)
{
    const char *vec = tmp_path("cli-vectors.txt");
    const char *out = tmp_path("cli-vectors.png");
    char want[600];
    WRITE(vec, "# two tokens\n1 2\n3 oops\n");
    ATTNLAB("export", "--text", "a b", "--d-model", "2", "--vectors", vec, "--out", out);
    EXPECT_EXIT(1);
    snprintf(want, sizeof want, "%s:3:3:", vec);
    EXPECT_HAS(harness_last.err, want);
    EXPECT_HAS(harness_last.err, "'oops'");
    EXPECT(!harness_exists(out));
    /* the same file without the bad number is used */
    WRITE(vec, "# two tokens\n1 2\n3 4\n");
    ATTNLAB("export", "--text", "a b", "--d-model", "2", "--vectors", vec, "--format", "csv",
            "--matrix", "a");
    EXPECT_EXIT(0);
    EXPECT_STR(harness_last.out, "token,d1,d2\na,1,2\nb,3,4\n");
}

static int is_png(const char *path, unsigned *w, unsigned *h)
{
    size_t len;
    unsigned char *b = (unsigned char *)harness_slurp(path, &len);
    int ok = b && len > 24 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(b + 12, "IHDR", 4) == 0;
    if (ok) {
        *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
        *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    }
    free(b);
    return ok;
}

static void test_bin_png_export_writes_every_view_in_both_themes(void)
{
    char names[256], path[2][512];
    snprintf(names, sizeof names, "%s", fig_view_names());
    int views = 0;
    for (char *v = strtok(names, "|"); v; v = strtok(NULL, "|")) {
        views++;
        unsigned w[2], h[2];
        for (int dark = 0; dark < 2; dark++) {
            const char *theme = dark ? "dark" : "light";
            snprintf(path[dark], sizeof path[dark], "%s/view-%s-%s.png", test_tmpdir(), v, theme);
            ATTNLAB("export", "--view", v, "--theme", theme, "--heads", "2", "--head", "2",
                    "--out", path[dark], "--quiet");
            EXPECT_MSG(harness_last.status == 0, "--view %s --theme %s: exit %d: %s", v, theme, harness_last.status, harness_last.err);
            EXPECT_MSG(harness_last.out_len == 0 && harness_last.err_len == 0, "--view %s --quiet printed: %s%s", v, harness_last.out, harness_last.err);
            EXPECT_MSG(is_png(path[dark], &w[dark], &h[dark]), "%s is not a PNG", path[dark]);
            EXPECT_MSG(w[dark] > 0 && h[dark] > 0, "%s is empty", path[dark]);
        }
        /* the themes differ in colour, not in layout */
        EXPECT_MSG(w[0] == w[1] && h[0] == h[1], "--view %s: light %ux%u, dark %ux%u", v, w[0], h[0], w[1], h[1]);
        size_t la, lb;
        char *a = harness_slurp(path[0], &la), *b = harness_slurp(path[1], &lb);
        int same = a && b && la == lb && memcmp(a, b, la) == 0;
        free(a);
        free(b);
        EXPECT_MSG(!same, "--view %s: the dark PNG equals the light one", v);
        unlink(path[0]);
        unlink(path[1]);
    }
    EXPECT_INT(views, FIG_COUNT);
}

static void test_bin_png_export_reports_path_and_pixel_size(void)
{
    const char *out = tmp_path("sized.png");
    char want[600];
    unsigned w, h, w2, h2;
    ATTNLAB("export", "--view", "weights", "--out", out);
    EXPECT_EXIT(0);
    EXPECT(is_png(out, &w, &h));
    snprintf(want, sizeof want, "wrote %s (%u x %u px)\n", out, w, h);
    EXPECT_STR(harness_last.out, want);
    /* --scale 2 doubles the pixels */
    ATTNLAB("export", "--view", "weights", "--scale", "2", "--out", out, "--quiet");
    EXPECT_EXIT(0);
    EXPECT(is_png(out, &w2, &h2));
    EXPECT_MSG(w2 >= 2 * w - 2 && w2 <= 2 * w + 2 && h2 >= 2 * h - 2 && h2 <= 2 * h + 2,
               "scale 1: %ux%u, scale 2: %ux%u", w, h, w2, h2);
}

static void test_bin_missing_font_exits_1_saying_no_usable_font(void)
{
    const char *out = tmp_path("nofont.png");
    const char *const env[] = {"ATTNLAB_FONT=/nonexistent", NULL};
    ATTNLAB_ENV(env, "export", "--out", out);
    EXPECT_EXIT(1);
    EXPECT_HAS(harness_last.err, "no usable font");
    EXPECT_HAS(harness_last.err, "/nonexistent");
    EXPECT_INT(count_lines(harness_last.err), 1);
    EXPECT(!harness_exists(out));
    /* JSON needs no font */
    ATTNLAB_ENV(env, "export", "--format", "json", "--out", "-");
    EXPECT_EXIT(0);
}

static void test_bin_invalid_utf8_text_exits_2_with_its_column(void)
{
    const char *out = tmp_path("utf8.png");
    ATTNLAB("export", "--text", "ok \xff no", "--out", out);
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "--text");
    EXPECT_HAS(harness_last.err, "column 4");
    EXPECT(!harness_exists(out));
}

static void test_bin_cross_view_writes_a_png_and_refuses_unknown_pairs(void)
{
    const char *out = tmp_path("cross.png");
    char want[600];
    unsigned w, h, w2, h2;
    ATTNLAB("export", "--view", "cross", "--cross", "french", "--out", out);
    EXPECT_EXIT(0);
    EXPECT(is_png(out, &w, &h));
    snprintf(want, sizeof want, "wrote %s (%u x %u px)\n", out, w, h);
    EXPECT_STR(harness_last.out, want);
    /* German has one word more each way: a larger figure */
    ATTNLAB("export", "--view", "cross", "--cross", "german", "--cross-score", "additive", "--out", out, "--quiet");
    EXPECT_EXIT(0);
    EXPECT(is_png(out, &w2, &h2));
    EXPECT_MSG(h2 > h, "french %ux%u, german %ux%u", w, h, w2, h2);
    const char *bad = tmp_path("cross-bad.png");
    ATTNLAB("export", "--view", "cross", "--cross", "klingon", "--out", bad);
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "klingon");
    EXPECT_HAS(harness_last.err, "french|german");
    EXPECT(!harness_exists(bad));
    ATTNLAB("export", "--view", "cross", "--cross", "french", "--cross-score", "cosine", "--out", bad);
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "dot|general|additive");
    EXPECT(!harness_exists(bad));
}

void suite_cli(void)
{
    RUN(test_bin_cross_view_writes_a_png_and_refuses_unknown_pairs);
    RUN(test_parse_export_options_set_their_fields);
    RUN(test_parse_key_equals_value_form);
    RUN(test_parse_numbers_alone_means_on_and_takes_an_optional_value);
    RUN(test_parse_unknown_option_is_a_usage_error_naming_it);
    RUN(test_parse_bad_view_lists_every_view);
    RUN(test_parse_missing_value_at_the_end_says_so);
    RUN(test_parse_values_outside_limits_name_the_limit);
    RUN(test_parse_bad_choices_list_what_is_allowed);
    RUN(test_parse_unknown_command_is_a_usage_error);
    RUN(test_parse_help_and_version_commands);
    RUN(test_bin_help_exits_0_and_points_to_export_help);
    RUN(test_bin_export_help_lists_every_option_and_its_default);
    RUN(test_bin_bad_value_exits_2_naming_it_and_writes_nothing);
    RUN(test_bin_head_beyond_the_heads_exits_2);
    RUN(test_bin_png_into_a_missing_directory_exits_1_with_one_line);
    RUN(test_bin_png_into_an_unwritable_place_exits_1_leaving_nothing);
    RUN(test_bin_json_to_stdout_is_valid_json_of_the_scene);
    RUN(test_bin_json_to_a_file_reports_its_size);
    RUN(test_bin_csv_weights_has_a_header_and_one_line_per_token);
    RUN(test_bin_csv_of_a_view_without_one_matrix_asks_for_matrix);
    RUN(test_bin_bad_vectors_file_exits_1_naming_file_line_column);
    RUN(test_bin_png_export_writes_every_view_in_both_themes);
    RUN(test_bin_png_export_reports_path_and_pixel_size);
    RUN(test_bin_missing_font_exits_1_saying_no_usable_font);
    RUN(test_bin_invalid_utf8_text_exits_2_with_its_column);
    harness_free();
}
