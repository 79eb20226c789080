/* main.c: the attnlab program. With no arguments, or a scene file, it opens the window;
 * "--replay SCRIPT" plays a script in the window; "export" and the help go to the command
 * line module. */
#include "app/cli.h"
#include "app/win.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc == 1) return win_run(NULL, NULL);
    if (strcmp(argv[1], "--replay") == 0) {
        if (argc < 3 || argc > 4) {
            fprintf(stderr, "attnlab: usage: attnlab --replay SCRIPT [SCENE_FILE]\n");
            return 2;
        }
        return win_run(argc == 4 ? argv[3] : NULL, argv[2]);
    }
    if (argc == 2 && argv[1][0] != '-' && strcmp(argv[1], "export") != 0 && strcmp(argv[1], "help") != 0) {
        FILE *f = fopen(argv[1], "r");
        if (!f) {
            fprintf(stderr, "attnlab: '%s' is neither a scene file nor a command (allowed: export, "
                    "--replay, --help, --version)\n", argv[1]);
            return 2;
        }
        fclose(f);
        return win_run(argv[1], NULL);
    }
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
