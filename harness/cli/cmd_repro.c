/* memlayout repro: a standalone Python reproducer for a case (repro.h): the
 * short one by default, the full self-checking one with --full. */
#include "cli.h"
#include "fsutil.h"
#include "minimize.h"
#include "repro.h"
#include "session.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char repro_help[] =
    "usage: memlayout repro [options] CASE\n"
    "\n"
    "Print a standalone Python script for an upstream bug report: 20 to 40\n"
    "lines, public API only (NumPy, the standard library and joblib for its\n"
    "backends). It writes the case's backing file with the bytes memlayout\n"
    "writes, applies the view ops as NumPy calls and sends the view through the\n"
    "transport as a user calls it: reduce and loky as joblib.Parallel(n_jobs=2,\n"
    "backend=\"loky\"), multiprocessing and threading as those joblib backends,\n"
    "pool-spawn and pool-forkserver as multiprocessing.get_context(...).Pool(2),\n"
    "pickle2..pickle5 and pickle5-oob as pickle.dumps/loads (reference rebuilds\n"
    "with memlayout's reference reducer). It prints the parent's and the\n"
    "receiver's shape, strides, dtype, flags and first values side by side,\n"
    "checks what the transport must keep (docs/oracle.md: a shared memmap view\n"
    "its layout, writeability and file position, a copy its values and C/F\n"
    "order), and exits 1 while what arrives differs from what was sent, 0 once\n"
    "it is the same.\n"
    "\n"
    "--full prints instead the long self-checking script: memlayout's whole\n"
    "judge in Python, with the transport sent as memlayout's runner sends it\n"
    "(for reduce, joblib's forward reducer in process) and a \"verdict:\" line.\n"
    "That script takes --reducer reference (or MEMLAYOUT_REDUCER=reference): it\n"
    "then patches memlayout's reference reducer into joblib first, importing\n"
    "memlayout_reference from $MEMLAYOUT_PYTHON or this build's harness/python;\n"
    "that is the correct-reducer environment, where it exits 0.\n"
    "\n"
    "  -o, --out FILE       write the script to FILE (executable) instead of stdout\n"
    "      --full           the long self-checking script instead of the short one\n"
    "      --minimize       minimize the case first (budget: --max-tries, --max-seconds)\n"
    "      --max-tries N    minimizing: cases judged at most (default 500)\n"
    "      --max-seconds S  minimizing: seconds at most (default 60)\n"
    "      --no-run         do not run the case first (the script then does not\n"
    "                       say what memlayout saw)\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 script written, 2 bad arguments or case, 3 broken\n"
    "environment or the script could not be written\n";

enum { OPT_MAX_SECONDS = 4000, OPT_MAX_TRIES };

int ml_cmd_repro(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    ml_minimize_opts mo;
    memset(&mo, 0, sizeof mo);
    const char *out = NULL;
    bool minimize = false, run = true, full = false;
    enum { OPT_MINIMIZE = 5000, OPT_NO_RUN, OPT_FULL };
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'}, {"minimize", no_argument, 0, OPT_MINIMIZE},
        {"no-run", no_argument, 0, OPT_NO_RUN}, {"full", no_argument, 0, OPT_FULL}, {"max-tries", required_argument, 0, OPT_MAX_TRIES},
        {"max-seconds", required_argument, 0, OPT_MAX_SECONDS}, ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "o:j:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("repro", opt, &co))
            continue;
        switch (opt) {
        case 'o': out = optarg; break;
        case OPT_MINIMIZE: minimize = true; break;
        case OPT_NO_RUN: run = false; break;
        case OPT_FULL: full = true; break;
        case OPT_MAX_TRIES: mo.max_tries = (int)ml_cli_int("repro", "--max-tries", optarg, 1, 1000000); break;
        case OPT_MAX_SECONDS: mo.max_seconds = ml_cli_seconds("repro", "--max-seconds", optarg); break;
        case 'h': fputs(repro_help, stdout); return ML_EXIT_OK;
        default: fputs(repro_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        ml_cli_usage("repro", "expected one case file%s", "");
    if (minimize && !run)
        ml_cli_usage("repro", "--minimize runs the case: it cannot go with --no-run%s", "");
    int env_rc = run ? ml_cli_common_env("repro", &co) : 0;   /* --no-run runs no Python */
    if (env_rc)
        return env_rc;
    ml_case *c = malloc(sizeof *c), *min = malloc(sizeof *min);
    ml_outcome *o = malloc(sizeof *o);
    int rc = ML_EXIT_OK;
    char observed[512] = "", vline[256] = "", err[1024];
    if (!c || !min || !o || !ml_cli_read_case("repro", argv[optind], &co.lim, c)) {
        rc = ML_EXIT_USAGE;
        goto done;
    }
    if (run) {
        ml_cli_install_signals();
        char *tmp;
        ml_session *s = ml_cli_open_session("repro", &co, NULL, &tmp);
        if (!s) {
            rc = ml_cli_stop ? ml_cli_interrupted_exit() : ML_EXIT_ENV;
            goto done;
        }
        if (minimize) {
            ml_minimize_stats st;
            mo.lim = co.lim;
            mo.stop = &ml_cli_stop;
            if (ml_minimize(s, c, &mo, min, &st, err, sizeof err)) {
                *c = *min;
                if (st.stopped_early)
                    fprintf(stderr, "memlayout repro: minimizing stopped early (%s)\n", st.stop_reason);
            } else {
                fprintf(stderr, "memlayout repro: not minimized: %s\n", err);
            }
        }
        bool ok = ml_session_judge(s, c, o, err, sizeof err);
        if (ok) {
            ml_sig sig;
            char vs[256];
            ml_sig_from(c, &o->r, &o->v, &sig);
            snprintf(observed, sizeof observed, "%s (%s, %s)", ml_verdict_str(&o->v, vs, sizeof vs),
                     sig.transition, ml_transport_name(c->transport));
            ml_cli_versions_line(ml_session_versions(s), vline, sizeof vline);
        }
        ml_cli_close_session(s, tmp);
        if (!ok) {
            fprintf(stderr, "memlayout repro: %s\n", err);
            rc = ML_EXIT_ENV;
            goto done;
        }
        if (ml_cli_stop) {
            rc = ml_cli_interrupted_exit();
            goto done;
        }
    }
    ml_repro_opts ro = {.observed = observed[0] ? observed : NULL, .versions = vline[0] ? vline : NULL,
                        .full = full};
    char *script = ml_repro_script(c, &ro);
    if (!script) {
        fprintf(stderr, "memlayout repro: out of memory\n");
        rc = ML_EXIT_ENV;
        goto done;
    }
    if (out) {
        if (!ml_write_atomic(out, script, strlen(script), err, sizeof err)) {
            fprintf(stderr, "memlayout repro: --out: %s\n", err);
            rc = ML_EXIT_ENV;
        } else {
            chmod(out, 0755);
            if (!co.quiet)
                fprintf(stderr, "memlayout repro: wrote %s%s%s\n", out, observed[0] ? "; memlayout saw " : "",
                        observed);
        }
    } else {
        fputs(script, stdout);
    }
    free(script);
done:
    free(c);
    free(min);
    free(o);
    return rc;
}
