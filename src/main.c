/* main.c: the attnlab program: reads the command line and runs the command. */
#include "app/cli.h"

#include <SDL.h>
#include <SDL_ttf.h>

int main(int argc, char **argv)
{
    CliCommand c;
    char err[512];
    int rc = cli_parse(&c, argc, argv, err, sizeof err);
    if (rc == CLI_OK) rc = cli_run(&c, stdout, stderr);
    else fprintf(stderr, "attnlab: %s\n", err);
    cli_free(&c);
    if (TTF_WasInit()) TTF_Quit();
    SDL_Quit();
    return rc;
}
