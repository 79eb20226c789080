/* speechfig.h: the speech view. A trace whose tokens are a sound's frames is drawn along
 * one time axis: the waveform with the frame boundaries and the query frame, the frames'
 * band features, the query frame's attention weights over time (full attention, when
 * FigOptions.unmasked holds it, and under the scene's mask), and a cost meter comparing the
 * number of scores and the memory each needs. The figure is SPEECHFIG_H high and
 * FigOptions.width wide (0: SPEECHFIG_W); the window picks a width for its space and
 * scales the figure to fit. Frames are one hit box, so clicking a frame makes it the query. */
#ifndef ATTN_SPEECHFIG_H
#define ATTN_SPEECHFIG_H

#include "fig.h"

#define SPEECHFIG_W 1240.0f
#define SPEECHFIG_H 790.0f

void speechfig_draw(Ren *ren, const AttnTrace *t, const FigOptions *o, float x, float y, FigLayout *lay);

#endif
