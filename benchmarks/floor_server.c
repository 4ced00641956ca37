/* The C floor for bench_mount.py: the smallest FUSE server, speaking the kernel protocol
 * (linux/fuse.h) directly on /dev/fuse, single-threaded, one file "sem" with direct_io.
 * Usage (root): floor_server MOUNTPOINT; prints "ready" once mounted, ends at unmount. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static const char DATA[] = "32000\t1024000000\t500\t32000\n";
static char buf[(1 << 17) + 4096];

static void reply(int fd, const struct fuse_in_header *in, int error, const void *arg, size_t size) {
    struct fuse_out_header out = {sizeof(out) + (error ? 0 : size), error, in->unique};
    struct iovec iov[2] = {{&out, sizeof(out)}, {(void *)arg, error ? 0 : size}};
    if (writev(fd, iov, 2) < 0 && errno != ENOENT)
        perror("floor_server: writev");
}

static void fill(struct fuse_attr *a, uint64_t node) {
    memset(a, 0, sizeof(*a));
    a->ino = node;
    a->mode = node == FUSE_ROOT_ID ? (S_IFDIR | 0555) : (S_IFREG | 0644);
    a->nlink = 1;
    a->blksize = 1024;
}

int main(int argc, char **argv) {
    char opts[128];
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (argc != 2 || fd < 0) {
        perror("floor_server: /dev/fuse");
        return 2;
    }
    snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
    if (mount("floor", argv[1], "fuse.floor", MS_NOSUID | MS_NODEV, opts) != 0) {
        perror("floor_server: mount");
        return 2;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR || errno == ENOENT || errno == EAGAIN)
                continue;
            break; /* ENODEV: unmounted */
        }
        const struct fuse_in_header *in = (const void *)buf;
        const char *arg = buf + sizeof(*in);
        switch (in->opcode) {
        case FUSE_INIT: {
            const struct fuse_init_in *init = (const void *)arg;
            struct fuse_init_out out = {0};
            out.major = FUSE_KERNEL_VERSION;
            out.minor = FUSE_KERNEL_MINOR_VERSION;
            out.max_readahead = init->max_readahead;
            out.max_write = 131072;
            reply(fd, in, 0, &out, sizeof(out));
            break;
        }
        case FUSE_LOOKUP: {
            struct fuse_entry_out out = {0};
            if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, "sem") != 0) {
                reply(fd, in, -ENOENT, NULL, 0);
                break;
            }
            out.nodeid = 2;
            out.entry_valid = out.attr_valid = 1;
            fill(&out.attr, 2);
            reply(fd, in, 0, &out, sizeof(out));
            break;
        }
        case FUSE_GETATTR: {
            struct fuse_attr_out out = {0};
            out.attr_valid = 1;
            fill(&out.attr, in->nodeid);
            reply(fd, in, 0, &out, sizeof(out));
            break;
        }
        case FUSE_OPEN: {
            struct fuse_open_out out = {0};
            out.fh = 1;
            out.open_flags = FOPEN_DIRECT_IO;
            reply(fd, in, 0, &out, sizeof(out));
            break;
        }
        case FUSE_READ: {
            const struct fuse_read_in *rd = (const void *)arg;
            size_t len = sizeof(DATA) - 1, off = rd->offset < len ? rd->offset : len;
            size_t count = len - off < rd->size ? len - off : rd->size;
            reply(fd, in, 0, DATA + off, count);
            break;
        }
        case FUSE_RELEASE:
            reply(fd, in, 0, NULL, 0);
            break;
        case FUSE_FORGET:
        case FUSE_BATCH_FORGET:
            break;
        case FUSE_DESTROY:
            reply(fd, in, 0, NULL, 0);
            return 0;
        default:
            reply(fd, in, -ENOSYS, NULL, 0);
        }
    }
    return 0;
}
