/* The C floor for bench_mount.py: the smallest FUSE server, speaking the kernel protocol
 * (linux/fuse.h) directly on /dev/fuse, single-threaded (or N threads), no libfuse.
 *
 * It serves a fixed tree loaded from a dump file that bench_mount.py writes from the model
 * (names, modes, contents and errnos of every file of one namespace set, as root sees them),
 * so that `sysctl -a` through it walks the same tree as through fakeproc. Files are direct_io
 * and size 0, like fakeproc's; opens check the mode bits as procfs does (no override for root);
 * listings carry attributes (READDIRPLUS), as fakeproc's do, so no LOOKUP follows them.
 *
 * Dump format: a line "fakeproc-floor 1", then per entry a line
 *     KIND MODE OPEN_ERRNO READ_ERRNO LENGTH PATH
 * (KIND D or F; MODE octal with the type bits; PATH relative, "." for the root, parents
 * before children, children in readdir order) followed by LENGTH bytes of content and "\n".
 *
 * Usage (root): floor_server DUMP MOUNTPOINT [THREADS]; prints "ready" once mounted, ends at
 * unmount and then prints the number of requests it answered per opcode on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

struct node {
    char *name;
    uint32_t parent, first, next; /* first child, next sibling (0: none; the root is never a child) */
    uint32_t mode;
    int open_err, read_err;
    char *data;
    size_t len;
};

static struct node *nodes; /* nodes[0] unused: node ids are indexes, FUSE_ROOT_ID == 1 */
static uint32_t count;
static uint32_t *table, mask; /* (parent, name) -> node id, open addressing */
static int fuse_fd;
static unsigned long served[64];

static uint64_t hash(uint32_t parent, const char *name) {
    uint64_t h = 1469598103934665603ULL ^ parent;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 1099511628211ULL;
    return h;
}

static uint32_t lookup(uint32_t parent, const char *name) {
    for (uint64_t i = hash(parent, name) & mask;; i = (i + 1) & mask) {
        uint32_t id = table[i];
        if (id == 0 || (nodes[id].parent == parent && strcmp(nodes[id].name, name) == 0))
            return id;
    }
}

static void load(const char *path) {
    FILE *f = fopen(path, "r");
    char line[4096], kind;
    size_t cap = 1024, len;
    unsigned mode;
    int oerr, rerr, name_at;
    if (!f || !fgets(line, sizeof(line), f) || strcmp(line, "fakeproc-floor 1\n") != 0) {
        fprintf(stderr, "floor_server: %s is not a floor dump\n", path);
        exit(2);
    }
    nodes = calloc(cap, sizeof(*nodes));
    count = 1;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%c %o %d %d %zu %n", &kind, &mode, &oerr, &rerr, &len, &name_at) != 5) {
            fprintf(stderr, "floor_server: bad line: %s", line);
            exit(2);
        }
        line[strcspn(line, "\n")] = 0;
        if (count + 1 >= cap)
            nodes = realloc(nodes, (cap *= 2) * sizeof(*nodes));
        struct node *n = &nodes[count];
        memset(n, 0, sizeof(*n));
        n->mode = mode;
        n->open_err = oerr;
        n->read_err = rerr;
        n->len = len;
        n->data = malloc(len + 1);
        if (fread(n->data, 1, len + 1, f) != len + 1) {
            fprintf(stderr, "floor_server: short dump\n");
            exit(2);
        }
        char *rel = line + name_at, *slash = strrchr(rel, '/');
        if (strcmp(rel, ".") == 0) { /* the root */
            n->name = strdup("");
            count++;
            continue;
        }
        n->name = strdup(slash ? slash + 1 : rel);
        uint32_t parent = 1;
        if (slash) { /* the parent was loaded before: walk its path from the root */
            *slash = 0;
            for (char *part = strtok(rel, "/"); part; part = strtok(NULL, "/")) {
                uint32_t p = parent;
                for (parent = nodes[p].first; parent && strcmp(nodes[parent].name, part); parent = nodes[parent].next)
                    ;
                if (!parent) {
                    fprintf(stderr, "floor_server: no parent for %s\n", n->name);
                    exit(2);
                }
            }
        }
        n->parent = parent;
        uint32_t *link = &nodes[parent].first; /* append: keep the dump's order */
        while (*link)
            link = &nodes[*link].next;
        *link = count++;
    }
    fclose(f);
    for (mask = 1; mask < 2 * count; mask <<= 1)
        ;
    table = calloc(mask, sizeof(*table));
    mask--;
    for (uint32_t id = 2; id < count; id++) {
        uint64_t i = hash(nodes[id].parent, nodes[id].name) & mask;
        while (table[i])
            i = (i + 1) & mask;
        table[i] = id;
    }
}

