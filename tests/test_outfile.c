/* test_outfile.c: tests for outfile.c: the JSON trace (schema, exact read-back, escaping,
 * agreement with the numpy reference tests/ref_attention.py), CSV matrices, atomic writes. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../src/app/outfile.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

static const char *const WORDS[] = {"I", "saw", "a", "saw", "today", "again", "here", "now"};

/* Runs the scene into t; reports at the caller's line. Returns 1 on success. */
static int forward_at(AttnTrace *t, const AttnScene *s, int line)
{
    char err[256];
    memset(t, 0, sizeof *t);
    if (attn_forward(t, s, err, sizeof err) != 0) {
        test_fail(__FILE__, line, "attn_forward failed: %s", err);
        return 0;
    }
    return 1;
}
#define FORWARD(t, s) do { if (!forward_at((t), (s), __LINE__)) return; } while (0)

/* The trace as JSON text (owned by b); reports at the caller's line. */
static int json_at(OutBuf *b, const AttnTrace *t, int line)
{
    char err[256];
    memset(b, 0, sizeof *b);
    if (out_json_trace(b, t, err, sizeof err) != 0 || !b->data) {
        test_fail(__FILE__, line, "out_json_trace failed: %s", err);
        out_buf_free(b);
        return 0;
    }
    return 1;
}

static char *path_in(const char *sub, const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    if (sub) snprintf(p, sizeof buf[0], "%s/%s/%s", test_tmpdir(), sub, name);
    else snprintf(p, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return p;
}

static void make_dir(const char *sub)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", test_tmpdir(), sub);
    mkdir(p, 0755);
}

/* Entries of dir whose names contain ".tmp-" (leftover temporaries), or -1 if unreadable. */
static int count_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int c = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-")) c++;
    closedir(d);
    return c;
}

static int starts(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int on_disk(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* The whole file into a NUL-terminated malloc'd buffer, or NULL. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *p = malloc(cap);
    size_t r;
    while (p && (r = fread(p + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            char *q = realloc(p, cap * 2);
            if (!q) { free(p); p = NULL; break; }
            p = q;
            cap *= 2;
        }
    }
    fclose(f);
    if (p) p[n] = '\0';
    if (len) *len = n;
    return p;
}

/* Writes text to path and runs the numpy reference on it; returns its exit status (or -1)
 * and leaves its output in path.log. */
static int run_reference(const char *path, const char *text, size_t len)
{
    char err[512], cmd[1400];
    if (file_write_atomic(path, text, len, err, sizeof err) != 0) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -I tests/ref_attention.py '%s' > '%s.log' 2>&1",
             path, path);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

static void show_log(const char *path)
{
    char log[600];
    snprintf(log, sizeof log, "%s.log", path);
    char *text = read_all(log, NULL);
    if (text) fprintf(stderr, "%s", text);
    free(text);
}

/* -1 when every number of the JSON array of rows equals m (as float, exactly), else the
 * flat index of the first difference (or rows*cols when the shape is wrong). */
static long matrix_differs(const cJSON *arr, const float *m, int rows, int cols)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != rows) return (long)rows * cols;
    int r = 0;
    for (const cJSON *row = arr->child; row; row = row->next, r++) {
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != cols) return (long)rows * cols;
        int c = 0;
        for (const cJSON *v = row->child; v; v = v->next, c++)
            if (!cJSON_IsNumber(v) || (float)v->valuedouble != m[(size_t)r * cols + c])
                return (long)r * cols + c;
    }
    return -1;
}

static long vector_differs(const cJSON *arr, const float *v, int n)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != n) return n;
    int i = 0;
    for (const cJSON *x = arr->child; x; x = x->next, i++)
        if (!cJSON_IsNumber(x) || (float)x->valuedouble != v[i]) return i;
    return -1;
}

static int shape_is(const cJSON *arr, int rows, int cols)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != rows) return 0;
    for (const cJSON *row = arr->child; row; row = row->next)
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != cols) return 0;
    return 1;
}

/* The keys of an object, comma-separated, into out. */
static const char *keys_of(const cJSON *obj, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (const cJSON *c = obj ? obj->child : NULL; c && o < len; c = c->next)
        o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "," : "", c->string ? c->string : "?");
    return out;
}

/* ---------------------------------------------------------------- buffer */

static void outbuf_grows_and_formats_past_its_capacity(void)
{
    OutBuf b = {0};
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    out_printf(&b, "<%d>", 42);
    out_printf(&b, "%s|%s", big, "end");
    for (int i = 0; i < 1000; i++) out_append(&b, "ab", 2);
    EXPECT(!b.failed);
    EXPECT_INT(b.len, 4 + 2999 + 4 + 2000);
    EXPECT(memcmp(b.data, "<42>xxx", 7) == 0);
    EXPECT(memcmp(b.data + 4 + 2999, "|end", 4) == 0);
    EXPECT(b.data[b.len] == '\0');
    out_buf_free(&b);
    EXPECT(b.data == NULL && b.len == 0);
}

/* ---------------------------------------------------------------- JSON */

