/* args.c — the tools' option parser (see tool.h).
 *
 * Owns Kafka's command-line conventions (joptsimple): long options only,
 * "--name value" or "--name=value", any unique prefix of a name, options
 * repeatable, --help and --version everywhere, and the two-column usage
 * table. A bad flag ends the program with the problem and the usage on
 * stderr and exit status 1: that is the whole error policy here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tool.h"

static const tool_opt help_opt = {"help", OPT_FLAG, NULL, "Print usage information.", NULL};
static const tool_opt version_opt = {"version", OPT_FLAG, NULL,
                                     "Display Kafka version.", NULL};

/* The option called name, or the only one name is a prefix of; -1 when
 * none, -2 when ambiguous. Exact matches win over prefixes. */
static int find_opt(const tool_args *a, const char *name, size_t len)
{
    int found = -1;
    for (size_t i = 0; i < a->opt_count; i++) {
        const char *n = a->opts[i].name;
        if (strncmp(n, name, len) != 0)
            continue;
        if (n[len] == '\0')
            return (int)i;
        found = found == -1 ? (int)i : -2;
    }
    return found;
}

void tool_print_usage(const tool_args *a, FILE *f)
{
    fprintf(f, "%-40s %s\n%-40s %s\n", "Option", "Description", "------", "-----------");
    for (size_t i = 0; i <= a->opt_count + 1; i++) {
        const tool_opt *o = i < a->opt_count ? &a->opts[i]
                            : i == a->opt_count ? &help_opt : &version_opt;
        char left[256];
        if (o->kind == OPT_FLAG)
            snprintf(left, sizeof(left), "--%s", o->name);
        else if (o->kind == OPT_ARG)
            snprintf(left, sizeof(left), "--%s <%s>", o->name, o->arg_name ? o->arg_name : "value");
        else
            snprintf(left, sizeof(left), "--%s [%s]", o->name, o->arg_name ? o->arg_name : "value");
        if (strlen(left) > 40)
            fprintf(f, "%s\n%-40s ", left, "");
        else
            fprintf(f, "%-40s ", left);
        fprintf(f, "%s", o->help ? o->help : "");
        if (o->def)
            fprintf(f, " (default: %s)", o->def);
        fputc('\n', f);
    }
}

void tool_usage_exit(const tool_args *a, const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    tool_print_usage(a, stderr);
    exit(1);
}

static void add(tool_args *a, int opt, const char *value)
{
    a->occ[a->occ_count++] = (tool_occurrence){opt, value};
}

/* Handles --help/--version (exiting) before the tool's own options. */
static void builtin(tool_args *a, const char *name)
{
    if (strcmp(name, "help") == 0) {
        if (a->summary)
            printf("%s\n", a->summary);
        tool_print_usage(a, stdout);
        exit(0);
    }
    if (strcmp(name, "version") == 0) {
        printf("%s (strait)\n", STRAIT_VERSION);
        exit(0);
    }
}

void tool_args_parse(tool_args *a, const char *tool, const char *summary, const tool_opt *opts,
                     size_t opt_count, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    a->tool = tool;
    a->summary = summary;
    a->opts = opts;
    a->opt_count = opt_count;
    a->occ = calloc((size_t)argc + 1, sizeof(*a->occ));
    if (!a->occ) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
            tool_usage_exit(a, "Found non-option argument '%s': every argument must follow an "
                            "option (--name value)", arg);
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int k = find_opt(a, name, len);
        if (k == -1 && (strncmp(name, "help", len) == 0 || strncmp(name, "version", len) == 0))
            builtin(a, strncmp(name, "help", len) == 0 ? "help" : "version");
        if (k == -1)
            tool_usage_exit(a, "%.*s is not a recognized option", (int)len, name);
        if (k == -2)
            tool_usage_exit(a, "Option %.*s is ambiguous", (int)len, name);
        const tool_opt *o = &opts[k];
        if (o->kind == OPT_FLAG) {
            if (eq)
                tool_usage_exit(a, "Option %s does not take an argument", o->name);
            add(a, k, NULL);
        } else if (eq) {
            add(a, k, eq + 1);
        } else if (i + 1 < argc &&
                   (o->kind == OPT_ARG || strncmp(argv[i + 1], "--", 2) != 0)) {
            add(a, k, argv[++i]);
        } else if (o->kind == OPT_OPTIONAL_ARG) {
            add(a, k, NULL);
        } else {
            tool_usage_exit(a, "Option %s requires an argument", o->name);
        }
    }
}

void tool_args_free(tool_args *a)
{
    free(a->occ);
    a->occ = NULL;
    a->occ_count = 0;
}

static int opt_index(const tool_args *a, const char *name)
{
    for (size_t i = 0; i < a->opt_count; i++)
        if (strcmp(a->opts[i].name, name) == 0)
            return (int)i;
    return -1;
}

bool tool_has(const tool_args *a, const char *name)
{
    return tool_count(a, name) > 0;
}

size_t tool_count(const tool_args *a, const char *name)
{
    int k = opt_index(a, name);
    size_t n = 0;
    for (size_t i = 0; k >= 0 && i < a->occ_count; i++)
        n += a->occ[i].opt == k;
    return n;
}

const char *tool_value_at(const tool_args *a, const char *name, size_t index)
{
    int k = opt_index(a, name);
    for (size_t i = 0; k >= 0 && i < a->occ_count; i++)
        if (a->occ[i].opt == k && index-- == 0)
            return a->occ[i].value;
    return NULL;
}

const char *tool_get(const tool_args *a, const char *name, const char *def)
{
    size_t n = tool_count(a, name);
    const char *v = n ? tool_value_at(a, name, n - 1) : NULL;
    return v ? v : def;
}

int64_t tool_get_long(const tool_args *a, const char *name, int64_t def)
{
    const char *v = tool_get(a, name, NULL);
    if (!v)
        return def;
    char *end = NULL;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end)
        tool_usage_exit(a, "Cannot parse argument '%s' of option %s", v, name);
    return x;
}
