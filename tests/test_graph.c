/* test_graph.c: tests for graph.c: the graph file format (what it reads, every error with
 * its exact line:column), the adjacency mask, and the built-in example graphs. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../src/engine/graph.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static int parse(Graph *g, const char *text, char *err, size_t errlen)
{
    err[0] = 0;
    return graph_parse(g, text, strlen(text), "g.txt", err, errlen);
}

static int parse_ok_at(Graph *g, const char *text, int line)
{
    char err[512];
    if (parse(g, text, err, sizeof err) == 0) return 1;
    test_fail(__FILE__, line, "graph_parse refused: %s", err);
    return 0;
}
#define PARSE_OK(g, text) do { if (!parse_ok_at((g), (text), __LINE__)) return; } while (0)

/* "g.txt:LINE:COLUMN:" for the byte `offset` bytes past the first occurrence of needle in
 * text, so each expected position is worked out from the test's own input. */
static const char *at(const char *text, const char *needle, int offset)
{
    static char buf[64];
    const char *hit = strstr(text, needle);
    if (!hit) return "(needle not in text)";
    hit += offset;
    int line = 1, col = 1;
    for (const char *p = text; p < hit; p++) {
        if (*p == '\n') { line++; col = 1; }
        else col++;
    }
    snprintf(buf, sizeof buf, "g.txt:%d:%d:", line, col);
    return buf;
}

static int all_zero(const Graph *g)
{
    return g->title[0] == 0 && g->n == 0 && g->labels == NULL && g->d == 0 &&
           g->features == NULL && g->n_edges == 0 && g->edges == NULL;
}

/* graph_parse must refuse text with a message that starts with the position of needle
 * (plus offset) and holds every further string (NULL-ended), leaving the graph zeroed. */
static int refused_at(const char *text, const char *needle, int offset, int line, ...)
{
    Graph g;
    char err[512];
    memset(&g, 0xAB, sizeof g); /* whatever was there before must not survive */
    if (parse(&g, text, err, sizeof err) != -1) {
        test_fail(__FILE__, line, "graph_parse accepted \"%s\"", text);
        graph_free(&g);
        return 0;
    }
    if (!all_zero(&g)) {
        test_fail(__FILE__, line, "a refused parse left the graph filled");
        return 0;
    }
    const char *pos = at(text, needle, offset);
    if (strncmp(err, pos, strlen(pos)) != 0) {
        test_fail(__FILE__, line, "message \"%s\" does not start with \"%s\"", err, pos);
        return 0;
    }
    va_list ap;
    va_start(ap, line);
    for (const char *s; (s = va_arg(ap, const char *));) {
        if (!strstr(err, s)) {
            test_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", err, s);
            va_end(ap);
            return 0;
        }
    }
    va_end(ap);
    return 1;
}
#define EXPECT_REFUSED(text, needle, offset, ...) \
    do { if (!refused_at((text), (needle), (offset), __LINE__, __VA_ARGS__, (const char *)NULL)) return; } while (0)

static int has_edge(const Graph *g, int i, int j)
{
    for (int k = 0; k < g->n_edges; k++)
        if ((g->edges[2 * k] == i && g->edges[2 * k + 1] == j) ||
            (g->edges[2 * k] == j && g->edges[2 * k + 1] == i))
            return 1;
    return 0;
}

/* Nodes reached by breadth-first search from the first node other than skip (-1 for
 * none), never entering skip. */
static int reached(const Graph *g, int skip)
{
    int *queue = malloc(sizeof(int) * (size_t)g->n);
    char *seen = calloc((size_t)g->n, 1);
    int head = 0, tail = 0;
    if (!queue || !seen) { free(queue); free(seen); return -1; }
    int start = skip == 0 ? 1 : 0;
    if (start < g->n) { queue[tail++] = start; seen[start] = 1; }
    while (head < tail) {
        int u = queue[head++];
        for (int v = 0; v < g->n; v++)
            if (v != skip && !seen[v] && has_edge(g, u, v)) { seen[v] = 1; queue[tail++] = v; }
    }
    free(queue);
    free(seen);
    return tail;
}