static void json_has_every_schema_key_with_shapes(void)
{
    static const char *const top[] = {"format", "version", "tokens", "config", "a", "pe", "x",
                                      "mask", "heads", "concat", "Wo", "output", "empty_rows"};
    char keys[1024];
    for (int additive = 0; additive <= 1; additive++) {
        AttnScene s = attn_scene_default();
        s.n = 5;
        s.tokens = WORDS;
        s.d_model = 6;
        s.heads = 3;
        s.d_head = 2;
        if (additive) { s.score = ATTN_SCORE_ADDITIVE; s.d_att = 7; }
        s.mask = ATTN_MASK_WINDOW;
        s.mask_param = 2;
        AttnTrace t;
        FORWARD(&t, &s);
        OutBuf b;
        if (!json_at(&b, &t, __LINE__)) { attn_trace_free(&t); return; }
        cJSON *root = cJSON_Parse(b.data);
        out_buf_free(&b);
        int n = 5, dm = 6, H = 3, dh = 2, da = additive ? 7 : 2;
        int ok = root != NULL;
        const cJSON *c = root ? root->child : NULL;
        for (size_t i = 0; ok && i < sizeof top / sizeof *top; i++, c = c->next)
            ok = c && c->string && strcmp(c->string, top[i]) == 0;
        ok = ok && c == NULL;
        EXPECT_MSG(ok, "top-level keys are %s", keys_of(root, keys, sizeof keys));
        const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
        EXPECT_STR(keys_of(cfg, keys, sizeof keys),
                   "n,d_model,heads,d_head,d_att,score,mask,posenc,norm,temperature,seed,"
                   "weights,inputs,scale,grid_w");
        EXPECT_STR(cJSON_GetObjectItem(root, "format")->valuestring, "attnlab-trace");
        EXPECT_INT(cJSON_GetObjectItem(root, "version")->valueint, 1);
        EXPECT_INT(cJSON_GetObjectItem(cfg, "d_att")->valueint, da);
        EXPECT_STR(cJSON_GetObjectItem(cfg, "score")->valuestring, additive ? "additive" : "scaled");
        EXPECT_STR(cJSON_GetObjectItem(cfg, "mask")->valuestring, "window:2");
        EXPECT_STR(cJSON_GetObjectItem(cfg, "posenc")->valuestring, "sinusoidal");
        EXPECT_STR(cJSON_GetObjectItem(cfg, "norm")->valuestring, "softmax");
        EXPECT_STR(cJSON_GetObjectItem(cfg, "weights")->valuestring, "random");
        EXPECT_STR(cJSON_GetObjectItem(cfg, "inputs")->valuestring, "hashed");
        EXPECT(cJSON_IsNumber(cJSON_GetObjectItem(cfg, "seed")));
        EXPECT_INT(cJSON_GetArraySize(cJSON_GetObjectItem(root, "tokens")), n);
        EXPECT(shape_is(cJSON_GetObjectItem(root, "a"), n, dm));
        EXPECT(shape_is(cJSON_GetObjectItem(root, "pe"), n, dm));
        EXPECT(shape_is(cJSON_GetObjectItem(root, "x"), n, dm));
        EXPECT(shape_is(cJSON_GetObjectItem(root, "mask"), n, n));
        EXPECT(shape_is(cJSON_GetObjectItem(root, "concat"), n, H * dh));
        EXPECT(shape_is(cJSON_GetObjectItem(root, "Wo"), H * dh, dm));
        EXPECT(shape_is(cJSON_GetObjectItem(root, "output"), n, dm));
        EXPECT(cJSON_IsNumber(cJSON_GetObjectItem(root, "empty_rows")));
        const cJSON *heads = cJSON_GetObjectItem(root, "heads");
        EXPECT_INT(cJSON_GetArraySize(heads), H);
        for (const cJSON *h = heads->child; h; h = h->next) {
            EXPECT_STR(keys_of(h, keys, sizeof keys),
                       additive ? "Wq,Wk,Wv,Wa,va,q,k,v,scores,scaled,weights,out,entropy,"
                                  "max_weight,empty_rows"
                                : "Wq,Wk,Wv,q,k,v,scores,scaled,weights,out,entropy,"
                                  "max_weight,empty_rows");
            EXPECT(shape_is(cJSON_GetObjectItem(h, "Wq"), dm, dh));
            EXPECT(shape_is(cJSON_GetObjectItem(h, "Wk"), dm, dh));
            EXPECT(shape_is(cJSON_GetObjectItem(h, "Wv"), dm, dh));
            if (additive) {
                EXPECT(shape_is(cJSON_GetObjectItem(h, "Wa"), 2 * dh, da));
                EXPECT_INT(cJSON_GetArraySize(cJSON_GetObjectItem(h, "va")), da);
            }
            EXPECT(shape_is(cJSON_GetObjectItem(h, "q"), n, dh));
            EXPECT(shape_is(cJSON_GetObjectItem(h, "k"), n, dh));
            EXPECT(shape_is(cJSON_GetObjectItem(h, "v"), n, dh));
            EXPECT(shape_is(cJSON_GetObjectItem(h, "scores"), n, n));
            EXPECT(shape_is(cJSON_GetObjectItem(h, "scaled"), n, n));
            EXPECT(shape_is(cJSON_GetObjectItem(h, "weights"), n, n));
            EXPECT(shape_is(cJSON_GetObjectItem(h, "out"), n, dh));
            EXPECT_INT(cJSON_GetArraySize(cJSON_GetObjectItem(h, "entropy")), n);
            EXPECT_INT(cJSON_GetArraySize(cJSON_GetObjectItem(h, "max_weight")), n);
            EXPECT(cJSON_IsArray(cJSON_GetObjectItem(h, "empty_rows")));
        }
        cJSON_Delete(root);
        attn_trace_free(&t);
    }
}

