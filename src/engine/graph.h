/* graph.h: the graph file format (nodes with labels and optional feature vectors, and an
 * undirected edge list, in one small text file), its pure parser, and built-in examples.
 * libc only; no I/O: the caller reads the file and passes its text.
 *
 * The format, one statement a line:
 *
 *     # Ethanol: a comment line
 *     title Ethanol, C2H5OH        optional, at most once
 *     node C1  1 0 0 1             "node", a label, then the node's numbers (its features)
 *     node O   0 0 1 0.5
 *     node H6  0 1 0 0.25
 *     edge C1 O                    two labels ...
 *     edge 2 3                     ... or 1-based node numbers (the order of the node lines)
 *     edge O-H6                    one word with a single '-': the two nodes it joins
 *
 * - Words are separated by spaces, tabs or '\r' (so CRLF files read the same). Blank
 *   lines are ignored, and a '#' at the start of a word begins a comment that runs to the
 *   end of the line (so "node C#  1" names the node "C#", while "node C #1" has no numbers).
 * - The keywords are title, node and edge, in lower case.
 * - title: the rest of the line, leading and trailing blanks removed, 1..127 bytes.
 * - node LABEL [NUMBERS]: a label is 1..GRAPH_MAX_LABEL bytes without spaces or control
 *   characters, unique in the file, and not only digits (edges read digits as node
 *   numbers). Labels are case-sensitive. Every node gives the same number of numbers, at
 *   most GRAPH_MAX_FEATURES; when every node gives none, the graph has no features and the
 *   program embeds the labels instead. Numbers are as strtod reads them and must be finite
 *   as floats (no inf, nan, or magnitudes beyond about 3.4e38). At most GRAPH_MAX_NODES
 *   nodes, at least one.
 * - edge A B: two words, each a label or a node number 1..n. The one-word form "edge A-B"
 *   is split at its '-', so it needs exactly one '-' with text on both sides; a label that
 *   contains '-' is joined with the two-word form ("edge H-1 C"). An edge may name a node
 *   whose line comes later in the file. Edges are undirected; repeats (in either
 *   direction) count once; an edge from a node to itself is accepted and dropped, since
 *   every node attends to itself anyway.
 *
 * Errors read "NAME:LINE:COLUMN: message", LINE and COLUMN 1-based, COLUMN counted in bytes
 * and pointing at the offending word (or where a missing one should be).
 *
 * Ownership: a Graph owns everything it points to (each label, the label array, the
 * features, the edges); graph_free releases them. */
#ifndef ATTN_GRAPH_H
#define ATTN_GRAPH_H

#include <stddef.h>

#define GRAPH_MAX_NODES 4096   /* the engine's token limit */
#define GRAPH_MAX_FEATURES 1024 /* numbers per node */
#define GRAPH_MAX_LABEL 63     /* bytes in a label */

typedef struct {
    char title[128];       /* "" when the file gave none */
    int n;                 /* nodes, 1..GRAPH_MAX_NODES */
    char **labels;         /* n NUL-terminated strings, in file order */
    int d;                 /* features per node, 0 when the file gave none */
    float *features;       /* n x d, row i for node i; NULL when d is 0 */
    int n_edges;
    int *edges;            /* 2 * n_edges: 0-based pairs (i, j) with i < j, sorted by i then
                              j, no repeats; NULL when n_edges is 0 */
} Graph;

/* Parses the text of a graph file (len bytes, need not end in NUL); name is used only in
 * messages. Returns 0 with *g filled, or -1 with "NAME:LINE:COLUMN: message" in err, *g
 * zeroed and nothing allocated. */
int graph_parse(Graph *g, const char *text, size_t len, const char *name, char *err,
                size_t errlen);

/* The built-in example graphs, by name: each is text in the format above, parsed with
 * graph_parse. graph_builtin returns 0, or -1 for an unknown name with a message listing
 * the known ones. */
extern const char *const graph_builtin_names[]; /* NULL-terminated */
int graph_builtin(Graph *g, const char *name, char *err, size_t errlen);

/* The source text of a built-in (static, NUL-terminated), or NULL for an unknown name. */
const char *graph_builtin_text(const char *name);

/* Frees what g owns and zeroes it; a zeroed Graph may be freed again. */
void graph_free(Graph *g);

/* The attention mask a graph gives: out[i * n + j] is 1 when i == j or an edge joins i and
 * j, else 0. out: n x n, allocated by the caller. */
void graph_adjacency(unsigned char *out, const Graph *g);

#endif
