/* memlayout bisect: the first commit of a pure-Python package's history
 * (joblib by default) where a case's verdict, or one bug's presence,
 * changes. The search of one case is rev_bisect.h's. */
#include "cli.h"
#include "rev_bisect.h"
#include "store.h"

#include <cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char bisect_help[] =
    "usage: memlayout bisect [options] --repo DIR --old REV --new REV CASE\n"
    "       memlayout bisect [options] --repo DIR --old REV --new REV --bug ID RUN_DIR\n"
    "\n"
    "Find the first commit of a pure-Python package's history where a case's\n"
    "verdict changes: where a bug appeared (a regression range) or went away\n"
    "(a fixed range). DIR is a git checkout of the package (joblib unless\n"
    "--package says otherwise). For each commit it tests, memlayout exports\n"
    "that commit's package folder (git archive) into its private temp dir,\n"
    "checks in a fresh Python that the package imports from there, and runs\n"
    "the case in a fresh Python child with that folder first on sys.path, as\n"
    "--python-path does. The checkout is only read: its work tree, index,\n"
    "HEAD and bisect state stay as they are.\n"
    "\n"
    "The verdict at --old is the reference. The answer is the first commit on\n"
    "the first-parent path from --old to --new (git rev-list --first-parent\n"
    "--reverse OLD..NEW) whose verdict differs from it, found by binary search\n"
    "in about log2(N) runs; each step prints the commit, its verdict and how\n"
    "many commits the range still holds. A commit where the package folder is\n"
    "missing, the package does not import or the case is invalid is skipped,\n"
    "as git bisect skip does: a neighbour is tested instead, and if only\n"
    "skipped commits separate the last commit with the old verdict from the\n"
    "first with another, the answer is that range (\"between A and B, N\n"
    "commits skipped\").\n"
    "\n"
    "--bug ID RUN_DIR bisects bug ID of a triaged run (RUN_DIR/triage.json, as\n"
    "memlayout run or triage --out write it): its minimized case\n"
    "(RUN_DIR/bugs/ID.json) is run, and the verdict is whether the outcome\n"
    "shows that bug (its root-cause signature, as triage names it), so another\n"
    "bug appearing on the way does not mislead the search.\n"
    "\n"
    "      --repo DIR       the git checkout (required)\n"
    "      --old REV        the reference commit: sha, tag, branch (required)\n"
    "      --new REV        a later commit; --old must be its ancestor (required)\n"
    "      --package NAME   the import name of the package (default joblib)\n"
    "      --subdir PATH    its folder in the repository (default NAME, else\n"
    "                       src/NAME, whichever the commit has)\n"
    "      --bug ID         bisect bug ID of the triaged run RUN_DIR\n"
    "      --out DIR        write DIR/bisect.json (default: RUN_DIR with --bug,\n"
    "                       where memlayout report shows the range; else\n"
    "                       out/bisect)\n"
    "  -T, --transport L    run the case through each of these transports\n"
    "                       instead of its own (comma-separated, all, pickle);\n"
    "                       a commit's verdict is then all of theirs\n"
    ML_CLI_COMMON_HELP
    "\n"
    "exit status: 0 a first changed commit found, 1 the verdict at --new is\n"
    "the one at --old (nothing to bisect), 2 bad arguments (not a git\n"
    "repository, an unknown revision, --old not an ancestor of --new, the\n"
    "package not importable at --old or --new, a bad case or bug), 3 broken\n"
    "environment (git, Python, disk), 130 interrupted by SIGINT, 143 SIGTERM,\n"
    "129 SIGHUP (the temp trees are removed)\n";

/* The answer of a bisect.json document with a first changed commit. */
static void print_range(const cJSON *j)
{
    const cJSON *sk = cJSON_GetObjectItemCaseSensitive(j, "skipped"), *k;
    int skipped = cJSON_GetArraySize(sk);
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "result"));
    int runs = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "runs"));
    int n = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "commits"));
    printf("first changed commit: %s %.10s %s\n", ml_rb_str(j, "first_changed", "commit"), ml_rb_str(j, "first_changed", "date"),
           ml_rb_str(j, "first_changed", "subject"));
    if (skipped)
        printf("  range: between %.12s and %.12s, %d commit%s skipped (the change is in one of them or in %.12s)\n",
               ml_rb_str(j, "last_same", "commit"), ml_rb_str(j, "first_changed", "commit"), skipped, skipped == 1 ? "" : "s",
               ml_rb_str(j, "first_changed", "commit"));
    cJSON_ArrayForEach(k, sk) {
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "skipped"));
        printf("  skipped %.12s %s: %s\n", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "commit")),
               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "subject")), why ? why : "not tested");
    }
    printf("  before: %.12s %s: %s\n", ml_rb_str(j, "last_same", "commit"), ml_rb_str(j, "last_same", "subject"),
           ml_rb_str(j, "last_same", "verdict"));
    printf("  at it:  %.12s %s: %s\n", ml_rb_str(j, "first_changed", "commit"), ml_rb_str(j, "first_changed", "subject"),
           ml_rb_str(j, "first_changed", "verdict"));
    printf("  %s range, %d run%s for %d commit%s\n", kind ? kind : "?", runs, runs == 1 ? "" : "s", n,
           n == 1 ? "" : "s");
}