static void json_reads_back_equal_to_trace(void)
{
    static const char *const toks[] = {"one", "two", "three", "four", "five", "six"};
    static const unsigned char custom[36] = {
        1, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  1, 1, 1, 0, 0, 0,
        0, 1, 0, 1, 0, 1,  1, 1, 1, 1, 1, 1,  0, 0, 0, 0, 0, 1};
    AttnScene s = attn_scene_default();
    s.n = 6;
    s.tokens = toks;
    s.heads = 2;
    s.score = ATTN_SCORE_ADDITIVE;
    s.d_att = 3;
    s.mask = ATTN_MASK_CUSTOM;
    s.mask_matrix = custom;
    s.posenc = ATTN_PE_LEARNED;
    s.temperature = 0.7f;
    s.seed = 123456789012345ULL;
    AttnTrace t;
    FORWARD(&t, &s);
    OutBuf b;
    if (!json_at(&b, &t, __LINE__)) { attn_trace_free(&t); return; }
    cJSON *root = cJSON_Parse(b.data);
    out_buf_free(&b);
    int ok = root != NULL;
    if (!ok) attn_trace_free(&t);
    EXPECT_MSG(ok, "the JSON does not parse");

    int n = t.n, dm = t.d_model, H = t.heads, dh = t.d_head, da = t.d_att;
    const char *what = NULL;
    long at = -1;
    const cJSON *cfg = cJSON_GetObjectItem(root, "config");
    const cJSON *tokens = cJSON_GetObjectItem(root, "tokens");
    for (int i = 0; i < n && !what; i++)
        if (strcmp(cJSON_GetArrayItem(tokens, i)->valuestring, t.tokens[i]) != 0) { what = "tokens"; at = i; }
    if (!what && (float)cJSON_GetObjectItem(cfg, "temperature")->valuedouble != t.temperature) what = "temperature";
    if (!what && (float)cJSON_GetObjectItem(cfg, "scale")->valuedouble != t.scale) what = "scale";
    if (!what && cJSON_GetObjectItem(cfg, "seed")->valuedouble != 123456789012345.0) what = "seed";
    if (!what && (at = matrix_differs(cJSON_GetObjectItem(root, "a"), t.a, n, dm)) >= 0) what = "a";
    if (!what && (at = matrix_differs(cJSON_GetObjectItem(root, "pe"), t.pe, n, dm)) >= 0) what = "pe";
    if (!what && (at = matrix_differs(cJSON_GetObjectItem(root, "x"), t.x, n, dm)) >= 0) what = "x";
    if (!what) {
        const cJSON *mask = cJSON_GetObjectItem(root, "mask");
        for (int i = 0; i < n && !what; i++)
            for (int j = 0; j < n && !what; j++)
                if (cJSON_GetArrayItem(cJSON_GetArrayItem(mask, i), j)->valueint != custom[i * n + j]) {
                    what = "mask";
                    at = i * n + j;
                }
    }
    const cJSON *heads = cJSON_GetObjectItem(root, "heads");
    for (int h = 0; h < H && !what; h++) {
        const cJSON *o = cJSON_GetArrayItem(heads, h);
        const AttnHead *hd = &t.head[h];
        static char name[64];
        struct { const char *key; const float *m; int rows, cols; } mats[] = {
            {"Wq", hd->wq, dm, dh}, {"Wk", hd->wk, dm, dh}, {"Wv", hd->wv, dm, dh},
            {"Wa", hd->wa, 2 * dh, da}, {"q", hd->q, n, dh}, {"k", hd->k, n, dh},
            {"v", hd->v, n, dh}, {"scores", hd->scores, n, n}, {"weights", hd->weights, n, n},
            {"out", hd->out, n, dh}};
        for (size_t m = 0; m < sizeof mats / sizeof *mats && !what; m++)
            if ((at = matrix_differs(cJSON_GetObjectItem(o, mats[m].key), mats[m].m, mats[m].rows, mats[m].cols)) >= 0) {
                snprintf(name, sizeof name, "heads[%d].%s", h, mats[m].key);
                what = name;
            }
        if (!what && (at = vector_differs(cJSON_GetObjectItem(o, "va"), hd->va, da)) >= 0) what = "va";
        if (!what && (at = vector_differs(cJSON_GetObjectItem(o, "entropy"), hd->entropy, n)) >= 0) what = "entropy";
        if (!what && (at = vector_differs(cJSON_GetObjectItem(o, "max_weight"), hd->max_weight, n)) >= 0) what = "max_weight";
        const cJSON *scaled = cJSON_GetObjectItem(o, "scaled");
        for (int i = 0; i < n && !what; i++)
            for (int j = 0; j < n && !what; j++)
                if ((float)cJSON_GetArrayItem(cJSON_GetArrayItem(scaled, i), j)->valuedouble != attn_scaled(&t, h, i, j)) {
                    what = "scaled";
                    at = i * n + j;
                }
        /* rows 1 (nothing allowed) is empty in every head */
        const cJSON *empty = cJSON_GetObjectItem(o, "empty_rows");
        int k = 0;
        for (int i = 0; i < n && !what; i++)
            if (hd->empty_row[i] && cJSON_GetArrayItem(empty, k++)->valueint != i) what = "empty_rows";
        if (!what && (k != cJSON_GetArraySize(empty) || !hd->empty_row[1])) what = "empty_rows";
    }
    if (!what && (at = matrix_differs(cJSON_GetObjectItem(root, "concat"), t.concat, n, H * dh)) >= 0) what = "concat";
    if (!what && (at = matrix_differs(cJSON_GetObjectItem(root, "Wo"), t.wo, H * dh, dm)) >= 0) what = "Wo";
    if (!what && (at = matrix_differs(cJSON_GetObjectItem(root, "output"), t.output, n, dm)) >= 0) what = "output";
    if (!what && cJSON_GetObjectItem(root, "empty_rows")->valueint != t.n_empty_rows) what = "empty_rows total";
    cJSON_Delete(root);
    attn_trace_free(&t);
    EXPECT_MSG(!what, "%s differs from the trace at flat index %ld", what, at);
}

