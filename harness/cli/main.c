/* memlayout: the command line. Each command is a file of its own
 * (cmd_NAME.c); the work is in the library (harness/lib/) and the report
 * (harness/report/). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"run", ml_cmd_run, "random campaign; findings are saved as replayable case files"},
    {"replay", ml_cmd_replay, "run case files or directories, print verdicts"},
    {"gen", ml_cmd_gen, "print random cases"},
    {"minimize", ml_cmd_minimize, "shrink a failing case to the smallest case of the same signature"},
    {"triage", ml_cmd_triage, "distinct bugs among a run's findings, each minimized"},
    {"repro", ml_cmd_repro, "standalone Python reproducer for a case (exits 1 while the bug is there)"},
    {"ci", ml_cmd_ci, "regression job against corpus baselines (JUnit, SARIF)"},
    {"bisect", ml_cmd_bisect, "first commit of a package's git history where a case's verdict changes"},
    {"matrix", ml_cmd_matrix, "replay cases in several environments: cases x environments"},
    {"report", ml_cmd_report, "HTML report of a run, fuzzing session, ci or matrix results"},
    {"env", ml_cmd_env, "Python environments from PyPI that --with runs in: list, add, rm"},
    {"version", ml_cmd_version, NULL},   /* also --version; listed below the table */
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static void print_help(FILE *f)
{
    fputs("usage: memlayout COMMAND [options]\n"
          "\n"
          "Finds NumPy memmap layout bugs across process boundaries: random arrays\n"
          "are built on memory-mapped files, sent through joblib, multiprocessing and\n"
          "pickle, and what arrives is compared with what was sent.\n"
          "\n"
          "commands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (commands[i].summary)
            fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "  memlayout COMMAND --help   options of a command\n"
          "  memlayout --version        versions of memlayout, Python, NumPy, joblib\n"
          "                             (--with REQS: of that environment, and its workers')\n", f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return ML_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        print_help(stdout);
        return ML_EXIT_OK;
    }
    if (!strcmp(cmd, "--version"))
        cmd = "version";
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "memlayout: unknown command \"%s\" (see memlayout --help)\n", cmd);
    return ML_EXIT_USAGE;
}
