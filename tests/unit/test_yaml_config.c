/* test_yaml_config.c — YAML settings files: flat and nested keys, lists,
 * nulls, duplicate keys, shape and syntax errors with line numbers, files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/yaml_config.h"

static st_err load(yaml_config *c, const char *text, char *err, size_t errlen)
{
    yaml_config_init(c);
    return yaml_config_load_string(c, "test.yaml", text, strlen(text), err, errlen);
}

static void assert_entry(const yaml_config *c, const char *key, const char *value, int line)
{
    const yaml_config_entry *e = yaml_config_find(c, key);
    assert_non_null(e);
    if (value == NULL)
        assert_null(e->value);
    else
        assert_string_equal(e->value, value);
    assert_int_equal(e->line, line);
}

static void test_flat_keys_in_order(void **state)
{
    (void)state;
    yaml_config c;
    char err[256] = "";
    const char *text = "# comment\n"
                       "log.retention.hours: 168\n"
                       "num.partitions: 3\n"
                       "\n"
                       "log.dirs: \"/var/lib/strait\"\n";
    assert_int_equal(load(&c, text, err, sizeof(err)), ST_OK);
    assert_int_equal(c.count, 3);
    assert_string_equal(c.entries[0].key, "log.retention.hours");
    assert_string_equal(c.entries[1].key, "num.partitions");
    assert_string_equal(c.entries[2].key, "log.dirs");
    assert_entry(&c, "log.retention.hours", "168", 2);
    assert_entry(&c, "num.partitions", "3", 3);
    assert_entry(&c, "log.dirs", "/var/lib/strait", 5);
    assert_null(yaml_config_find(&c, "log"));
    yaml_config_free(&c);
}

static void test_nested_mappings_flatten(void **state)
{
    (void)state;
    yaml_config c;
    char err[256] = "";
    const char *text = "log:\n"
                       "  retention:\n"
                       "    hours: 24\n"
                       "    check.interval.ms: 1000\n"
                       "  segment.bytes: 1024\n"
                       "inline: {a: 1, b: {c: 2}}\n";
    assert_int_equal(load(&c, text, err, sizeof(err)), ST_OK);
    assert_int_equal(c.count, 5);
    assert_entry(&c, "log.retention.hours", "24", 3);
    assert_entry(&c, "log.retention.check.interval.ms", "1000", 4);
    assert_entry(&c, "log.segment.bytes", "1024", 5);
    assert_entry(&c, "inline.a", "1", 6);
    assert_entry(&c, "inline.b.c", "2", 6);
    yaml_config_free(&c);
}

static void test_sequences_join_with_commas(void **state)
{
    (void)state;
    yaml_config c;
    char err[256] = "";
    const char *text = "listeners: [PLAINTEXT://127.0.0.1:9092]\n"
                       "log.dirs:\n"
                       "  - /a\n"
                       "  - /b\n"
                       "empty: []\n"
                       "cleanup: [compact, delete]\n";
    assert_int_equal(load(&c, text, err, sizeof(err)), ST_OK);
    assert_entry(&c, "listeners", "PLAINTEXT://127.0.0.1:9092", 1);
    assert_entry(&c, "log.dirs", "/a,/b", 2);
    assert_entry(&c, "empty", "", 5);
    assert_entry(&c, "cleanup", "compact,delete", 6);
    yaml_config_free(&c);
}

static void test_nulls_and_quoted_values(void **state)
{
    (void)state;
    yaml_config c;
    char err[256] = "";
    const char *text = "a:\n"
                       "b: ~\n"
                       "c: null\n"
                       "d: \"null\"\n"
                       "e: ''\n"
                       "f: 'x: y'\n";
    assert_int_equal(load(&c, text, err, sizeof(err)), ST_OK);
    assert_entry(&c, "a", NULL, 1);
    assert_entry(&c, "b", NULL, 2);
    assert_entry(&c, "c", NULL, 3);
    assert_entry(&c, "d", "null", 4);
    assert_entry(&c, "e", "", 5);
    assert_entry(&c, "f", "x: y", 6);
    yaml_config_free(&c);
}

static void test_empty_documents(void **state)
{
    (void)state;
    const char *texts[] = {"", "# only a comment\n", "---\n", "---\n...\n"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        yaml_config c;
        char err[256] = "";
        assert_int_equal(load(&c, texts[i], err, sizeof(err)), ST_OK);
        assert_int_equal(c.count, 0);
        yaml_config_free(&c);
    }
}

static void test_duplicate_keys_name_both_lines(void **state)
{
    (void)state;
    yaml_config c;
    char err[256] = "";
    const char *flat = "a: 1\n"
                       "b: 2\n"
                       "a: 3\n";
    assert_int_equal(load(&c, flat, err, sizeof(err)), ST_ERR_MALFORMED);
    assert_non_null(strstr(err, "test.yaml:3:"));
    assert_non_null(strstr(err, "'a'"));
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(c.count, 0);
    yaml_config_free(&c);

    /* the same setting written flat and nested */
    const char *mixed = "log.retention.hours: 1\n"
                        "log:\n"
                        "  retention:\n"
                        "    hours: 2\n";
    assert_int_equal(load(&c, mixed, err, sizeof(err)), ST_ERR_MALFORMED);
    assert_non_null(strstr(err, "test.yaml:4:"));
    assert_non_null(strstr(err, "'log.retention.hours'"));
    assert_non_null(strstr(err, "line 1"));
    yaml_config_free(&c);
}