static void json_escapes_tokens(void)
{
    static const char *const toks[] = {"say \"hi\"", "back\\slash", "tab\there\n",
                                       "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "\x01" "ctl",
                                       "bad\xFF" "byte"};
    AttnScene s = attn_scene_default();
    s.n = 6;
    s.tokens = toks;
    AttnTrace t;
    FORWARD(&t, &s);
    OutBuf b;
    if (!json_at(&b, &t, __LINE__)) { attn_trace_free(&t); return; }
    attn_trace_free(&t);
    const char *line = strstr(b.data, "\"tokens\": [");
    int ok = line != NULL;
    char shown[400] = "";
    if (ok) snprintf(shown, sizeof shown, "%.*s", (int)strcspn(line, "\n"), line);
    ok = ok && strstr(shown, "\"say \\\"hi\\\"\"") && strstr(shown, "\"back\\\\slash\"") &&
         strstr(shown, "\"tab\\u0009here\\u000A\"") &&
         strstr(shown, "\"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\"") && strstr(shown, "\"\\u0001ctl\"") &&
         strstr(shown, "\"bad\xEF\xBF\xBD" "byte\"");
    cJSON *root = ok ? cJSON_Parse(b.data) : NULL;
    out_buf_free(&b);
    EXPECT_MSG(ok, "tokens line is %s", shown);
    EXPECT_MSG(root != NULL, "the JSON does not parse");
    const cJSON *arr = cJSON_GetObjectItem(root, "tokens");
    for (int i = 0; i < 5; i++) {
        const char *got = cJSON_GetArrayItem(arr, i)->valuestring;
        if (strcmp(got, toks[i]) != 0) {
            cJSON_Delete(root);
            EXPECT_MSG(0, "token %d reads back as \"%s\"", i, got);
        }
    }
    cJSON_Delete(root);
}

static void json_refuses_too_many_cells(void)
{
    /* the limit is checked before any array is read, so a trace that only states its
     * sizes is enough to prove the refusal */
    AttnTrace t;
    AttnHead heads[2];
    memset(&t, 0, sizeof t);
    memset(heads, 0, sizeof heads);
    t.n = 2049;
    t.heads = 2;
    t.d_model = 8;
    t.d_head = 4;
    t.head = heads;
    OutBuf b = {0};
    char err[256] = "";
    EXPECT_INT(out_json_trace(&b, &t, err, sizeof err), -1);
    EXPECT_MSG(strstr(err, "8388608") != NULL, "message does not name the limit: %s", err);
    EXPECT_INT(b.len, 0);
    out_buf_free(&b);
}

/* One scene for the numpy comparison. */
typedef struct {
    const char *name;
    AttnScene s;
} RefScene;