static int label_index(const Graph *g, const char *label)
{
    for (int i = 0; i < g->n; i++)
        if (strcmp(g->labels[i], label) == 0) return i;
    return -1;
}

/* ---------------------------------------------------------------- what a file gives */

static void test_parse_reads_title_labels_features_and_edges(void)
{
    const char *text =
        "# a square A-B-C-D with the diagonal B-D\n"
        "title  Square, with a diagonal   # a comment after the title\n"
        "\n"
        "node A  1 0\n"
        "node B  0 1\n"
        "node C  0.5 -2   # trailing comment\n"
        "node D  1e-3 4\n"
        "edge A B\n"
        "edge B-C\n"
        "edge 3 4\n"      /* C-D by number */
        "edge D A\n"      /* written backwards */
        "edge B A\n"      /* A-B again, reversed */
        "edge 1-2\n"      /* A-B again, by number */
        "edge C C\n"      /* a self-edge: dropped */
        "edge D 2\n";     /* the diagonal, a label and a number */
    Graph g;
    PARSE_OK(&g, text);
    EXPECT_STR(g.title, "Square, with a diagonal");
    EXPECT_INT(g.n, 4);
    EXPECT_STR(g.labels[0], "A");
    EXPECT_STR(g.labels[1], "B");
    EXPECT_STR(g.labels[2], "C");
    EXPECT_STR(g.labels[3], "D");
    EXPECT_INT(g.d, 2);
    const float want_f[] = {1, 0, 0, 1, 0.5f, -2, 1e-3f, 4};
    EXPECT(g.features != NULL);
    EXPECT_ALL_NEAR(g.features, want_f, 8, 0);
    /* A-B, A-D, B-C, B-D, C-D as 0-based pairs i < j, sorted */
    const int want_e[] = {0, 1, 0, 3, 1, 2, 1, 3, 2, 3};
    EXPECT_INT(g.n_edges, 5);
    for (int k = 0; k < 10; k++) EXPECT_MSG(g.edges[k] == want_e[k], "edges[%d] == %d, expected %d", k, g.edges[k], want_e[k]);
    graph_free(&g);
    EXPECT(all_zero(&g));
    graph_free(&g); /* a freed graph may be freed again */
}

static void test_parse_sorts_edges_given_in_any_order(void)
{
    Graph g;
    PARSE_OK(&g, "node a\nnode b\nnode c\nnode d\nnode e\n"
                 "edge e d\nedge e a\nedge c b\nedge d-a\nedge 5 1\nedge b a\nedge 3-1\n");
    /* d-e, a-e, b-c, a-d, a-b, a-c in order: (0,1) (0,2) (0,3) (0,4) (1,2) (3,4) */
    const int want[] = {0, 1, 0, 2, 0, 3, 0, 4, 1, 2, 3, 4};
    EXPECT_INT(g.n_edges, 6);
    for (int k = 0; k < 12; k++) EXPECT_MSG(g.edges[k] == want[k], "edges[%d] == %d, expected %d", k, g.edges[k], want[k]);
    graph_free(&g);
}

static void test_parse_takes_edges_before_nodes_crlf_tabs_and_no_features(void)
{
    Graph g;
    PARSE_OK(&g, "edge x C#\r\n\tnode x\t\r\nnode C#   # C# is a label; this is a comment\r\n");
    EXPECT_STR(g.title, "");
    EXPECT_INT(g.n, 2);
    EXPECT_STR(g.labels[0], "x");
    EXPECT_STR(g.labels[1], "C#");
    EXPECT_INT(g.d, 0);
    EXPECT(g.features == NULL);
    EXPECT_INT(g.n_edges, 1);
    EXPECT_INT(g.edges[0], 0);
    EXPECT_INT(g.edges[1], 1);
    graph_free(&g);

    /* one node and no edges is a graph */
    PARSE_OK(&g, "node solo 3\n");
    EXPECT_INT(g.n, 1);
    EXPECT_INT(g.d, 1);
    EXPECT(g.features[0] == 3.0f);
    EXPECT_INT(g.n_edges, 0);
    EXPECT(g.edges == NULL);
    graph_free(&g);

    /* the text need not end in NUL or a newline: only len bytes are read */
    const char *text = "node p\nnode q\nedge p q\nedge zzz";
    char err[256];
    EXPECT_MSG(graph_parse(&g, text, strlen(text) - 9, "g.txt", err, sizeof err) == 0, "%s", err);
    EXPECT_INT(g.n, 2);
    EXPECT_INT(g.n_edges, 1);
    graph_free(&g);
}

