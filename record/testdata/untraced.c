// untraced MODE OUT starts a task that leaves the trace (CLONE_UNTRACED)
// but keeps the recording filter, and exits at once. The task, or a
// task it starts, waits a moment, calls sysinfo(2) and writes the result
// to the file OUT ("sysinfo 0" or "sysinfo errno N"). MODE says how:
//
//	clone    clone(CLONE_UNTRACED)
//	clone3   clone3 with CLONE_UNTRACED in its flags (in memory)
//	deep     a plain fork, whose child starts the task and exits
//	daemon   the task calls setsid and forks; its child reports and the
//	         task exits (a double fork, untraced at one level)
//	thread   the task reports from a second thread
//	parent   clone(CLONE_UNTRACED|CLONE_PARENT): the task is a child of
//	         the recorder, not of the program
//	uthread  the task is a thread of the program, whose first thread
//	         then ends alone (exit, not exit_group)
//	vthread  as uthread, with CLONE_VFORK: the first thread waits in the
//	         clone until the task has ended, so with ptrace stops (where
//	         the task's calls fail, and its failing _exit crashes the
//	         program) the program dies before the clone returns
//
// wait-MODE first reads a byte from standard input (for a recorder that
// attaches to the running program), then does as MODE.
//
//	busy     the task and a second thread of it call sysinfo without
//	         pause until it fails or 3 seconds have passed, and end
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char stack[1 << 16];
static const char *out;
static const char *mode;

static void report(void) {
	struct timespec ts = {0, 300 * 1000 * 1000};
	nanosleep(&ts, NULL);
	struct sysinfo si;
	char buf[64];
	int n;
	if (sysinfo(&si) == 0)
		n = snprintf(buf, sizeof buf, "sysinfo 0\n");
	else
		n = snprintf(buf, sizeof buf, "sysinfo errno %d\n", errno);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		write(fd, buf, n);
		close(fd);
	}
}

static void *thread(void *arg) {
	(void)arg;
	report();
	return NULL;
}

// spin calls sysinfo until it fails or 3 seconds have passed; the clock
// is read through the vDSO, without a system call.
static void *spin(void *arg) {
	(void)arg;
	struct timespec start, now;
	struct sysinfo si;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (sysinfo(&si) != 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= 3)
			break;
	}
	return NULL;
}

static void busy(void) {
	pthread_t t;
	if (pthread_create(&t, NULL, spin, NULL) == 0)
		spin(NULL);
	_exit(0);
}

static int child(void *arg) {
	(void)arg;
	if (strcmp(mode, "uthread") == 0 || strcmp(mode, "vthread") == 0) {
		report();
		syscall(SYS_exit, 0); // this thread only
	}
	if (strcmp(mode, "busy") == 0)
		busy();
	if (strcmp(mode, "daemon") == 0) {
		setsid();
		pid_t p = fork();
		if (p == 0) {
			report();
			_exit(0);
		}
		_exit(p < 0);
	}
	if (strcmp(mode, "thread") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, thread, NULL) != 0)
			_exit(1);
		pthread_join(t, NULL);
		_exit(0);
	}
	report();
	_exit(0);
}

static int untraced(int flags) {
	if (clone(child, stack + sizeof stack, CLONE_UNTRACED | SIGCHLD | flags, NULL) < 0) {
		perror("clone");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	mode = argv[1];
	out = argv[2];
	if (strncmp(mode, "wait-", 5) == 0) {
		char c;
		if (read(0, &c, 1) != 1)
			return 1;
		mode += 5;
	}
	if (strcmp(mode, "clone3") == 0) {
		struct clone_args ca;
		memset(&ca, 0, sizeof ca);
		ca.flags = CLONE_UNTRACED;
		ca.exit_signal = SIGCHLD;
		long pid = syscall(SYS_clone3, &ca, sizeof ca);
		if (pid < 0) {
			perror("clone3");
			return 1;
		}
		if (pid == 0)
			child(NULL);
		return 0;
	}
	if (strcmp(mode, "deep") == 0) {
		pid_t p = fork();
		if (p < 0)
			return 1;
		if (p == 0)
			_exit(untraced(0));
		int st;
		waitpid(p, &st, 0);
		return 0;
	}
	if (strcmp(mode, "parent") == 0)
		return untraced(CLONE_PARENT);
	if (strcmp(mode, "uthread") == 0 || strcmp(mode, "vthread") == 0) {
		int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
		if (strcmp(mode, "vthread") == 0)
			flags |= CLONE_VFORK;
		int r = untraced(flags);
		if (r == 0)
			syscall(SYS_exit, 0); // this thread only
		return r;
	}
	if (strcmp(mode, "clone") == 0 || strcmp(mode, "daemon") == 0 || strcmp(mode, "thread") == 0 ||
	    strcmp(mode, "busy") == 0)
		return untraced(0);
	return 2;
}