static void json_matches_numpy_reference(void)
{
    static const int edges[] = {0, 1, 1, 2, 3, 4, 2, 4};
    static const unsigned char custom[25] = {1, 1, 0, 0, 0,  0, 0, 0, 0, 0,  1, 0, 1, 0, 1,
                                             0, 0, 1, 1, 0,  1, 1, 1, 1, 1};
    static float vectors[6 * 6];
    for (int i = 0; i < 36; i++) vectors[i] = (float)((i * 7) % 11) * 0.25f - 1.0f;
    RefScene sc[10];
    int count = 0;
    for (int i = 0; i < 10; i++) {
        sc[i].s = attn_scene_default();
        sc[i].s.tokens = WORDS;
        sc[i].s.n = 6;
    }
    sc[count].name = "scaled+causal+sinusoidal";
    sc[count].s.mask = ATTN_MASK_CAUSAL;
    count++;
    sc[count].name = "dot+window+learned";
    sc[count].s.score = ATTN_SCORE_DOT;
    sc[count].s.mask = ATTN_MASK_WINDOW;
    sc[count].s.mask_param = 1;
    sc[count].s.posenc = ATTN_PE_LEARNED;
    sc[count].s.seed = 7;
    count++;
    sc[count].name = "additive+padding";
    sc[count].s.score = ATTN_SCORE_ADDITIVE;
    sc[count].s.d_att = 5;
    sc[count].s.mask = ATTN_MASK_PADDING;
    sc[count].s.mask_param = 2;
    count++;
    sc[count].name = "relu+causal";
    sc[count].s.score = ATTN_SCORE_DOT;
    sc[count].s.norm = ATTN_NORM_RELU;
    sc[count].s.mask = ATTN_MASK_CAUSAL;
    sc[count].s.seed = 3;
    count++;
    sc[count].name = "graph mask";
    sc[count].s.n = 5;
    sc[count].s.mask = ATTN_MASK_GRAPH;
    sc[count].s.edges = edges;
    sc[count].s.n_edges = 4;
    count++;
    sc[count].name = "custom mask with an empty row";
    sc[count].s.n = 5;
    sc[count].s.mask = ATTN_MASK_CUSTOM;
    sc[count].s.mask_matrix = custom;
    count++;
    sc[count].name = "temperature 0.5";
    sc[count].s.temperature = 0.5f;
    count++;
    sc[count].name = "3 heads, d_model 12";
    sc[count].s.heads = 3;
    sc[count].s.d_model = 12;
    sc[count].s.d_head = 5;
    count++;
    sc[count].name = "explicit vectors, identity weights, no positions";
    sc[count].s.vectors = vectors;
    sc[count].s.d_model = 6;
    sc[count].s.heads = 3;
    sc[count].s.d_head = 2;
    sc[count].s.weights = ATTN_WEIGHTS_IDENTITY;
    sc[count].s.posenc = ATTN_PE_NONE;
    count++;
    sc[count].name = "relu+additive+window 0, temperature 3";
    sc[count].s.score = ATTN_SCORE_ADDITIVE;
    sc[count].s.norm = ATTN_NORM_RELU;
    sc[count].s.mask = ATTN_MASK_WINDOW;
    sc[count].s.temperature = 3.0f;
    count++;

    for (int i = 0; i < count; i++) {
        AttnTrace t;
        FORWARD(&t, &sc[i].s);
        OutBuf b;
        if (!json_at(&b, &t, __LINE__)) { attn_trace_free(&t); return; }
        char name[32];
        snprintf(name, sizeof name, "ref%d.json", i);
        const char *path = path_in(NULL, name);
        int rc = run_reference(path, b.data, b.len);
        out_buf_free(&b);
        attn_trace_free(&t);
        if (rc != 0) show_log(path);
        EXPECT_MSG(rc == 0, "scene \"%s\": the reference exited with %d", sc[i].name, rc);
    }
}

/* The negative controls: the reference must notice a wrong weight, a wrong value vector
 * and a missing key, so a pass above means something. */
static void reference_rejects_corrupted_traces(void)
{
    AttnScene s = attn_scene_default();
    s.n = 5;
    s.tokens = WORDS;
    s.mask = ATTN_MASK_CAUSAL;
    for (int kind = 0; kind < 3; kind++) {
        AttnTrace t;
        FORWARD(&t, &s);
        if (kind == 0) t.head[0].weights[2 * 5 + 1] += 0.01f; /* an allowed cell of row 3 */
        if (kind == 1) t.head[1].wv[3] += 0.5f;
        OutBuf b;
        if (!json_at(&b, &t, __LINE__)) { attn_trace_free(&t); return; }
        attn_trace_free(&t);
        if (kind == 2) {
            char *k = strstr(b.data, "\"max_weight\"");
            if (k) memcpy(k, "\"max_wEight\"", 12);
        }
        char name[32];
        snprintf(name, sizeof name, "corrupt%d.json", kind);
        const char *path = path_in(NULL, name);
        int rc = run_reference(path, b.data, b.len);
        out_buf_free(&b);
        EXPECT_MSG(rc == 1, "corruption %d: the reference exited with %d, expected 1", kind, rc);
    }
    /* and the uncorrupted trace passes, so the failures above came from the corruption */
    AttnTrace t;
    FORWARD(&t, &s);
    OutBuf b;
    if (!json_at(&b, &t, __LINE__)) { attn_trace_free(&t); return; }
    attn_trace_free(&t);
    const char *path = path_in(NULL, "uncorrupted.json");
    int rc = run_reference(path, b.data, b.len);
    out_buf_free(&b);
    if (rc != 0) show_log(path);
    EXPECT_INT(rc, 0);
}

/* A stack of Transformer blocks in the JSON: the reference recomputes every stage of every
 * layer from the exported parameters, and notices a wrong hidden unit, a wrong MLP weight
 * and a layer that does not read the one before it. */
static void json_blocks_match_numpy_reference(void)
{
    BlockScene bs = block_scene_default();
    bs.attn.tokens = WORDS;
    bs.attn.n = 6;
    bs.attn.mask = ATTN_MASK_CAUSAL;
    bs.layers = 3;
    bs.d_ff = 10;
    for (int kind = 0; kind < 4; kind++) {
        BlockTrace bt;
        char err[256];
        memset(&bt, 0, sizeof bt);
        if (block_forward(&bt, &bs, err, sizeof err) != 0) {
            EXPECT_MSG(0, "block_forward failed: %s", err);
            return;
        }
        if (kind == 1) bt.layer[1].hidden[2 * 10 + 3] += 0.01f;
        if (kind == 2) bt.layer[2].w1[5] += 0.25f;
        if (kind == 3) bt.layer[2].in[7] += 0.01f;
        OutBuf b;
        memset(&b, 0, sizeof b);
        int r = out_json_trace_blocks(&b, &bt.layer[0].attn, &bt, err, sizeof err);
        block_trace_free(&bt);
        if (r != 0 || !b.data) {
            EXPECT_MSG(0, "out_json_trace_blocks failed: %s", err);
            out_buf_free(&b);
            return;
        }
        cJSON *doc = cJSON_Parse(b.data);
        const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(doc, "blocks");
        const cJSON *layer = cJSON_GetObjectItemCaseSensitive(blocks, "layer");
        EXPECT_INT(cJSON_GetArraySize(layer), 3);
        EXPECT(shape_is(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(layer, 0), "hidden"), 6, 10));
        cJSON_Delete(doc);
        char name[32];
        snprintf(name, sizeof name, "blocks%d.json", kind);
        const char *path = path_in(NULL, name);
        int rc = run_reference(path, b.data, b.len);
        out_buf_free(&b);
        if (kind == 0 && rc != 0) show_log(path);
        EXPECT_MSG(rc == (kind == 0 ? 0 : 1), "blocks case %d: the reference exited with %d, expected %d",
                   kind, rc, kind == 0 ? 0 : 1);
    }
}

