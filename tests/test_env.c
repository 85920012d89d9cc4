/* The environment cache (env.h): requirement sets, names, lookups, listing and
 * removal on a cache built by hand (installing from PyPI: tests/e2e/envs.sh). */
#include "check.h"
#include "env.h"
#include "fsutil.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char *norm(const char *a, const char *b)
{
    const char *specs[2] = {a, b};
    char err[512];
    return ml_env_normalize(specs, b ? 2 : 1, err, sizeof err);
}

static void requirement_sets_should_not_depend_on_order_case_or_spelling(void)
{
    char *a = norm("numpy==2.3.*  Joblib==1.6.0", NULL);
    CHECK_STR(a, "joblib==1.6.0 numpy==2.3.*");
    char *b = norm("joblib==1.6.0", "numpy==2.3.*\tjoblib==1.6.0");
    CHECK_STR(b, a);
    char *c = norm("Foo_Bar..baz>=1,<2 scikit-learn[all]~=1.5", NULL);
    CHECK_STR(c, "foo-bar-baz>=1,<2 scikit-learn[all]~=1.5");
    free(a);
    free(b);
    free(c);
}

static void pip_options_paths_and_urls_should_be_refused(void)
{
    char err[512];
    const char *bad[] = {"-U", "--index-url=http://x", "./numpy", "/tmp/numpy.whl",
                         "https://example.org/numpy.whl", "==1.0", "", "  "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        char *r = ml_env_normalize(&bad[i], 1, err, sizeof err);
        CHECK(r == NULL);
        CHECK(err[0] != 0);
        free(r);
    }
    const char *opt = "numpy -U";
    CHECK(ml_env_normalize(&opt, 1, err, sizeof err) == NULL);
    CHECK(strstr(err, "\"-U\" is a pip option") != NULL);
}

static void set_names_should_be_readable_and_tell_sets_and_pythons_apart(void)
{
    char *a = ml_env_set_name("joblib==1.6.0 numpy==2.3.*");
    char *b = ml_env_set_name("joblib==1.6.0 numpy==2.3.*");
    char *c = ml_env_set_name("joblib==1.6.0 numpy==2.4.*");
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0);
    CHECK(strncmp(a, "joblib-1.6.0_numpy-2.3.x-py3.", 29) == 0);
    CHECK(strchr(a, '/') == NULL && strchr(a, '*') == NULL && strchr(a, ' ') == NULL);
    free(a);
    free(b);
    free(c);
}

static void the_default_root_should_follow_xdg_cache_home(void)
{
    char *old_xdg = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME")) : NULL;
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    char *r = ml_env_default_root();
    CHECK_STR(r, "/x/cache/memlayout/envs");
    free(r);
    setenv("XDG_CACHE_HOME", "relative/ignored", 1);
    setenv("HOME", "/home/u", 1);
    r = ml_env_default_root();
    CHECK_STR(r, "/home/u/.cache/memlayout/envs");
    free(r);
    unsetenv("XDG_CACHE_HOME");
    r = ml_env_default_root();
    CHECK_STR(r, "/home/u/.cache/memlayout/envs");
    free(r);
    if (old_xdg)
        setenv("XDG_CACHE_HOME", old_xdg, 1);
    if (old_home)
        setenv("HOME", old_home, 1);
    free(old_xdg);
    free(old_home);
}

typedef struct {
    int n;
    char reqs[256], resolved[256], site[1024];
    bool current;
} seen;

static void remember(void *ctx, const ml_env_info *e)
{
    seen *s = ctx;
    s->n++;
    snprintf(s->reqs, sizeof s->reqs, "%s", e->reqs);
    snprintf(s->resolved, sizeof s->resolved, "%s", e->resolved);
    snprintf(s->site, sizeof s->site, "%s", e->site);
    s->current = e->current;
}

/* ROOT/SET/RES/{site,env.json} and ROOT/SET/current -> RES, as an install leaves them. */
static void fake_install(const char *root, const char *reqs)
{
    char err[256], path[2048], text[512];
    char *set = ml_env_set_name(reqs);
    snprintf(path, sizeof path, "%s/%s/joblib-1.6.0/site/joblib", root, set);
    CHECK(ml_mkdirs(path, err, sizeof err));
    snprintf(path, sizeof path, "%s/%s/joblib-1.6.0/env.json", root, set);
    snprintf(text, sizeof text, "{\"memlayout_env\": 1, \"requirements\": \"%s\", \"python\": \"3.11\", "
             "\"resolved\": {\"joblib\": \"1.6.0\"}}", reqs);
    CHECK(ml_write_atomic(path, text, strlen(text), err, sizeof err));
    snprintf(path, sizeof path, "%s/%s/current", root, set);
    CHECK(symlink("joblib-1.6.0", path) == 0);
    free(set);
}

static void a_cached_set_should_be_found_listed_used_and_removed(void)
{
    char err[512];
    char *tmp = ml_tmpdir_create(err, sizeof err), root[1024];
    CHECK(tmp != NULL);
    if (!tmp)
        return;
    snprintf(root, sizeof root, "%s/envs", tmp);
    seen s = {0};
    CHECK(ml_env_list(root, remember, &s, err, sizeof err) == 0);   /* no root yet: none */
    CHECK(ml_env_find(root, "joblib==1.6.0") == NULL);
    CHECK(ml_env_remove(root, "joblib==1.6.0", err, sizeof err) == 0);

    fake_install(root, "joblib==1.6.0");
    char *site = ml_env_find(root, "joblib==1.6.0");
    CHECK(site && strstr(site, "/joblib-1.6.0/site") && strncmp(site, root, strlen(root)) == 0);
    CHECK(ml_env_find(root, "joblib==1.5.0") == NULL);

    /* cached: no pip runs (there is no network in this test) */
    ml_env_opts o = {.quiet = true, .who = "test"};
    char *got = NULL;
    bool installed = true;
    int sig = -1;
    CHECK(ml_env_ensure(root, "joblib==1.6.0", &o, &got, &installed, &sig, err, sizeof err) == ML_ENV_OK);
    CHECK_STR(got, site);
    CHECK(!installed);

    CHECK(ml_env_list(root, remember, &s, err, sizeof err) == 1);
    CHECK_STR(s.reqs, "joblib==1.6.0");
    CHECK_STR(s.resolved, "joblib 1.6.0");
    CHECK_STR(s.site, site);
    CHECK(s.current);

    fake_install(root, "numpy==2.3.*");
    CHECK(ml_env_remove(root, "joblib==1.6.0", err, sizeof err) == 1);
    CHECK(ml_env_find(root, "joblib==1.6.0") == NULL);
    char *np = ml_env_find(root, "numpy==2.3.*");
    CHECK(np != NULL);
    free(np);
    CHECK(ml_env_remove(root, NULL, err, sizeof err) == 1);   /* --all */
    s.n = 0;
    CHECK(ml_env_list(root, remember, &s, err, sizeof err) == 0 && s.n == 0);
    free(site);
    free(got);
    ml_rmtree(tmp);
    free(tmp);
}

int main(void)
{
    RUN(requirement_sets_should_not_depend_on_order_case_or_spelling);
    RUN(pip_options_paths_and_urls_should_be_refused);
    RUN(set_names_should_be_readable_and_tell_sets_and_pythons_apart);
    RUN(the_default_root_should_follow_xdg_cache_home);
    RUN(a_cached_set_should_be_found_listed_used_and_removed);
    return check_summary("test_env");
}
