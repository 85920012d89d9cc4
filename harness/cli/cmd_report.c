/* memlayout report: the command, and the call `run` makes when it ends. */
#include "cli.h"
#include "fsutil.h"
#include "report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char report_help[] =
    "usage: memlayout report [options] RESULTS\n"
    "\n"
    "Write one self-contained HTML page (inline CSS and SVG, no script, no\n"
    "network) about a run: environment and command, verdicts per transport,\n"
    "distinct findings with parent/child observations side by side, a verdict\n"
    "matrix (transport x layout class), coverage of the layout space, rate and\n"
    "findings over time, and regressions when results carry expected verdicts.\n"
    "\n"
    "RESULTS is a run or ci directory (summary.json, results.jsonl, findings/),\n"
    "a results.jsonl file, or a directory of finding case files (fuzzing).\n"
    "\n"
    "  -o, --out FILE       HTML file (default reports/NAME/index.html, NAME the\n"
    "                       last component of RESULTS)\n"
    "      --title T        page title\n"
    "      --max-findings N distinct findings shown in full (default 40)\n"
    "  -q, --quiet          do not print the path written\n"
    "  -h, --help           this text\n"
    "\n"
    "exit status: 0 written, 2 bad arguments or nothing to report, 3 the page\n"
    "could not be written\n";

int ml_cmd_report(int argc, char **argv)
{
    enum { OPT_TITLE = 4000, OPT_MAXF };
    static const struct option lo[] = {{"out", required_argument, 0, 'o'}, {"title", required_argument, 0, OPT_TITLE},
                                       {"max-findings", required_argument, 0, OPT_MAXF},
                                       {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    ml_report_opts o = {0};
    const char *out = NULL;
    bool quiet = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:qh", lo, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case OPT_TITLE: o.title = optarg; break;
        case OPT_MAXF: o.max_findings = (int)ml_cli_int("report", "--max-findings", optarg, 1, 10000); break;
        case 'q': quiet = true; break;
        case 'h': fputs(report_help, stdout); return ML_EXIT_OK;
        default: fputs(report_help, stderr); return ML_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        ml_cli_usage("report", "expected a results directory or results.jsonl%s", "");
    if (optind + 1 < argc)
        ml_cli_usage("report", "unexpected argument \"%s\"", argv[optind + 1]);
    const char *in = argv[optind];
    char *def = out ? NULL : ml_report_default_path(in);
    if (!out)
        out = def;
    if (!out) {
        fprintf(stderr, "memlayout report: out of memory\n");
        return ML_EXIT_ENV;
    }
    char err[1024] = "";
    ml_report_stats st;
    ml_report_status rs = ml_report_build(in, out, &o, &st, err, sizeof err);
    if (rs != ML_REPORT_OK) {
        fprintf(stderr, "memlayout report: %s\n", err);
        free(def);
        return rs == ML_REPORT_BAD_INPUT ? ML_EXIT_USAGE : ML_EXIT_ENV;
    }
    if (st.lines && st.bad_lines == st.lines && !st.findings) {
        /* every line was garbage: a page of nothing would look like a clean run */
        unlink(out);
        char shown[1024];
        fprintf(stderr, "memlayout report: %s: nothing to report: none of its %llu result lines parsed\n",
                ml_printable(in, shown, sizeof shown), (unsigned long long)st.lines);
        free(def);
        return ML_EXIT_USAGE;
    }
    if (!quiet) {
        printf("report: %s (%zu bytes; %llu result lines, %llu findings in %d distinct)\n", out, st.bytes,
               (unsigned long long)st.lines, (unsigned long long)st.findings, st.distinct);
        if (st.bad_lines)
            printf("report: %llu lines of results.jsonl did not parse and were left out\n",
                   (unsigned long long)st.bad_lines);
    }
    free(def);
    return ML_EXIT_OK;
}

bool ml_report_after_run(const char *out_dir, const char *report_path, bool quiet)
{
    char *def = report_path ? NULL : ml_report_default_path(out_dir);
    const char *path = report_path ? report_path : def;
    char err[1024] = "";
    ml_report_stats st;
    bool ok = path && ml_report_build(out_dir, path, NULL, &st, err, sizeof err) == ML_REPORT_OK;
    if (!ok)
        fprintf(stderr, "memlayout: report: %s\n", path ? err : "out of memory");
    else if (!quiet)
        printf("report: %s\n", path);
    free(def);
    return ok;
}