/* Encoder-decoder attention as JSON, recomputed by the numpy reference for every scoring;
 * a changed weight, context number or parameter is caught. */
static void json_cross_matches_numpy_reference(void)
{
    for (int kind = 0; kind < 6; kind++) {
        CrossScene s = cross_scene_default();
        EXPECT(cross_preset(&s, kind == 2 ? "german" : "french") == 0);
        s.score = kind == 1 || kind == 4 ? CROSS_SCORE_GENERAL : kind == 2 || kind == 5 ? CROSS_SCORE_ADDITIVE
                                                                              : CROSS_SCORE_DOT;
        CrossTrace t;
        char err[256];
        memset(&t, 0, sizeof t);
        EXPECT_MSG(cross_forward(&t, &s, err, sizeof err) == 0, "%s", err);
        if (kind == 3) t.weights[5] += 0.01f;
        if (kind == 4) t.w[2] += 0.25f;
        if (kind == 5) t.context[3] += 0.01f;
        OutBuf b;
        memset(&b, 0, sizeof b);
        int r = out_json_cross(&b, &t, s.src_words, s.tgt_words, err, sizeof err);
        cross_trace_free(&t);
        if (r != 0 || !b.data) {
            out_buf_free(&b);
            EXPECT_MSG(0, "out_json_cross: %s", err);
        }
        char name[32];
        snprintf(name, sizeof name, "cross%d.json", kind);
        const char *path = path_in(NULL, name);
        int rc = run_reference(path, b.data, b.len);
        out_buf_free(&b);
        int want = kind < 3 ? 0 : 1;
        if (rc != want) show_log(path);
        EXPECT_MSG(rc == want, "cross case %d: the reference exited with %d, expected %d", kind, rc, want);
    }
}

/* ---------------------------------------------------------------- CSV */

static void csv_weights_header_and_rows(void)
{
    static const char *const toks[] = {"the", "cat", "sat", "down"};
    AttnScene s = attn_scene_default();
    s.n = 4;
    s.tokens = toks;
    s.mask = ATTN_MASK_CAUSAL;
    AttnTrace t;
    FORWARD(&t, &s);
    OutBuf b = {0};
    char err[128];
    int rc = out_csv_matrix(&b, &t, OUT_M_WEIGHTS, 1, err, sizeof err);
    const char *p = b.data;
    const char *bad = rc != 0 ? "return" : NULL;
    const char *header = "query\\key,the,cat,sat,down\n";
    if (!bad && strncmp(p, header, strlen(header)) != 0) bad = "header";
    if (!bad) p += strlen(header);
    for (int i = 0; i < 4 && !bad; i++) {
        size_t tl = strlen(toks[i]);
        if (strncmp(p, toks[i], tl) != 0) { bad = "row label"; break; }
        p += tl;
        for (int j = 0; j < 4 && !bad; j++) {
            char *end;
            if (*p++ != ',') { bad = "separator"; break; }
            float v = strtof(p, &end);
            if (end == p || v != t.head[1].weights[i * 4 + j]) bad = "value";
            p = end;
        }
        if (!bad && *p++ != '\n') bad = "line end";
    }
    if (!bad && *p != '\0') bad = "trailing text";
    out_buf_free(&b);
    if (bad) attn_trace_free(&t);
    EXPECT_MSG(!bad, "weights CSV: bad %s", bad);

    /* the other two label kinds */
    memset(&b, 0, sizeof b);
    rc = out_csv_matrix(&b, &t, OUT_M_WQ, 0, err, sizeof err);
    int ok = rc == 0 && starts(b.data, "row,c1,c2,c3,c4\nr1,") && strstr(b.data, "\nr8,") &&
             !strstr(b.data, "\nr9,");
    out_buf_free(&b);
    EXPECT_MSG(ok, "Wq CSV labels");
    rc = out_csv_matrix(&b, &t, OUT_M_Q, 1, err, sizeof err);
    ok = rc == 0 && starts(b.data, "token,d1,d2,d3,d4\nthe,") && strstr(b.data, "\ndown,");
    out_buf_free(&b);
    EXPECT_MSG(ok, "q CSV labels");
    rc = out_csv_matrix(&b, &t, OUT_M_WO, 5, err, sizeof err); /* head ignored for Wo */
    ok = rc == 0 && starts(b.data, "row,c1,c2,c3,c4,c5,c6,c7,c8\nr1,") && strstr(b.data, "\nr8,");
    out_buf_free(&b);
    EXPECT_MSG(ok, "Wo CSV labels");

    /* bad heads, named 1-based */
    rc = out_csv_matrix(&b, &t, OUT_M_WEIGHTS, 2, err, sizeof err);
    EXPECT_INT(rc, -1);
    EXPECT_STR(err, "head 3 is outside 1..2");
    rc = out_csv_matrix(&b, &t, OUT_M_Q, -1, err, sizeof err);
    EXPECT_INT(rc, -1);
    EXPECT_STR(err, "head 0 is outside 1..2");
    out_buf_free(&b);
    attn_trace_free(&t);
}