static void test_labels_holding_a_dash_are_joined_with_two_words(void)
{
    Graph g;
    PARSE_OK(&g, "node H-1\nnode C\nnode 2x\nedge H-1 C\nedge C 2x\n");
    EXPECT_STR(g.labels[0], "H-1");
    EXPECT_STR(g.labels[2], "2x");
    EXPECT_INT(g.n_edges, 2);
    EXPECT(has_edge(&g, 0, 1));
    EXPECT(has_edge(&g, 1, 2));
    graph_free(&g);
    /* "H-1" alone is that one node, not an edge */
    const char *t1 = "node H-1\nnode C\nedge H-1\n";
    EXPECT_REFUSED(t1, "edge H-1", 5, "'H-1' is one node's label", "edge H-1 B");
}

static void test_adjacency_matches_the_edges_with_self_loops(void)
{
    Graph g;
    /* a path 1-2-3 and node 4 on its own, plus a self-edge on 4 that adds nothing */
    PARSE_OK(&g, "node n1\nnode n2\nnode n3\nnode n4\nedge n2 n1\nedge n2-n3\nedge n4 n4\n");
    const unsigned char want[16] = {
        1, 1, 0, 0,
        1, 1, 1, 0,
        0, 1, 1, 0,
        0, 0, 0, 1,
    };
    unsigned char adj[16];
    memset(adj, 7, sizeof adj);
    graph_adjacency(adj, &g);
    for (int k = 0; k < 16; k++)
        EXPECT_MSG(adj[k] == want[k], "adj[%d][%d] == %d, expected %d", k / 4, k % 4, adj[k], want[k]);
    EXPECT_INT(g.n_edges, 2);
    graph_free(&g);
}

/* ---------------------------------------------------------------- errors */

static void test_unknown_keyword_names_the_allowed_ones(void)
{
    const char *t = "node A\n  nodes B\n";
    EXPECT_REFUSED(t, "nodes", 0, "'nodes'", "title, node, edge");
    const char *t2 = "title x\nNode A\n";
    EXPECT_REFUSED(t2, "Node", 0, "'Node'", "title, node, edge");
}

static void test_duplicate_label_names_both_lines(void)
{
    const char *t = "node A 1\nnode B 2\n# again\nnode    A 3\n";
    EXPECT_REFUSED(t, "A 3", 0, "'A'", "used twice", "line 1");
}

static void test_unknown_edge_label_is_named_with_known_ones(void)
{
    const char *t = "node A\nnode B\nedge A Zed\n";
    EXPECT_REFUSED(t, "Zed", 0, "unknown node 'Zed'", "known: A, B)");
    const char *t2 = "node A\nnode B\nedge A-Zed\n";
    EXPECT_REFUSED(t2, "Zed", 0, "unknown node 'Zed'");
    const char *t3 = "node A\nnode B\nedge Zed-B\n";
    EXPECT_REFUSED(t3, "Zed", 0, "unknown node 'Zed'");
    /* labels are case-sensitive, and a long list is cut short */
    const char *t4 = "node p1\nnode p2\nnode p3\nnode p4\nnode p5\nnode p6\nnode p7\nedge p1 P7\n";
    EXPECT_REFUSED(t4, "P7", 0, "unknown node 'P7'", "known: p1, p2, p3", ", ...)");
    Graph g;
    char err[512];
    EXPECT_INT(parse(&g, t4, err, sizeof err), -1);
    EXPECT_MSG(!strstr(err, "p7"), "message \"%s\" lists every node", err);
}

