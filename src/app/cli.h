/* cli.h: the command line. cli_parse turns argv into a CliCommand without touching files
 * (pure); cli_run carries it out. A CliCommand owns its SceneSpec (cli_free releases it). */
#ifndef ATTN_CLI_H
#define ATTN_CLI_H

#include "../draw/fig.h"
#include "../engine/scene.h"
#include "outfile.h"

#include <stdio.h>

#define ATTNLAB_VERSION "0.1.0"

typedef enum { CLI_HELP, CLI_VERSION, CLI_EXPORT, CLI_EXPORT_HELP, CLI_CHECK } CliKind;
typedef enum { CLI_PNG, CLI_JSON, CLI_CSV, CLI_WAV } CliFormat; /* WAV: the scene's sound itself */

typedef struct {
    CliKind kind;
    SceneSpec spec;
    FigOptions fig;
    float scale;
    CliFormat format;
    OutMatrix matrix;
    int matrix_set;     /* --matrix given */
    const char *out;    /* borrowed from argv; NULL = the default for the format */
    int quiet;
    /* lessons: `export --lesson FILE --step N | --all-steps`, and `check FILE...` */
    const char *lesson;
    int lesson_step;    /* from 1; 0 = not given */
    int all_steps;
    int reveal;         /* exported steps show their questions answered */
    const char *out_dir;
    int n_files;
    char **files;       /* borrowed from argv */
} CliCommand;

/* Exit statuses */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

/* Parses argv. Returns CLI_OK, or CLI_USAGE with a one-line message in err that names the
 * bad option or value and lists what is allowed. */
int cli_parse(CliCommand *c, int argc, char **argv, char *err, size_t errlen);
void cli_free(CliCommand *c);

/* Runs a parsed command; messages go to out and errs. Returns an exit status. */
int cli_run(CliCommand *c, FILE *out, FILE *errs);

void cli_print_help(FILE *f);
void cli_print_export_help(FILE *f);

#endif