static void csv_quotes_tokens(void)
{
    static const char *const toks[] = {"a,b", "say \"x\"", "line\nbreak", "plain", "cr\r"};
    AttnScene s = attn_scene_default();
    s.n = 5;
    s.tokens = toks;
    AttnTrace t;
    FORWARD(&t, &s);
    OutBuf b = {0};
    char err[128];
    int rc = out_csv_matrix(&b, &t, OUT_M_SCORES, 0, err, sizeof err);
    int ok = rc == 0 &&
             starts(b.data, "query\\key,\"a,b\",\"say \"\"x\"\"\",\"line\nbreak\",plain,\"cr\r\"\n") &&
             strstr(b.data, "\n\"a,b\",") && strstr(b.data, "\n\"say \"\"x\"\"\",") &&
             strstr(b.data, "\n\"line\nbreak\",") && strstr(b.data, "\nplain,") && strstr(b.data, "\n\"cr\r\",");
    if (!ok) fprintf(stderr, "%s", b.data ? b.data : "(nothing)");
    out_buf_free(&b);
    rc = out_csv_matrix(&b, &t, OUT_M_X, 0, err, sizeof err);
    ok = ok && rc == 0 && starts(b.data, "token,d1,") && strstr(b.data, "\n\"a,b\",");
    out_buf_free(&b);
    attn_trace_free(&t);
    EXPECT(ok);
}

static void csv_scaled_masked_cells_are_minus_inf(void)
{
    AttnScene s = attn_scene_default();
    s.n = 4;
    s.tokens = WORDS;
    s.mask = ATTN_MASK_CAUSAL;
    AttnTrace t;
    FORWARD(&t, &s);
    OutBuf b = {0}, m = {0};
    char err[128];
    int rc = out_csv_matrix(&b, &t, OUT_M_SCALED, 1, err, sizeof err);
    rc |= out_csv_matrix(&m, &t, OUT_M_MASK, 0, err, sizeof err);
    const char *bad = rc ? "return" : NULL;
    const char *p = b.data ? strchr(b.data, '\n') + 1 : NULL;
    const char *q = m.data ? strchr(m.data, '\n') + 1 : NULL;
    for (int i = 0; i < 4 && !bad; i++) {
        p = strchr(p, ',');
        q = strchr(q, ',');
        for (int j = 0; j < 4 && !bad; j++) {
            char *end;
            p++;
            q++;
            if (j > i) {
                if (strncmp(p, "-inf", 4) != 0) bad = "masked scaled cell";
                end = (char *)p + 4;
            } else {
                float v = strtof(p, &end);
                if (v != attn_scaled(&t, 1, i, j)) bad = "scaled value";
            }
            if (*q != (j > i ? '0' : '1')) bad = "mask cell";
            p = end;
            q++;
        }
        if (!bad && (*p++ != '\n' || *q++ != '\n')) bad = "line end";
    }
    out_buf_free(&b);
    out_buf_free(&m);
    attn_trace_free(&t);
    EXPECT_MSG(!bad, "bad %s", bad);
}

/* ---------------------------------------------------------------- atomic writes */

static void atomic_write_replaces_file(void)
{
    char err[512];
    make_dir("replace");
    const char *path = path_in("replace", "out.json");
    EXPECT_INT(file_write_atomic(path, "old contents that are longer", 28, err, sizeof err), 0);
    EXPECT_INT(file_write_atomic(path, "new", 3, err, sizeof err), 0);
    size_t len;
    char *text = read_all(path, &len);
    int same = text && len == 3 && memcmp(text, "new", 3) == 0;
    free(text);
    EXPECT(same);
    struct stat st;
    EXPECT(stat(path, &st) == 0);
    EXPECT_INT(st.st_mode & 0777, 0644);
    EXPECT_INT(count_temporaries(path_in(NULL, "replace")), 0);
    EXPECT_INT(file_write_atomic(path, NULL, 0, err, sizeof err), 0); /* empty is fine */
    EXPECT(stat(path, &st) == 0 && st.st_size == 0);
}

static void atomic_write_missing_dir_fails_and_leaves_nothing(void)
{
    char err[512], want[800];
    const char *path = path_in("no-such-dir", "fig.png");
    EXPECT_INT(file_write_atomic(path, "data", 4, err, sizeof err), -1);
    snprintf(want, sizeof want, "cannot write %s: %s", path, strerror(ENOENT));
    EXPECT_STR(err, want);
    EXPECT(!on_disk(path_in(NULL, "no-such-dir")));
    EXPECT_INT(count_temporaries(test_tmpdir()), 0);
}