static void reply(const struct fuse_in_header *in, int error, const void *arg, size_t size) {
    struct fuse_out_header out = {sizeof(out) + (error ? 0 : size), error, in->unique};
    struct iovec iov[2] = {{&out, sizeof(out)}, {(void *)arg, error ? 0 : size}};
    if (writev(fuse_fd, iov, 2) < 0 && errno != ENOENT)
        perror("floor_server: writev");
}

static void fill(struct fuse_attr *a, uint64_t id) {
    memset(a, 0, sizeof(*a));
    a->ino = id;
    a->mode = nodes[id].mode;
    a->nlink = 1;
    a->blksize = 1024;
}

/* One directory entry at `at` (READDIR) or, with `plus`, one entry with its attributes (READDIRPLUS,
 * no attributes for "." and ".."); its size, 0 when it does not fit in `room`. */
static size_t dirent(char *at, size_t room, int plus, uint32_t id, uint64_t next, const char *name, uint32_t mode) {
    size_t namelen = strlen(name);
    size_t head = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
    size_t size = FUSE_DIRENT_ALIGN(head + namelen);
    if (size > room)
        return 0;
    memset(at, 0, size);
    struct fuse_dirent *d = (void *)(at + head - FUSE_NAME_OFFSET);
    if (plus && strcmp(name, ".") && strcmp(name, "..")) {
        struct fuse_entry_out *e = (void *)at;
        e->nodeid = id;
        e->entry_valid = e->attr_valid = 1;
        fill(&e->attr, id);
    }
    d->ino = id;
    d->off = next;
    d->namelen = namelen;
    d->type = mode >> 12;
    memcpy(d->name, name, namelen);
    return size;
}

static void readdir_reply(const struct fuse_in_header *in, const struct fuse_read_in *rd, int plus) {
    static __thread char out[1 << 17];
    size_t used = 0, room = rd->size < sizeof(out) ? rd->size : sizeof(out), n;
    uint64_t off = 0, id = in->nodeid;
    const char *dots[2] = {".", ".."};
    for (uint32_t child = nodes[id].first;; off++) { /* offsets: 0 ".", 1 "..", 2.. the children */
        if (off >= 2) {
            if (!child)
                break;
            if (off >= rd->offset) {
                if (!(n = dirent(out + used, room - used, plus, child, off + 1, nodes[child].name, nodes[child].mode)))
                    break;
                used += n;
            }
            child = nodes[child].next;
        } else if (off >= rd->offset) {
            if (!(n = dirent(out + used, room - used, plus, id, off + 1, dots[off], S_IFDIR)))
                break;
            used += n;
        }
    }
    reply(in, 0, out, used);
}