static void test_node_number_outside_1_to_n_is_refused_at_its_column(void)
{
    const char *t = "node A\nnode B\nedge 1 3\n";
    EXPECT_REFUSED(t, "3\n", 0, "node 3", "1..2");
    const char *t2 = "node A\nnode B\nedge 0 1\n";
    EXPECT_REFUSED(t2, "0 1", 0, "node 0", "1..2");
    const char *t3 = "node A\nnode B\nedge 2-3\n";
    EXPECT_REFUSED(t3, "3\n", 0, "node 3", "1..2");
    const char *t4 = "node A\nnode B\nedge A 99999999999999999999\n";
    EXPECT_REFUSED(t4, "9999", 0, "1..2");
}

static void test_feature_counts_must_agree(void)
{
    /* fewer: the position right after the last number */
    const char *t = "node A 1 2 3\nnode B 4 5  \n";
    EXPECT_REFUSED(t, "4 5", 3, "'B' gives 2 numbers", "'A' (line 1) gives 3");
    /* more: the first number too many */
    const char *t2 = "node A 1 2\n\nnode B 1 2 3\n";
    EXPECT_REFUSED(t2, "3\n", 0, "'B' gives more numbers", "'A' (line 1)", "gives 2");
    /* none, then some */
    const char *t3 = "node A\nnode B 0.5\n";
    EXPECT_REFUSED(t3, "0.5", 0, "'B' gives more numbers", "gives 0");
    /* some, then none: right after the label */
    const char *t4 = "node A 1\nnode Bee\n";
    EXPECT_REFUSED(t4, "Bee", 3, "'Bee' gives 0 numbers", "gives 1");
}

static void test_numbers_must_be_finite_numbers(void)
{
    const char *t = "node A 1 2\nnode B 3 x4\n";
    EXPECT_REFUSED(t, "x4", 0, "'x4' is not a number");
    const char *t2 = "node A 1 1.5.2\n";
    EXPECT_REFUSED(t2, "1.5.2", 0, "'1.5.2' is not a number");
    const char *t3 = "node A nan\n";
    EXPECT_REFUSED(t3, "nan", 0, "'nan' is not a finite number");
    const char *t4 = "node A 0 -inf\n";
    EXPECT_REFUSED(t4, "-inf", 0, "'-inf' is not a finite number");
    const char *t5 = "node A 1e39\n"; /* a double, but beyond float */
    EXPECT_REFUSED(t5, "1e39", 0, "'1e39' is not a finite number");
    const char *t6 = "node A 1,2\n"; /* commas do not separate numbers */
    EXPECT_REFUSED(t6, "1,2", 0, "'1,2' is not a number");
    Graph g;
    PARSE_OK(&g, "node A -3.4e38 1e-3 0x10\n");
    EXPECT_NEAR(g.features[0], -3.4e38, 1e32);
    EXPECT(g.features[1] == 1e-3f);
    EXPECT(g.features[2] == 16.0f);
    graph_free(&g);
}

static void test_labels_must_be_short_not_digits_and_present(void)
{
    char t[256], label[80];
    memset(label, 'a', 64);
    label[64] = 0;
    snprintf(t, sizeof t, "node B\nnode %s 1\n", label);
    EXPECT_REFUSED(t, label, 0, "longer than the limit of 63 bytes");
    Graph g;
    snprintf(t, sizeof t, "node B\nnode %s\n", label + 1); /* 63 bytes is fine */
    PARSE_OK(&g, t);
    EXPECT_INT((int)strlen(g.labels[1]), 63);
    graph_free(&g);
    const char *t2 = "node A\nnode 12 1\n";
    EXPECT_REFUSED(t2, "12", 0, "'12' is only digits");
    const char *t3 = "node A\nnode    \n";
    EXPECT_REFUSED(t3, "    \n", 4, "a node needs a label");
    const char *t4 = "node A\nnode #B\n";
    EXPECT_REFUSED(t4, "#B", 0, "a node needs a label");
}

static void test_a_file_without_nodes_is_refused_at_its_end(void)
{
    EXPECT_REFUSED("", "", 0, "no nodes");
    const char *t = "# only a comment\n\n";
    EXPECT_REFUSED(t, "\n\n", 2, "no nodes");
    const char *t2 = "title Nothing\nedge 1 2";
    EXPECT_REFUSED(t2, "1 2", 3, "no nodes");
}