static void atomic_write_to_a_directory_fails(void)
{
    char err[512], want[800];
    make_dir("isdir");
    make_dir("isdir/target");
    const char *path = path_in("isdir", "target");
    EXPECT_INT(file_write_atomic(path, "data", 4, err, sizeof err), -1);
    snprintf(want, sizeof want, "cannot write %s: %s", path, strerror(EISDIR));
    EXPECT_STR(err, want);
    struct stat st;
    EXPECT(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    EXPECT_INT(count_temporaries(path_in(NULL, "isdir")), 0);
}

static void atomic_write_into_readonly_dir_fails(void)
{
    char err[512], want[800];
    if (geteuid() != 0) {
        make_dir("readonly");
        const char *dir = path_in(NULL, "readonly");
        const char *path = path_in("readonly", "out.csv");
        EXPECT(chmod(dir, 0555) == 0);
        int rc = file_write_atomic(path, "data", 4, err, sizeof err);
        chmod(dir, 0755);
        EXPECT_INT(rc, -1);
        snprintf(want, sizeof want, "cannot write %s: %s", path, strerror(EACCES));
        EXPECT_STR(err, want);
        EXPECT(!on_disk(path));
        EXPECT_INT(count_temporaries(dir), 0);
    } else {
        /* root writes into read-only directories, so test a parent that is a regular file */
        make_dir("notdir");
        const char *parent = path_in("notdir", "plain-file");
        EXPECT_INT(file_write_atomic(parent, "x", 1, err, sizeof err), 0);
        char path[600];
        snprintf(path, sizeof path, "%s/out.csv", parent);
        EXPECT_INT(file_write_atomic(path, "data", 4, err, sizeof err), -1);
        snprintf(want, sizeof want, "cannot write %s: %s", path, strerror(ENOTDIR));
        EXPECT_STR(err, want);
        EXPECT_INT(count_temporaries(path_in(NULL, "notdir")), 0);
    }
}

/* In a child limited to files of 1000 bytes, writes 100 KB to dir/name. Returns the
 * child's verdict: 0 when the write failed with EFBIG's message, left no temporary behind,
 * and left path holding exactly expect (or absent when expect is NULL); else 1..4. */
static int write_with_file_size_limit(const char *dir, const char *path, const char *expect)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return 10;
    if (pid == 0) {
        static char big[100 * 1024];
        char err[512], want[800];
        struct rlimit rl = {1000, 1000};
        memset(big, 'z', sizeof big);
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(9);
        int rc = file_write_atomic(path, big, sizeof big, err, sizeof err);
        snprintf(want, sizeof want, "cannot write %s: %s", path, strerror(EFBIG));
        if (rc != -1) _exit(1);
        if (strcmp(err, want) != 0) {
            fprintf(stderr, "  message: %s\n", err);
            _exit(2);
        }
        if (count_temporaries(dir) != 0) _exit(3);
        if (!expect) _exit(on_disk(path) ? 4 : 0);
        char *text = read_all(path, NULL);
        int same = text && strcmp(text, expect) == 0;
        free(text);
        _exit(same ? 0 : 4);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return 11;
    return WEXITSTATUS(st);
}

static void atomic_write_full_disk_leaves_nothing(void)
{
    make_dir("full");
    const char *dir = path_in(NULL, "full");
    const char *path = path_in("full", "big.bin");
    int verdict = write_with_file_size_limit(dir, path, NULL);
    EXPECT_MSG(verdict == 0, "child verdict %d (1: no failure, 2: message, 3: temporary left, "
               "4: target left)", verdict);
    EXPECT(!on_disk(path));
    EXPECT_INT(count_temporaries(dir), 0);
}

static void atomic_write_keeps_old_file_on_failure(void)
{
    char err[512];
    make_dir("keep");
    const char *dir = path_in(NULL, "keep");
    const char *path = path_in("keep", "trace.json");
    EXPECT_INT(file_write_atomic(path, "{\"old\": true}\n", 14, err, sizeof err), 0);
    int verdict = write_with_file_size_limit(dir, path, "{\"old\": true}\n");
    EXPECT_MSG(verdict == 0, "child verdict %d (1: no failure, 2: message, 3: temporary left, "
               "4: old file changed)", verdict);
    char *text = read_all(path, NULL);
    int same = text && strcmp(text, "{\"old\": true}\n") == 0;
    free(text);
    EXPECT(same);
}

void suite_outfile(void)
{
    RUN(outbuf_grows_and_formats_past_its_capacity);
    RUN(json_has_every_schema_key_with_shapes);
    RUN(json_reads_back_equal_to_trace);
    RUN(json_escapes_tokens);
    RUN(json_refuses_too_many_cells);
    RUN(json_matches_numpy_reference);
    RUN(reference_rejects_corrupted_traces);
    RUN(json_blocks_match_numpy_reference);
    RUN(json_cross_matches_numpy_reference);
    RUN(csv_weights_header_and_rows);
    RUN(csv_quotes_tokens);
    RUN(csv_scaled_masked_cells_are_minus_inf);
    RUN(atomic_write_replaces_file);
    RUN(atomic_write_missing_dir_fails_and_leaves_nothing);
    RUN(atomic_write_to_a_directory_fails);
    RUN(atomic_write_into_readonly_dir_fails);
    RUN(atomic_write_full_disk_leaves_nothing);
    RUN(atomic_write_keeps_old_file_on_failure);
}
