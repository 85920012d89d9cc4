/* A list of case files run as one campaign, each case's verdict kept beside
 * it: what ci and matrix replay. */
#ifndef ML_CASE_SET_H
#define ML_CASE_SET_H

#include "campaign.h"
#include "cli.h"

typedef struct {
    int n, pos;
    ml_case *cases;
    char **paths;
    /* per case, filled by the campaign */
    char **verdict, **detail, **result_json;
    ml_vkind *kind;
    double *seconds;
    int *severity;          /* ml_severity of the most severe defect; -1: none */
    char (*bug)[9];         /* that defect's bug id, or "" */
} ml_case_set;

/* Reads the case files under each path; skip (may be NULL) is a file to
 * leave out (the baseline). False (message printed) on a bad case or none;
 * ml_case_set_free cs either way. */
bool ml_case_set_load(const char *cmd, ml_case_set *cs, int npaths, char **paths, const char *skip,
                      const ml_limits *lim);
/* Runs every case of cs with Python options py. Returns the campaign status;
 * *versions gets the runner's versions JSON (caller frees). */
ml_camp_status ml_case_set_run(const char *cmd, const ml_cli_common *co, const ml_py_opts *py,
                               ml_case_set *cs, char **versions);
void ml_case_set_free(ml_case_set *cs);

#endif
