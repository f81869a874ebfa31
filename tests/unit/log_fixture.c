/* log_fixture.c — the partition log tests' shared fixture (see
 * log_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/unit/log_fixture.h"

int log_fixture_setup(void **state, const char *name)
{
    log_fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->root, sizeof(f->root), "/tmp/strait-%s-XXXXXX", name);
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof(f->dir), "%s/topic-0", f->root);
    snprintf(f->copy, sizeof(f->copy), "%s/copy-0", f->root);
    assert_int_equal(mkdir(f->dir, 0755), 0);
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int log_fixture_teardown(void **state)
{
    log_fixture *f = *state;
    nftw(f->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

st_log *log_fixture_open(const char *dir, const st_log_config *cfg, bool clean,
                         st_log_open_info *info)
{
    st_log *log = NULL;
    st_log_open_info tmp;
    st_err err = st_log_open(dir, cfg, clean, T0, &log, info ? info : &tmp);
    if (err)
        fail_msg("st_log_open: %s (%s)", st_err_name(err), (info ? info : &tmp)->detail);
    return log;
}

int log_fixture_count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    size_t k = strlen(suffix);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len >= k && strcmp(e->d_name + len - k, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}
