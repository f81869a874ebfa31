/* testdata.c — loading reference data for tests (see testdata.h). */
#include "tests/unit/testdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

uint8_t *testdata_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *data = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *grown = realloc(data, cap);
            if (!grown) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = grown;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = n;
    return data;
}

uint8_t *testdata_read_buffer_json(const char *path, size_t *len)
{
    size_t text_len;
    char *text = (char *)testdata_read_file(path, &text_len);
    if (!text)
        return NULL;
    char *nul = realloc(text, text_len + 1);
    if (!nul) {
        free(text);
        return NULL;
    }
    text = nul;
    text[text_len] = '\0';
    char *p = strstr(text, "\"data\"");
    p = p ? strchr(p, '[') : NULL;
    uint8_t *out = p ? malloc(text_len / 2 + 1) : NULL;
    size_t n = 0;
    while (out && *p && *p != ']') {
        p++;
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) {
            while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
                p++;
            if (*p == ']')
                break;
            free(out);
            out = NULL;
            break;
        }
        if (v < 0 || v > 255) {
            free(out);
            out = NULL;
            break;
        }
        out[n++] = (uint8_t)v;
        p = end;
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
            p++;
    }
    free(text);
    *len = n;
    return out;
}

const char *testdata_protocol_dir(void)
{
    const char *dir = getenv("STRAIT_PROTOCOL_DIR");
    if (!dir)
        dir = "../shared/kafka-protocol";
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}
