/* scene.h: a scene as the user writes it (text, sizes, choices, file names) and the step
 * that turns it into an engine AttnScene. Setting a field is pure (key and value strings in,
 * a message out); reading the files a scene names is done in one place, scene_load.
 *
 * Ownership: a SceneSpec owns every string and array it points to; scene_spec_free releases
 * them. The AttnScene that scene_load fills borrows from the SceneSpec, so it is valid until
 * the spec is changed or freed. */
#ifndef ATTN_SCENE_H
#define ATTN_SCENE_H

#include "attn.h"
#include "cross.h"
#include "graph.h"
#include "tok.h"

#include <stddef.h>

typedef struct {
    char *text;            /* the input text (tokenised by tok_split) */
    AttnScene scene;       /* sizes and choices; its arrays are filled by scene_load */
    char *mask_file;       /* graph:FILE or custom:FILE */
    char *weights_file;    /* weights FILE: explicit matrices (see scene_parse_weights) */
    char *vectors_file;    /* explicit input vectors, one row per token */
    char *image;           /* a picture file or "example:NAME": its pixels or patches are the
                              tokens instead of the text; NULL for text */
    int patch;             /* pixels per patch side; 1 makes every pixel a token (default 16) */
    int grid;              /* at most this many tokens along either side (default 8) */
    int layers;            /* Transformer blocks stacked after the attention, 0..12 (default 0:
                              attention alone) */
    int d_ff;              /* the blocks' MLP hidden size; 0 means 4 d_model */
    char *audio;           /* a WAV file or "example:NAME": its frames are the tokens; NULL for
                              none (setting audio clears image and the other way round) */
    char *graph;           /* a graph file (graph.h's format) or "example:NAME": its nodes are the
                              tokens, their features the inputs, and "mask = graph" (which
                              setting it chooses) its edges; NULL for none. Image, audio and
                              graph replace each other. */
    float win_ms, hop_ms;  /* a frame's length and the step between frames (default 25, 10) */
    int bands;             /* features a frame: log energies in mel-spaced bands (default 8) */
    char cross[1024];      /* the sentence pair of the encoder-decoder view: a preset of
                              cross.h (default "french") or a pair file (a value with '/' or
                              '.', read by scene_cross_load) */
    int cross_score;       /* a CrossScore (default dot) */

    /* the picture's tokens, filled before scene_load by img_scene_load (src/image), which
     * owns the reading of picture files; freed by scene_spec_free */
    TokList pic_labels;    /* "r1c1", "r1c2", ... */
    float *features;       /* n x d_feature */
    int d_feature, grid_w, grid_h;
    unsigned char *picture;/* the picture as tokenised: picture_w x picture_h RGB */
    int picture_w, picture_h;
    char picture_note[200];/* what was resized or cropped */
    char picture_from[1200];/* the settings the tokens were made with, to skip re-reading */
    /* a sound's tokens (filled by aud_scene_load, src/audio, like a picture's: labels and
     * features above, grid_w 0) and the sound itself, for display */
    float *wave;
    int wave_n, wave_rate, frame_len, frame_hop;

    CrossPair cross_pair;  /* the pair file's contents, filled by scene_cross_load */

    /* filled by scene_load */
    Graph graph_in;        /* the graph read from graph */
    TokList toks;
    float *vectors;        /* n x d_model */
    int *edges;            /* 2 * n_edges */
    int n_edges;
    unsigned char *mask_matrix; /* n x n */
    float *params;         /* one block for the explicit tensors */
    AttnTrace preset;      /* the preset weights, computed to fill what a weights file omits */
} SceneSpec;

/* A spec holding the default scene and the text "I saw a saw". */
void scene_spec_init(SceneSpec *sp);
void scene_spec_free(SceneSpec *sp);

/* Sets one field. Keys (as on the command line, without "--"): text, heads, d-model,
 * d-head, d-att, score, mask, posenc, norm, temperature, seed, weights, vectors, image
 * (FILE, example:NAME or none), patch, grid, audio (FILE, example:NAME or none), win-ms,
 * hop-ms, bands, graph (FILE, example:NAME or none), layers, d-ff, cross, cross-score.
 * Returns 0, or -1 with a message naming the key, the bad value and what is allowed. */
int scene_set(SceneSpec *sp, const char *key, const char *value, char *err, size_t errlen);

/* Every key scene_set knows, NULL-terminated. */
extern const char *const scene_keys[];

/* Frees the picture's or the sound's tokens (scene_spec_free does it too). */
void scene_picture_free(SceneSpec *sp);

/* Tokenises the text (or takes the picture's or sound's tokens, which img_scene_load or
 * aud_scene_load must have filled when image or audio is set), reads the files the spec names (relative paths against base_dir,
 * or the current directory when NULL), and fills sp->scene ready for attn_forward.
 * Returns 0; -1 when a named file cannot be read or is malformed ("FILE:LINE:COLUMN:
 * message" in err); -2 when a value is bad (the text, or a size beyond the limits). */
int scene_load(SceneSpec *sp, const char *base_dir, char *err, size_t errlen);

/* The encoder-decoder scene of the spec's sentence pair with its scoring: a preset, or the
 * pair file (relative to base_dir) read into sp->cross_pair, which out then borrows.
 * Returns 0, or -1 with a message ("FILE:LINE:COLUMN: message" for a bad file). */
int scene_cross_load(SceneSpec *sp, const char *base_dir, CrossScene *out, char *err, size_t errlen);

/* The pure file-format parsers scene_load uses; each takes the text of a file and its name
 * (for messages) and returns 0, or -1 with "NAME:LINE:COLUMN: message".
 * Lines starting with '#' and blank lines are ignored everywhere. */

/* Rows of numbers separated by spaces, tabs or commas: exactly rows x cols of them.
 * out: rows x cols, allocated by the caller. */
int scene_parse_matrix(float *out, int rows, int cols, const char *text, size_t len,
                       const char *name, char *err, size_t errlen);

/* A graph: one edge a line, "I J" or "I-J" with 1-based node numbers in 1..n. Edges are
 * undirected and every node sees itself. *edges (2 * *n_edges ints, 0-based) is malloc'd
 * and owned by the caller. */
int scene_parse_graph(int **edges, int *n_edges, int n, const char *text, size_t len,
                      const char *name, char *err, size_t errlen);

/* A weights file: sections headed "Wq H", "Wk H", "Wv H" (d_model x d_head), "Wa H"
 * ((2 d_head) x d_att), "va H" (1 x d_att) for heads H = 1..heads, and "Wo"
 * ((heads d_head) x d_model), each followed by its rows. Sections may be left out; the
 * preset fills them. params points at the tensors to overwrite (shapes as in AttnParams);
 * the function writes only the sections present. */
typedef struct { float *wq, *wk, *wv, *wo, *wa, *va; } SceneTensors;
int scene_parse_weights(SceneTensors *params, const AttnScene *shape, const char *text,
                        size_t len, const char *name, char *err, size_t errlen);

#endif
