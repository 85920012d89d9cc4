/* memlayout minimize: shrink a failing case (minimize.h). */
#include "cli.h"
#include "fsutil.h"
#include "minimize.h"
#include "session.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t view_elements(const ml_case *c, int *ndim)
{
    int64_t shape[ML_MAX_NDIM], n = 1;
    *ndim = ml_case_shape_after(c, c->nops, shape);
    for (int i = 0; i < *ndim; i++)
        n *= shape[i];
    return n;
}

static const char minimize_help[] =
    "usage: memlayout minimize [options] CASE\n"
    "\n"
    "Shrink a failing case to the smallest case with the same signature class\n"
    "(transport kind, violated invariants, flag transition): fewer ops, fewer\n"
    "and smaller dims, the simplest dtype, zero offset, mode r, raw source, C\n"
    "order, the cheapest transport of the same family. Deterministic. The\n"
    "minimized case is printed on stdout (canonical JSON); a summary on stderr.\n"
    "\n"
    "  -o, --out FILE       also write the minimized case to FILE\n"
    "      --max-tries N    judge at most N cases (default 500)\n"
    "      --max-seconds S  stop after S seconds (default 60)\n"
    "      --keep-transport never change the transport\n"
    "  -v, --verbose        print each step that shrank the case\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 minimized (also when a budget ran out: the smallest case\n"
    "found so far is printed and stderr says the search stopped early), 1 the\n"
    "case does not fail (nothing to minimize), 2 bad arguments or case, 3 broken\n"
    "environment, 130 interrupted (143 SIGTERM, 129 SIGHUP)\n";

enum { OPT_KEEP_TRANSPORT = 4000, OPT_MAX_SECONDS, OPT_MAX_TRIES };

int ml_cmd_minimize(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    ml_minimize_opts mo;
    memset(&mo, 0, sizeof mo);
    const char *out = NULL;
    bool verbose = false;
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'}, {"max-tries", required_argument, 0, OPT_MAX_TRIES},
        {"max-seconds", required_argument, 0, OPT_MAX_SECONDS},
        {"keep-transport", no_argument, 0, OPT_KEEP_TRANSPORT}, {"verbose", no_argument, 0, 'v'},
        ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "o:vj:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("minimize", opt, &co))
            continue;
        switch (opt) {
        case 'o': out = optarg; break;
        case 'v': verbose = true; break;
        case OPT_MAX_TRIES: mo.max_tries = (int)ml_cli_int("minimize", "--max-tries", optarg, 1, 1000000); break;
        case OPT_MAX_SECONDS: mo.max_seconds = ml_cli_seconds("minimize", "--max-seconds", optarg); break;
        case OPT_KEEP_TRANSPORT: mo.keep_transport = true; break;
        case 'h': fputs(minimize_help, stdout); return ML_EXIT_OK;
        default: fputs(minimize_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        ml_cli_usage("minimize", "expected one case file%s", "");
    int env_rc = ml_cli_common_env("minimize", &co);
    if (env_rc)
        return env_rc;
    ml_case *in = malloc(sizeof *in), *min = malloc(sizeof *min);
    if (!in || !min || !ml_cli_read_case("minimize", argv[optind], &co.lim, in)) {
        free(in);
        free(min);
        return ML_EXIT_USAGE;
    }
    mo.lim = co.lim;
    mo.log = verbose ? stderr : NULL;
    mo.stop = &ml_cli_stop;
    ml_cli_install_signals();
    char *tmp;
    ml_session *s = ml_cli_open_session("minimize", &co, NULL, &tmp);
    if (!s) {
        free(in);
        free(min);
        return ml_cli_stop ? ml_cli_interrupted_exit() : ML_EXIT_ENV;
    }
    ml_minimize_stats st;
    char err[1024];
    bool ok = ml_minimize(s, in, &mo, min, &st, err, sizeof err);
    ml_cli_close_session(s, tmp);
    int rc = ML_EXIT_OK;
    if (!ok) {
        fprintf(stderr, "memlayout minimize: %s: %s\n", argv[optind], err);
        rc = st.input_fails || st.tries > 1 || strncmp(err, "the case", 8) != 0 ? ML_EXIT_ENV
                                                                             : ML_EXIT_FINDINGS;
        if (ml_cli_stop)
            rc = ml_cli_interrupted_exit();
    } else {
        char *json = ml_case_write(min);
        if (json)
            fputs(json, stdout);
        if (out && json && !ml_write_atomic(out, json, strlen(json), err, sizeof err)) {
            fprintf(stderr, "memlayout minimize: --out: %s\n", err);
            rc = ML_EXIT_ENV;
        }
        free(json);
        char sig[512];
        int nd0, nd1;
        int64_t e0 = view_elements(in, &nd0), e1 = view_elements(min, &nd1);
        (void)e0;
        (void)e1;
        fprintf(stderr,
                "minimize: %s\n"
                "minimize: %d -> %d ops, backing %d -> %d dims and %lld -> %lld elements, "
                "view %d -> %d dims; %s -> %s\n"
                "minimize: %d cases tried, %d from memory, %d steps kept, in %.1f s%s%s\n",
                ml_sig_str(&st.sig, sig, sizeof sig), in->nops, min->nops, in->ndim, min->ndim,
                (long long)ml_case_elements(in), (long long)ml_case_elements(min), nd0, nd1,
                ml_transport_name(in->transport), ml_transport_name(min->transport), st.tries,
                st.cached, st.accepted, st.seconds,
                st.stopped_early ? "; stopped early: " : " (fixed point)",
                st.stopped_early ? st.stop_reason : "");
        if (st.stopped_early)
            fprintf(stderr, "minimize: the case printed is the smallest found so far; raise "
                            "--max-tries/--max-seconds to shrink further\n");
        if (ml_cli_stop)
            rc = ml_cli_interrupted_exit();
    }
    free(in);
    free(min);
    return rc;
}
