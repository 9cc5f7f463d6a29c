/* tree: a multi-process workload whose set of system calls does not
 * depend on timing. Threads, a fork that does not execute, a vfork that
 * executes, a shell pipeline, and a grandchild that outlives its parent.
 * Each part makes a call the others do not, so a part the recorder missed
 * shows. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/futex.h>

static void *thread(void *arg) {
	char buf[256];
	(void)arg;
	syscall(SYS_getcwd, buf, sizeof buf); /* only the thread */
	return NULL;
}

int main(int argc, char **argv) {
	pthread_t t;
	int w = 0, status, i;
	pid_t pid;

	if (argc > 1) {
		/* the grandchild, executed after its parent has ended */
		syscall(SYS_getppid);
		usleep(200000);
		syscall(SYS_sysinfo, NULL);
		return 0;
	}
	if (pthread_create(&t, NULL, thread, NULL) != 0)
		return 1;
	pthread_join(t, NULL);
	/* futex whether or not the join had to wait */
	syscall(SYS_futex, &w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);

	/* argument values: two sockets, a personality query, and more
	 * distinct prctl options than a recording keeps */
	close(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	close(socket(AF_INET, SOCK_STREAM, 0));
	personality(0xffffffff);
	for (i = 0; i < 40; i++)
		prctl(1000 + i, 0, 0, 0, 0);

	pid = fork();
	if (pid == 0) {
		struct utsname u;
		syscall(SYS_uname, &u); /* only the forked child */
		/* a grandchild that outlives this child and the program */
		if (fork() == 0) {
			execl("/proc/self/exe", argv[0], "late", (char *)NULL);
			_exit(127);
		}
		_exit(0);
	}
	waitpid(pid, &status, 0);

	pid = vfork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);

	if (system("echo tree | tr a-z A-Z | cat >/dev/null") != 0)
		return 2;
	return 0;
}