static void test_edge_lines_need_exactly_two_nodes(void)
{
    const char *t = "node A\nnode B\nedge A\n";
    EXPECT_REFUSED(t, "edge A\n", 6, "edge A B");
    const char *t2 = "node A\nnode B\nedge\n";
    EXPECT_REFUSED(t2, "edge", 4, "edge A B");
    const char *t3 = "node A\nnode B\nnode C\nedge A B C\n";
    EXPECT_REFUSED(t3, "B C\n", 2, "unexpected text after the edge");
    const char *t4 = "node A\nnode B\nedge A-B-A\n";
    EXPECT_REFUSED(t4, "A-B-A", 0, "exactly one '-'");
    const char *t5 = "node A\nnode B\nedge -B\n";
    EXPECT_REFUSED(t5, "-B", 0, "exactly one '-'");
    const char *t6 = "node A\nnode B\nedge A-\n";
    EXPECT_REFUSED(t6, "A-\n", 0, "exactly one '-'");
}

static void test_title_is_once_with_text_within_127_bytes(void)
{
    const char *t = "title One\nnode A\ntitle Two\n";
    EXPECT_REFUSED(t, "title Two", 0, "second title", "line 1");
    const char *t2 = "title   # empty\nnode A\n";
    EXPECT_REFUSED(t2, "# empty", 0, "title needs text");
    char long_title[200], text[300];
    memset(long_title, 't', 128);
    long_title[128] = 0;
    snprintf(text, sizeof text, "title %s\nnode A\n", long_title);
    EXPECT_REFUSED(text, long_title, 0, "127 bytes");
    Graph g;
    snprintf(text, sizeof text, "title %s\nnode A\n", long_title + 1);
    PARSE_OK(&g, text);
    EXPECT_STR(g.title, long_title + 1);
    graph_free(&g);
}

/* A graph of `nodes` nodes with `features` numbers each. */
static char *make_graph(int nodes, int features)
{
    size_t cap = (size_t)nodes * (16 + 2 * (size_t)features) + 1;
    char *t = malloc(cap), *p = t;
    if (!t) return NULL;
    for (int i = 0; i < nodes; i++) {
        p += sprintf(p, "node v%d", i + 1);
        for (int k = 0; k < features; k++) p += sprintf(p, " %d", k % 10);
        *p++ = '\n';
    }
    *p = 0;
    return t;
}

static void test_limits_4096_nodes_and_1024_numbers_each(void)
{
    Graph g;
    char err[512];
    char *t = make_graph(GRAPH_MAX_NODES, 1);
    EXPECT(t != NULL);
    int r = parse(&g, t, err, sizeof err);
    free(t);
    EXPECT_MSG(r == 0, "4096 nodes refused: %s", err);
    EXPECT_INT(g.n, 4096);
    EXPECT_STR(g.labels[4095], "v4096");
    graph_free(&g);

    t = make_graph(GRAPH_MAX_NODES + 1, 0);
    EXPECT(t != NULL);
    refused_at(t, "node v4097", 0, __LINE__, "limit of 4096 nodes", (const char *)NULL);
    free(t);
    if (test_current_failed()) return;

    t = make_graph(1, GRAPH_MAX_FEATURES);
    EXPECT(t != NULL);
    r = parse(&g, t, err, sizeof err);
    free(t);
    EXPECT_MSG(r == 0, "1024 numbers refused: %s", err);
    EXPECT_INT(g.d, 1024);
    EXPECT(g.features[1023] == 3.0f); /* 1023 % 10 */
    graph_free(&g);

    t = make_graph(1, GRAPH_MAX_FEATURES + 1);
    EXPECT(t != NULL);
    /* the 1025th number starts 2 * 1024 bytes after the first, at "node v1 " + 1 */
    char where[64];
    snprintf(where, sizeof where, "g.txt:1:%d:", (int)strlen("node v1 ") + 1 + 2 * 1024);
    EXPECT_INT(parse(&g, t, err, sizeof err), -1);
    free(t);
    EXPECT_MSG(strncmp(err, where, strlen(where)) == 0, "message \"%s\" does not start with \"%s\"", err, where);
    EXPECT_MSG(strstr(err, "limit of 1024 numbers"), "message \"%s\" lacks the limit", err);
}

