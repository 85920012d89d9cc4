/* memlayout gen: print random cases. */
#include "case.h"
#include "cli.h"
#include "gen.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char gen_help[] =
    "usage: memlayout gen [options]\n"
    "\n"
    "Print random cases, one canonical JSON case per line. Case i of seed S is\n"
    "the same case `memlayout run --seed S` runs as its i-th.\n"
    "\n"
    "  -s, --seed N         seed (default 1)\n"
    "  -n, --cases N        how many (default 10)\n"
    "      --start I        first case number (default 0)\n"
    "  -T, --transport L    transports to draw from (default reduce)\n"
    "      --max-ops N      longest view-op chain (default 4)\n"
    "      --max-ndim N     most backing dims (default 6)\n"
    "  -h, --help           this text\n";

int ml_cmd_gen(int argc, char **argv)
{
    uint64_t seed = 1, n = 10, start = 0;
    ml_gen_opts g = {.transports = 1u << ML_T_REDUCE};
    enum { OPT_START = 3000 };
    static const struct option lo[] = {
        {"seed", required_argument, 0, 's'}, {"cases", required_argument, 0, 'n'},
        {"start", required_argument, 0, OPT_START}, {"transport", required_argument, 0, 'T'},
        {"max-ops", required_argument, 0, ML_OPT_MAX_OPS}, {"max-ndim", required_argument, 0, ML_OPT_MAX_NDIM},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "s:n:T:h", lo, NULL)) != -1) {
        switch (opt) {
        case 's': seed = (uint64_t)ml_cli_int("gen", "--seed", optarg, 0, (long long)ML_MAX_SEED); break;
        case 'n': n = (uint64_t)ml_cli_int("gen", "--cases", optarg, 0, 1LL << 40); break;
        case OPT_START: start = (uint64_t)ml_cli_int("gen", "--start", optarg, 0, 1LL << 40); break;
        case 'T': g.transports = ml_cli_transports("gen", optarg); break;
        case ML_OPT_MAX_OPS: g.max_ops = (int)ml_cli_int("gen", "--max-ops", optarg, 0, ML_MAX_OPS); break;
        case ML_OPT_MAX_NDIM: g.max_ndim = (int)ml_cli_int("gen", "--max-ndim", optarg, 0, ML_MAX_NDIM); break;
        case 'h': fputs(gen_help, stdout); return ML_EXIT_OK;
        default: fputs(gen_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind < argc)
        ml_cli_usage("gen", "unexpected argument \"%s\"", argv[optind]);
    ml_case *c = malloc(sizeof *c);
    for (uint64_t i = start; c && i < start + n; i++) {
        ml_gen_nth(seed, i, &g, c);
        char *j = ml_case_write(c);
        if (!j || fputs(j, stdout) == EOF) {
            free(j);
            free(c);
            return ML_EXIT_ENV;
        }
        free(j);
    }
    free(c);
    return fflush(stdout) == 0 ? ML_EXIT_OK : ML_EXIT_ENV;
}