static void bad(const char *field, const char *reason)
{
    fprintf(stderr, "memlayout bisect: %s: %s\n", field, reason);
}

enum { OPT_REPO = 5000, OPT_OLD, OPT_NEW, OPT_PACKAGE, OPT_SUBDIR, OPT_BUG, OPT_OUT };

int ml_cmd_bisect(int argc, char **argv)
{
    ml_cli_common co;
    ml_cli_common_init(&co);
    const char *repo = NULL, *old_rev = NULL, *new_rev = NULL, *package = "joblib", *subdir = NULL, *bug = NULL,
               *out = NULL;
    uint32_t transports = 0;
    static const struct option lo[] = {
        {"repo", required_argument, 0, OPT_REPO}, {"old", required_argument, 0, OPT_OLD},
        {"new", required_argument, 0, OPT_NEW}, {"package", required_argument, 0, OPT_PACKAGE},
        {"subdir", required_argument, 0, OPT_SUBDIR}, {"bug", required_argument, 0, OPT_BUG},
        {"out", required_argument, 0, OPT_OUT}, {"transport", required_argument, 0, 'T'},
        ML_CLI_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "T:j:qh", lo, NULL)) != -1) {
        if (ml_cli_common_option("bisect", opt, &co))
            continue;
        switch (opt) {
        case OPT_REPO: repo = optarg; break;
        case OPT_OLD: old_rev = optarg; break;
        case OPT_NEW: new_rev = optarg; break;
        case OPT_PACKAGE: package = optarg; break;
        case OPT_SUBDIR: subdir = optarg; break;
        case OPT_BUG: bug = optarg; break;
        case OPT_OUT: out = optarg; break;
        case 'T': transports = ml_cli_transports("bisect", optarg); break;
        case 'h': fputs(bisect_help, stdout); return ML_EXIT_OK;
        default: fputs(bisect_help, stderr); return ML_EXIT_USAGE;
        }
    }
    char err[1024];
    if (optind != argc - 1)
        ml_cli_usage("bisect", bug ? "expected one run directory (--bug ID RUN_DIR)%s" : "expected one case file%s",
                     "");
    const char *input = argv[optind];
    if (bug && (strlen(bug) != 8 || strspn(bug, "0123456789abcdef") != 8)) {
        bad("--bug", "expected a bug id: 8 hex digits, as triage names it");
        return ML_EXIT_USAGE;
    }
    /* the case, or the bug's minimized case */
    char case_path[4200];
    snprintf(case_path, sizeof case_path, "%s", input);
    if (bug && !ml_store_bug_case(input, bug, case_path, sizeof case_path, err, sizeof err)) {
        bad("--bug", err);
        return ML_EXIT_USAGE;
    }
    ml_case *c = malloc(sizeof *c);
    if (!c || !ml_cli_read_case("bisect", case_path, &co.lim, c)) {
        free(c);
        return ML_EXIT_USAGE;
    }
    /* the repository and the range */
    ml_rb_range rg = {.co = &co, .repo = repo, .package = package, .subdir = subdir, .old_rev = old_rev,
                      .new_rev = new_rev};
    int rc = ml_rb_open("bisect", &rg);
    if (!rc)
        rc = ml_cli_common_env("bisect", &co);
    if (rc) {
        ml_rb_close(&rg);
        free(c);
        return rc;
    }
    ml_cli_install_signals();
    ml_rb_out ro;
    switch (ml_rb_case(&rg, c, case_path, transports, bug, !co.quiet, &ro)) {
    case ML_RB_NO_OLD: bad("--old", ro.err); rc = ML_EXIT_USAGE; break;
    case ML_RB_NO_NEW: bad("--new", ro.err); rc = ML_EXIT_USAGE; break;
    case ML_RB_STOPPED: rc = ml_cli_interrupted_exit(); break;
    case ML_RB_BROKEN:
        fprintf(stderr, "memlayout bisect: %s\n", ro.err);
        rc = ML_EXIT_ENV;
        break;
    case ML_RB_NO_CHANGE:
        if (!co.quiet)
            printf("no change: %s at --new %.12s as at --old %.12s\n",
                   ml_rb_str(ro.json, "new", "verdict"), rg.new_sha, rg.old_sha);
        rc = ML_EXIT_FINDINGS;
        break;
    case ML_RB_FOUND: print_range(ro.json); break;
    }
    if (ro.json) {
        char *text = cJSON_Print(ro.json);
        const char *dir = out ? out : bug ? input : "out/bisect";
        if (!text || !ml_store_write_bisect(dir, text, err, sizeof err)) {
            fprintf(stderr, "memlayout bisect: --out: %s\n", text ? err : "out of memory");
            rc = ML_EXIT_ENV;
        } else if (!co.quiet) {
            printf("wrote %s/%s\n", dir, ML_STORE_BISECT);
        }
        free(text);
        cJSON_Delete(ro.json);
    }
    ml_rb_close(&rg);
    free(c);
    return rc;
}