static void *serve(void *unused) {
    static __thread char buf[(1 << 17) + 4096];
    (void)unused;
    for (;;) {
        ssize_t n = read(fuse_fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR || errno == ENOENT || errno == EAGAIN)
                continue;
            return NULL; /* ENODEV: unmounted */
        }
        const struct fuse_in_header *in = (const void *)buf;
        const char *arg = buf + sizeof(*in);
        __atomic_add_fetch(&served[in->opcode & 63], 1, __ATOMIC_RELAXED);
        switch (in->opcode) {
        case FUSE_INIT: {
            const struct fuse_init_in *init = (const void *)arg;
            struct fuse_init_out out = {0};
            out.major = FUSE_KERNEL_VERSION;
            out.minor = FUSE_KERNEL_MINOR_VERSION;
            out.max_readahead = init->max_readahead;
            out.max_write = 131072;
            /* what libfuse3 asks for by default and fakeproc answers: entries with attributes */
            out.flags = init->flags & (FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO);
            reply(in, 0, &out, sizeof(out));
            break;
        }
        case FUSE_LOOKUP: {
            struct fuse_entry_out out = {0};
            uint32_t id = lookup(in->nodeid, arg);
            if (!id) {
                reply(in, -ENOENT, NULL, 0);
                break;
            }
            out.nodeid = id;
            out.entry_valid = out.attr_valid = 1;
            fill(&out.attr, id);
            reply(in, 0, &out, sizeof(out));
            break;
        }
        case FUSE_GETATTR: {
            struct fuse_attr_out out = {0};
            out.attr_valid = 1;
            fill(&out.attr, in->nodeid);
            reply(in, 0, &out, sizeof(out));
            break;
        }
        case FUSE_OPEN: {
            const struct fuse_open_in *op = (const void *)arg;
            const struct node *node = &nodes[in->nodeid];
            int acc = op->flags & O_ACCMODE;
            struct fuse_open_out out = {0};
            if (node->open_err || ((acc == O_RDONLY || acc == O_RDWR) && !(node->mode & 0444)) ||
                ((acc == O_WRONLY || acc == O_RDWR) && !(node->mode & 0222))) {
                reply(in, -(node->open_err ? node->open_err : EACCES), NULL, 0);
                break;
            }
            out.fh = in->nodeid;
            out.open_flags = FOPEN_DIRECT_IO;
            reply(in, 0, &out, sizeof(out));
            break;
        }
        case FUSE_READ: {
            const struct fuse_read_in *rd = (const void *)arg;
            const struct node *node = &nodes[in->nodeid];
            if (node->read_err) {
                reply(in, -node->read_err, NULL, 0);
                break;
            }
            size_t off = rd->offset < node->len ? rd->offset : node->len;
            size_t size = node->len - off < rd->size ? node->len - off : rd->size;
            reply(in, 0, node->data + off, size);
            break;
        }
        case FUSE_WRITE: {
            const struct fuse_write_in *wr = (const void *)arg;
            struct fuse_write_out out = {wr->size, 0};
            reply(in, 0, &out, sizeof(out));
            break;
        }
        case FUSE_OPENDIR: {
            struct fuse_open_out out = {0};
            out.fh = in->nodeid;
            reply(in, 0, &out, sizeof(out));
            break;
        }
        case FUSE_READDIR:
        case FUSE_READDIRPLUS:
            readdir_reply(in, (const void *)arg, in->opcode == FUSE_READDIRPLUS);
            break;
        case FUSE_RELEASE:
        case FUSE_RELEASEDIR:
            reply(in, 0, NULL, 0);
            break;
        case FUSE_FORGET:
        case FUSE_BATCH_FORGET:
            break;
        case FUSE_DESTROY:
            reply(in, 0, NULL, 0);
            return NULL;
        default:
            reply(in, -ENOSYS, NULL, 0);
        }
    }
}

int main(int argc, char **argv) {
    char opts[128];
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    if (argc < 3 || argc > 4 || threads < 1) {
        fprintf(stderr, "usage: floor_server DUMP MOUNTPOINT [THREADS]\n");
        return 2;
    }
    load(argv[1]);
    fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fuse_fd < 0) {
        perror("floor_server: /dev/fuse");
        return 2;
    }
    snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fuse_fd);
    if (mount("floor", argv[2], "fuse.floor", MS_NOSUID | MS_NODEV, opts) != 0) {
        perror("floor_server: mount");
        return 2;
    }
    printf("ready\n");
    fflush(stdout);
    pthread_t extra[threads];
    for (int i = 1; i < threads; i++)
        pthread_create(&extra[i], NULL, serve, NULL);
    serve(NULL);
    for (int i = 1; i < threads; i++)
        pthread_join(extra[i], NULL);
    fprintf(stderr, "floor_server: requests");
    for (int op = 0; op < 64; op++)
        if (served[op])
            fprintf(stderr, " %d:%lu", op, served[op]);
    fprintf(stderr, "\n");
    return 0;
}
