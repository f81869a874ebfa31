/* main.c — the `strait` command: `strait <tool> [options]`.
 *
 * Owns dispatching to one tool per file (tools/<tool>.c). The tool names
 * are Kafka's script names without "kafka-" and ".sh", so a tutorial's
 * `kafka-topics.sh --bootstrap-server ...` becomes `strait topics ...`;
 * Kafka's script names are accepted too, as the first argument
 * (`strait kafka-topics.sh ...`) or as the program name (a symlink called
 * kafka-topics.sh or strait-topics runs that tool). */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tools/tool.h"

typedef struct tool_entry {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} tool_entry;

static const tool_entry tools[] = {
    {"topics", tool_topics, "create, delete, describe or change topics"},
    {"console-producer", tool_console_producer, "write lines from stdin to a topic"},
    {"console-consumer", tool_console_consumer, "print a topic's records to stdout"},
    {"consumer-groups", tool_consumer_groups,
     "list, describe and delete consumer groups, reset their offsets"},
    {"configs", tool_configs, "describe and alter topic and broker configs"},
    {"get-offsets", tool_get_offsets, "print partitions' offsets (earliest, latest, by time)"},
};

#define TOOL_COUNT (sizeof(tools) / sizeof(tools[0]))

static void usage(FILE *f)
{
    fprintf(f, "Usage: strait <tool> [options]   (strait <tool> --help for a tool's options)\n\n");
    for (size_t i = 0; i < TOOL_COUNT; i++)
        fprintf(f, "  %-18s %s\n", tools[i].name, tools[i].what);
    fprintf(f, "\nThe tools take the flags of Kafka's scripts: `strait topics` is kafka-topics.sh.\n");
}

/* "topics", "kafka-topics", "kafka-topics.sh", "strait-topics" → the tool. */
static const tool_entry *find_tool(const char *name)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", name);
    char *s = buf;
    size_t n = strlen(s);
    if (n > 3 && strcmp(s + n - 3, ".sh") == 0)
        s[n - 3] = '\0';
    if (strncmp(s, "kafka-", 6) == 0)
        s += 6;
    else if (strncmp(s, "strait-", 7) == 0)
        s += 7;
    for (size_t i = 0; i < TOOL_COUNT; i++)
        if (strcmp(s, tools[i].name) == 0)
            return &tools[i];
    return NULL;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is an write error, not a silent death */
    char prog[256];
    snprintf(prog, sizeof(prog), "%s", argv[0]);
    const tool_entry *t = find_tool(basename(prog));
    if (t && strcmp(basename(prog), "strait") != 0)
        return t->run(argc, argv);
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("%s (strait)\n", STRAIT_VERSION);
        return 0;
    }
    t = find_tool(argv[1]);
    if (!t) {
        fprintf(stderr, "strait: unknown tool '%s'\n\n", argv[1]);
        usage(stderr);
        return 1;
    }
    return t->run(argc - 1, argv + 1);
}
