/*
 * ipcns.c - does a new IPC namespace see the host's kernel.sem?
 *
 * The parent prints kernel.sem as its (host) IPC namespace sees it, then clones
 * a child into a new IPC namespace (CLONE_NEWIPC), which prints it again. The
 * IPC sysctls of a new namespace start from the compile-time defaults
 * (include/uapi/linux/sem.h: SEMMSL SEMMNS SEMOPM SEMMNI), not from the
 * creator's values, so after `sysctl -w kernel.sem="33000 1024000000 500 32000"`
 * the parent shows 33000 and the child 32000.
 *
 * Build: gcc -o ipcns ipcns.c    Run: as root (CLONE_NEWIPC needs CAP_SYS_ADMIN),
 * or as root of a user namespace (unshare -r ./ipcns), or with fakeproc:
 *   fakeproc run -- ./ipcns
 *
 * Written for fakeproc after the program in the article "Kubernetes에서 sysctls
 * 설정 변경하는 방법"; same steps, with error checks and flushed output.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>

#define STACK_SIZE (1024 * 1024)

static char child_stack[STACK_SIZE];

/* Print a heading, then let cat(1) read the file, as the article's program does. */
static int show_sem(const char *where)
{
	printf("%s\n", where);
	fflush(stdout); /* before system(): stdout may be a pipe, hence block-buffered */
	int status = system("cat /proc/sys/kernel/sem");
	printf("\n\n");
	fflush(stdout);
	return status == 0 ? 0 : 1;
}

static int child_main(void *arg)
{
	(void)arg;
	return show_sem("at child - new ipc ns");
}

int main(void)
{
	if (show_sem("at parent - host ipc ns") != 0)
		return 1;

	pid_t pid = clone(child_main, child_stack + STACK_SIZE, CLONE_NEWIPC | SIGCHLD, NULL);
	if (pid < 0) {
		perror("clone(CLONE_NEWIPC)");
		return 1;
	}
	int status;
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