static void test_a_null_name_still_gives_positions(void)
{
    Graph g;
    char err[256] = "";
    EXPECT_INT(graph_parse(&g, "nodes", 5, NULL, err, sizeof err), -1);
    EXPECT_MSG(strstr(err, ":1:1: unknown keyword"), "message \"%s\"", err);
}

/* ---------------------------------------------------------------- built-ins */

static void test_builtins_parse_are_connected_and_have_features(void)
{
    int count = 0;
    for (int b = 0; graph_builtin_names[b]; b++, count++) {
        const char *name = graph_builtin_names[b];
        Graph g;
        char err[512] = "";
        EXPECT_MSG(graph_builtin(&g, name, err, sizeof err) == 0, "%s: %s", name, err);
        EXPECT_MSG(g.title[0] != 0, "%s has no title", name);
        EXPECT_MSG(g.n >= 4, "%s has %d nodes", name, g.n);
        EXPECT_MSG(g.d > 0 && g.features, "%s has no features", name);
        int rn = reached(&g, -1);
        EXPECT_MSG(rn == g.n, "%s: only %d of %d nodes are connected to the first", name, rn, g.n);
        /* features that differ between nodes, or attention could not tell them apart */
        int differ = 0;
        for (int k = 0; k < g.d; k++)
            if (g.features[(size_t)(g.n - 1) * g.d + k] != g.features[k]) differ = 1;
        EXPECT_MSG(differ, "%s: the first and last nodes have the same features", name);
        graph_free(&g);
    }
    EXPECT_MSG(count >= 2, "only %d built-in graphs", count);
}

static void test_builtin_text_is_the_same_graph_read_back(void)
{
    for (int b = 0; graph_builtin_names[b]; b++) {
        const char *name = graph_builtin_names[b];
        const char *text = graph_builtin_text(name);
        EXPECT_MSG(text != NULL, "no text for %s", name);
        Graph a, c;
        char err[512];
        EXPECT_MSG(graph_builtin(&a, name, err, sizeof err) == 0, "%s", err);
        if (graph_parse(&c, text, strlen(text), "saved.txt", err, sizeof err)) {
            graph_free(&a);
            EXPECT_MSG(0, "%s", err);
        }
        int same = a.n == c.n && a.d == c.d && a.n_edges == c.n_edges &&
                   strcmp(a.title, c.title) == 0 &&
                   memcmp(a.features, c.features, sizeof(float) * (size_t)a.n * a.d) == 0 &&
                   memcmp(a.edges, c.edges, sizeof(int) * 2 * (size_t)a.n_edges) == 0;
        for (int i = 0; same && i < a.n; i++) same = strcmp(a.labels[i], c.labels[i]) == 0;
        graph_free(&a);
        graph_free(&c);
        EXPECT_MSG(same, "%s read from its text differs from graph_builtin", name);
    }
    EXPECT(graph_builtin_text("no-such-graph") == NULL);
    EXPECT(graph_builtin_text(NULL) == NULL);
}

static void test_unknown_builtin_lists_every_known_name(void)
{
    Graph g;
    char err[512] = "";
    memset(&g, 0xAB, sizeof g);
    EXPECT_INT(graph_builtin(&g, "Molecule", err, sizeof err), -1); /* names are case-sensitive */
    EXPECT(all_zero(&g));
    EXPECT_MSG(strstr(err, "unknown example graph"), "message \"%s\"", err);
    for (int b = 0; graph_builtin_names[b]; b++)
        EXPECT_MSG(strstr(err, graph_builtin_names[b]), "message \"%s\" lacks \"%s\"", err, graph_builtin_names[b]);
}