static void test_syntax_error_names_line(void **state)
{
    (void)state;
    yaml_config c;
    char err[256] = "";
    const char *text = "a: 1\n"
                       "b: [1, 2\n"
                       "c: 3\n";
    assert_int_equal(load(&c, text, err, sizeof(err)), ST_ERR_MALFORMED);
    assert_non_null(strstr(err, "test.yaml:"));
    assert_non_null(strstr(err, "YAML syntax error"));
    yaml_config_free(&c);

    const char *bad_indent = "a: 1\n"
                             "  b: 2\n";
    assert_int_equal(load(&c, bad_indent, err, sizeof(err)), ST_ERR_MALFORMED);
    assert_non_null(strstr(err, "test.yaml:2:"));
    yaml_config_free(&c);
}

static void test_shapes_refused(void **state)
{
    (void)state;
    struct {
        const char *text;
        const char *needle;
        st_err err;
    } cases[] = {
        {"just a scalar\n", "top level must be a map", ST_ERR_MALFORMED},
        {"- a\n- b\n", "top level must be a map", ST_ERR_MALFORMED},
        {"a: [{b: 1}]\n", "'a': a list may hold only plain", ST_ERR_MALFORMED},
        {"a: [[1]]\n", "'a': a list may hold only plain", ST_ERR_MALFORMED},
        {"a: [1, ~]\n", "'a': a list may hold only plain", ST_ERR_MALFORMED},
        {"? [x]\n: 1\n", "setting name must be a plain", ST_ERR_MALFORMED},
        {"a: &x 1\nb: *x\n", "aliases are not supported", ST_ERR_UNSUPPORTED},
        {"a: 1\n---\nb: 2\n", "only one YAML document", ST_ERR_MALFORMED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        yaml_config c;
        char err[256] = "";
        assert_int_equal(load(&c, cases[i].text, err, sizeof(err)), cases[i].err);
        if (strstr(err, cases[i].needle) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].needle);
        assert_non_null(strstr(err, "test.yaml:"));
        yaml_config_free(&c);
    }
}

static void test_deep_nesting_is_bounded(void **state)
{
    (void)state;
    char text[4096];
    size_t used = 0;
    for (int i = 0; i < 100; i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "k%d: {", i);
    used += (size_t)snprintf(text + used, sizeof(text) - used, "v: 1");
    for (int i = 0; i < 100; i++)
        text[used++] = '}';
    text[used++] = '\n';
    text[used] = '\0';
    yaml_config c;
    char err[256] = "";
    assert_int_equal(load(&c, text, err, sizeof(err)), ST_ERR_TOO_LARGE);
    assert_non_null(strstr(err, "nested"));
    yaml_config_free(&c);
}

static void test_files(void **state)
{
    (void)state;
    char path[] = "/tmp/strait-yaml-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "a: 1\nb:\n  c: two\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);

    yaml_config c;
    char err[256] = "";
    yaml_config_init(&c);
    assert_int_equal(yaml_config_load_file(&c, path, err, sizeof(err)), ST_OK);
    assert_string_equal(c.source, path);
    assert_entry(&c, "a", "1", 1);
    assert_entry(&c, "b.c", "two", 3);
    yaml_config_free(&c);
    unlink(path);

    yaml_config_init(&c);
    assert_int_equal(yaml_config_load_file(&c, path, err, sizeof(err)), ST_ERR_IO);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "cannot open"));
    yaml_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flat_keys_in_order),
        cmocka_unit_test(test_nested_mappings_flatten),
        cmocka_unit_test(test_sequences_join_with_commas),
        cmocka_unit_test(test_nulls_and_quoted_values),
        cmocka_unit_test(test_empty_documents),
        cmocka_unit_test(test_duplicate_keys_name_both_lines),
        cmocka_unit_test(test_syntax_error_names_line),
        cmocka_unit_test(test_shapes_refused),
        cmocka_unit_test(test_deep_nesting_is_bounded),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
