/* graphfig.h: the tokens of a trace drawn as a graph: a node per token, an edge per pair the
 * mask allows (for a graph:FILE mask, the graph's own edges), and the query node's attention
 * weights on its edges (thickness and colour) and on the nodes. The layout is computed here
 * (graphfig_layout, pure); the drawing goes through ren. */
#ifndef ATTN_GRAPHFIG_H
#define ATTN_GRAPHFIG_H

#include "../engine/attn.h"
#include "ren.h"

#define GRAPHFIG_MAX_NODES 64

/* A deterministic force-directed layout of n nodes (at most GRAPHFIG_MAX_NODES) whose edges
 * are the pairs i != j the trace's mask allows: xy receives n (x, y) pairs in [0, 1]. Nodes
 * start on a circle; linked nodes pull together, every pair pushes apart. */
void graphfig_layout(float *xy, const AttnTrace *t);

/* The graph figure's size for a node size `node` (logical pixels). */
void graphfig_measure(Ren *ren, const AttnTrace *t, float node, float *w, float *h);
/* Draws it at (x, y) with the weights of `query` in `head`; stores each node's top-left
 * corner in node_xy (n pairs) when it is not NULL. */
void graphfig_draw(Ren *ren, const AttnTrace *t, int head, int query, float node, int dark,
                   float x, float y, float *node_xy);

#endif
