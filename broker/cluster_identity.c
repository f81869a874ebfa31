/* cluster_identity.c — meta.properties and the clean-shutdown marker
 * (see cluster_identity.h). */
#include "broker/cluster_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define META_FILE "meta.properties"
#define CLEAN_MARKER ".kafka_cleanshutdown"

void uuid_random(uint8_t out[16])
{
    size_t got = 0;
    while (got < 16) {
        ssize_t n = getrandom(out + got, 16 - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x40); /* version 4, as Java's randomUUID */
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

void uuid_to_base64(const uint8_t uuid[16], char out[CLUSTER_ID_LEN + 1])
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < 16; i += 3) {
        uint32_t v = (uint32_t)uuid[i] << 16;
        if (i + 1 < 16)
            v |= (uint32_t)uuid[i + 1] << 8;
        if (i + 2 < 16)
            v |= uuid[i + 2];
        size_t chars = i + 2 < 16 ? 4 : 2; /* the last group holds one byte */
        for (size_t k = 0; k < chars; k++)
            out[o++] = alphabet[(v >> (18 - 6 * k)) & 0x3f];
    }
    out[o] = '\0';
}

void cluster_id_generate(char out[CLUSTER_ID_LEN + 1])
{
    uint8_t raw[16];
    uuid_random(raw);
    uuid_to_base64(raw, out);
}

static int make_dirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Reads cluster.id and node.id; 1 when the file exists and parses, 0 when
 * absent, -1 when unreadable or missing a key. */
static int read_meta(const char *dir, char *cluster_id, int32_t *node_id)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, META_FILE);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    char line[512];
    bool have_cluster = false, have_node = false;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "cluster.id=", 11) == 0 && strlen(line + 11) <= CLUSTER_ID_LEN) {
            strcpy(cluster_id, line + 11);
            have_cluster = true;
        } else if (strncmp(line, "node.id=", 8) == 0 || strncmp(line, "broker.id=", 10) == 0) {
            *node_id = atoi(strchr(line, '=') + 1);
            have_node = true;
        }
    }
    fclose(f);
    return have_cluster && have_node ? 1 : -1;
}

static st_err write_file_durably(const char *dir, const char *name, const char *text)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ST_ERR_IO;
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0)
        return ST_ERR_IO;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return ST_OK;
}

static st_err write_meta(const char *dir, const char *cluster_id, int32_t node_id)
{
    char text[256];
    snprintf(text, sizeof(text),
             "#\n#Written by strait-broker\nversion=1\ncluster.id=%s\nnode.id=%d\n", cluster_id,
             node_id);
    return write_file_durably(dir, META_FILE, text);
}

static st_err check_dir(cluster_identity *id, const char *dir, int32_t node_id, char *errbuf,
                        size_t errlen)
{
    if (make_dirs(dir) != 0) {
        snprintf(errbuf, errlen, "cannot create log directory %s: %s", dir, strerror(errno));
        return ST_ERR_IO;
    }
    char found_cluster[CLUSTER_ID_LEN + 1] = "";
    int32_t found_node = -1;
    int rc = read_meta(dir, found_cluster, &found_node);
    if (rc < 0) {
        snprintf(errbuf, errlen, "%s/%s is unreadable or lacks cluster.id/node.id", dir, META_FILE);
        return ST_ERR_MALFORMED;
    }
    if (rc == 0) {
        if (!id->cluster_id[0])
            cluster_id_generate(id->cluster_id);
        if (write_meta(dir, id->cluster_id, node_id) != ST_OK) {
            snprintf(errbuf, errlen, "cannot write %s/%s: %s", dir, META_FILE, strerror(errno));
            return ST_ERR_IO;
        }
        return ST_OK;
    }
    if (found_node != node_id) {
        snprintf(errbuf, errlen,
                 "log directory %s belongs to node.id %d, but this broker is node.id %d", dir,
                 found_node, node_id);
        return ST_ERR_MALFORMED;
    }
    if (id->cluster_id[0] && strcmp(id->cluster_id, found_cluster) != 0) {
        snprintf(errbuf, errlen,
                 "log directory %s belongs to cluster %s, but this broker's data is cluster %s",
                 dir, found_cluster, id->cluster_id);
        return ST_ERR_MALFORMED;
    }
    strcpy(id->cluster_id, found_cluster);
    return ST_OK;
}

st_err cluster_identity_load(cluster_identity *id, char *const *dirs, size_t n_dirs,
                             int32_t node_id, char *errbuf, size_t errlen)
{
    memset(id, 0, sizeof(*id));
    id->node_id = node_id;
    /* Existing ids first, so a new directory joins the cluster the others name. */
    for (size_t i = 0; i < n_dirs && !id->cluster_id[0]; i++) {
        int32_t ignored;
        char found[CLUSTER_ID_LEN + 1];
        if (read_meta(dirs[i], found, &ignored) == 1)
            strcpy(id->cluster_id, found);
    }
    for (size_t i = 0; i < n_dirs; i++) {
        st_err err = check_dir(id, dirs[i], node_id, errbuf, errlen);
        if (err)
            return err;
    }
    return ST_OK;
}

bool clean_shutdown_consume(char *const *dirs, size_t n_dirs)
{
    bool clean = n_dirs > 0;
    for (size_t i = 0; i < n_dirs; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dirs[i], CLEAN_MARKER);
        if (unlink(path) != 0)
            clean = false;
    }
    return clean;
}

st_err clean_shutdown_mark(char *const *dirs, size_t n_dirs)
{
    for (size_t i = 0; i < n_dirs; i++)
        if (write_file_durably(dirs[i], CLEAN_MARKER, "") != ST_OK)
            return ST_ERR_IO;
    return ST_OK;
}
