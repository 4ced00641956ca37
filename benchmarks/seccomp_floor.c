/* The floor of any seccomp user-notification supervisor, for benchmarks/bench_seccomp.py.
 *
 * Runs CMD under a filter that notifies the same path syscalls as fakeproc's seccomp backend and
 * answers each notification at once with SECCOMP_USER_NOTIF_FLAG_CONTINUE after reading its path
 * argument (what any supervisor must do before it can decide). With -n the same fork/exec/wait
 * runs without a filter. Prints "<best ms> <notifications>" for the best of -r runs.
 *
 * A waiter thread reaps CMD and interrupts the blocking SECCOMP_IOCTL_NOTIF_RECV with SIGUSR1, as
 * fakeproc's supervisor does (the filter keeps users until CMD is reaped).
 *
 * Build: cc -O2 -pthread -o seccomp_floor seccomp_floor.c     Use: seccomp_floor [-n] [-r N] -- CMD...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

/* fakeproc.backends.seccomp._redirect.PATH_SYSCALLS (x86_64 numbers) */
static const int notified[] = {2, 257, 437, 4, 6, 262, 332, 21, 269, 439, 89, 267, 80};
/* which argument holds the path, per syscall number above */
static int path_arg(int nr) { return (nr == 2 || nr == 4 || nr == 6 || nr == 21 || nr == 89 || nr == 80) ? 0 : 1; }

static volatile sig_atomic_t reaped, served;
static pthread_t serving;
static pid_t child;

static void on_usr1(int sig) { (void)sig; }

static void *waiter(void *arg) {
    (void)arg;
    int st;
    waitpid(child, &st, 0);
    reaped = 1;
    while (!served) {
        pthread_kill(serving, SIGUSR1);
        usleep(200);
    }
    return NULL;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void send_fd(int sock, int fd) {
    char c = 'L', cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec io = {&c, 1};
    struct msghdr m = {0};
    m.msg_iov = &io; m.msg_iovlen = 1; m.msg_control = cbuf; m.msg_controllen = sizeof cbuf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    sendmsg(sock, &m, 0);
}

static int recv_fd(int sock) {
    char c, cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec io = {&c, 1};
    struct msghdr m = {0};
    m.msg_iov = &io; m.msg_iovlen = 1; m.msg_control = cbuf; m.msg_controllen = sizeof cbuf;
    if (recvmsg(sock, &m, 0) <= 0 || !CMSG_FIRSTHDR(&m)) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
    return fd;
}

int main(int argc, char **argv) {
    int plain = 0, runs = 1, i = 1;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "-n")) plain = 1;
        else if (!strcmp(argv[i], "-r") && i + 1 < argc) runs = atoi(argv[++i]);
    }
    if (i + 1 >= argc) { fprintf(stderr, "usage: seccomp_floor [-n] [-r N] -- CMD...\n"); return 2; }
    char **cmd = argv + i + 1;

    struct sock_filter f[2 * sizeof notified / sizeof *notified + 2];
    int k = 0;
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (size_t j = 0; j < sizeof notified / sizeof *notified; j++) {
        f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, notified[j], 0, 1);
        f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
    }
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {(unsigned short)k, f};

    struct sigaction sa = {0};
    sa.sa_handler = on_usr1; /* no SA_RESTART: the ioctl returns EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    serving = pthread_self();
    double best = 1e18;
    long count = 0;
    for (int run = 0; run < runs; run++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) { perror("socketpair"); return 2; }
        double t0 = now_ms();
        pid_t pid = fork();
        child = pid;
        reaped = served = 0;
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            if (!plain) {
                prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                int fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
                if (fd < 0) { perror("seccomp"); _exit(127); }
                send_fd(sv[1], fd);
                close(fd);
            }
            execvp(cmd[0], cmd);
            _exit(127);
        }
        close(sv[1]);
        long n = 0;
        if (!plain) {
            int lfd = recv_fd(sv[0]);
            if (lfd < 0) { fprintf(stderr, "no listener\n"); return 2; }
            ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
            struct seccomp_notif req;
            struct seccomp_notif_resp resp;
            char path[4096];
            pthread_t w;
            pthread_create(&w, NULL, waiter, NULL);
            while (!reaped) {
                memset(&req, 0, sizeof req);
                if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
                    continue; /* EINTR from the waiter, or ENOENT: a caller went away */
                n++;
                struct iovec l = {path, 256}, r = {(void *)(unsigned long)req.data.args[path_arg(req.data.nr)], 256};
                process_vm_readv(req.pid, &l, 1, &r, 1, 0);
                memset(&resp, 0, sizeof resp);
                resp.id = req.id;
                resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
            }
            served = 1;
            pthread_join(w, NULL);
            close(lfd);
        } else {
            int st;
            waitpid(pid, &st, 0);
        }
        close(sv[0]);
        double e = now_ms() - t0;
        if (e < best) best = e;
        count = n;
    }
    printf("%.3f %ld\n", best, count);
    return 0;
}
