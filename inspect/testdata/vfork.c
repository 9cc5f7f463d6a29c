/* vfork [thread]: with "thread", first starts a thread that prints
 * "thread TID" and sleeps. Then vforks a child that prints "ready PID"
 * and sleeps until it is killed. The parent waits in the kernel
 * (wait_for_vfork_done, state D) until then, prints "resumed" and exits
 * 0. It installs no filter: the test runs it under one. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void *sleeper(void *arg) {
	char buf[64];
	int n = snprintf(buf, sizeof buf, "thread %ld\n", (long)syscall(SYS_gettid));
	write(1, buf, n);
	for (;;)
		pause();
	return arg;
}

int main(int argc, char **argv) {
	char buf[64];
	if (argc > 1 && strcmp(argv[1], "thread") == 0) {
		pthread_t t;
		if (pthread_create(&t, 0, sleeper, 0))
			return 3;
		/* The thread's line comes first: the test reads them in order. */
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, 0);
	}
	pid_t pid = vfork();
	if (pid == 0) {
		/* Only system calls here: the child borrows the parent's memory. */
		int n = snprintf(buf, sizeof buf, "ready %ld\n", (long)syscall(SYS_getpid));
		syscall(SYS_write, 1, buf, n);
		for (;;) {
			struct timespec ts = {1000, 0};
			syscall(SYS_nanosleep, &ts, 0);
		}
	}
	if (pid < 0) {
		perror("vfork");
		return 3;
	}
	write(1, "resumed\n", 8);
	return 0;
}