static void test_molecule_is_ethanol_with_every_valence_right(void)
{
    Graph g;
    char err[512];
    EXPECT_MSG(graph_builtin(&g, "molecule", err, sizeof err) == 0, "%s", err);
    /* C2H5OH: 2 carbons, 6 hydrogens, 1 oxygen; a tree, so n - 1 bonds */
    int count[128] = {0};
    for (int i = 0; i < g.n; i++) count[(unsigned char)g.labels[i][0]]++;
    int ok = g.n == 9 && count['C'] == 2 && count['H'] == 6 && count['O'] == 1 && g.n_edges == g.n - 1;
    /* each atom has as many bonds as its valence: C 4, O 2, H 1 */
    for (int i = 0; ok && i < g.n; i++) {
        int deg = 0, want = g.labels[i][0] == 'C' ? 4 : g.labels[i][0] == 'O' ? 2 : 1;
        for (int k = 0; k < 2 * g.n_edges; k++) deg += g.edges[k] == i;
        if (deg != want) {
            test_fail(__FILE__, __LINE__, "%s has %d bonds, expected %d", g.labels[i], deg, want);
            ok = 0;
        }
    }
    /* atoms of one element share their features; the two carbons are bonded */
    int c1 = label_index(&g, "C1"), c2 = label_index(&g, "C2"), h1 = label_index(&g, "H1"), o = label_index(&g, "O");
    ok = ok && c1 >= 0 && c2 >= 0 && h1 >= 0 && o >= 0 && has_edge(&g, c1, c2) &&
         memcmp(&g.features[c1 * g.d], &g.features[c2 * g.d], sizeof(float) * g.d) == 0 &&
         memcmp(&g.features[c1 * g.d], &g.features[h1 * g.d], sizeof(float) * g.d) != 0 &&
         memcmp(&g.features[o * g.d], &g.features[h1 * g.d], sizeof(float) * g.d) != 0;
    graph_free(&g);
    EXPECT_MSG(ok, "the molecule is not ethanol as described");
}

static void test_friends_have_exactly_one_bridge_person(void)
{
    Graph g;
    char err[512];
    EXPECT_MSG(graph_builtin(&g, "friends", err, sizeof err) == 0, "%s", err);
    int bridges = 0, bridge = -1;
    for (int v = 0; v < g.n; v++)
        if (reached(&g, v) < g.n - 1) { bridges++; bridge = v; }
    int n = g.n, size_ok = n >= 6 && n <= 12;
    /* without the bridge the rest falls into two groups, neither of them alone */
    int side = bridge >= 0 ? reached(&g, bridge) : 0;
    graph_free(&g);
    EXPECT_MSG(size_ok, "friends has %d people", n);
    EXPECT_INT(bridges, 1);
    EXPECT_MSG(side >= 2 && n - 1 - side >= 2, "the groups have %d and %d people", side, n - 1 - side);
}

void suite_graph(void)
{
    RUN(test_parse_reads_title_labels_features_and_edges);
    RUN(test_parse_sorts_edges_given_in_any_order);
    RUN(test_parse_takes_edges_before_nodes_crlf_tabs_and_no_features);
    RUN(test_labels_holding_a_dash_are_joined_with_two_words);
    RUN(test_adjacency_matches_the_edges_with_self_loops);
    RUN(test_unknown_keyword_names_the_allowed_ones);
    RUN(test_duplicate_label_names_both_lines);
    RUN(test_unknown_edge_label_is_named_with_known_ones);
    RUN(test_node_number_outside_1_to_n_is_refused_at_its_column);
    RUN(test_feature_counts_must_agree);
    RUN(test_numbers_must_be_finite_numbers);
    RUN(test_labels_must_be_short_not_digits_and_present);
    RUN(test_a_file_without_nodes_is_refused_at_its_end);
    RUN(test_edge_lines_need_exactly_two_nodes);
    RUN(test_title_is_once_with_text_within_127_bytes);
    RUN(test_limits_4096_nodes_and_1024_numbers_each);
    RUN(test_a_null_name_still_gives_positions);
    RUN(test_builtins_parse_are_connected_and_have_features);
    RUN(test_builtin_text_is_the_same_graph_read_back);
    RUN(test_unknown_builtin_lists_every_known_name);
    RUN(test_molecule_is_ethanol_with_every_valence_right);
    RUN(test_friends_have_exactly_one_bridge_person);
}
