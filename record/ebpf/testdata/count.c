/* count: makes a known number of system calls for the counter's tests.
 * count N waits for a byte on its standard input, then makes N getppid
 * in its first thread, N in a second thread and N in a child started with
 * fork (no exec), and waits for both. Built with -m32 it also makes N
 * socketcall(SYS_SOCKET) and N ipc(SHMGET), which fail (a family and a
 * size that do not exist) but count as socket and shmget. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long n;

static void calls(void)
{
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void *thread(void *arg)
{
	(void)arg;
	calls();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	pid_t pid;
	char c;
	long i;

	if (argc != 2)
		return 2;
	n = atol(argv[1]);
	if (read(0, &c, 1) != 1)
		return 3;
	calls();
	if (pthread_create(&t, NULL, thread, NULL) != 0)
		return 4;
	pthread_join(t, NULL);
	pid = fork();
	if (pid < 0)
		return 5;
	if (pid == 0) {
		calls();
		_exit(0);
	}
	if (waitpid(pid, NULL, 0) != pid)
		return 6;
#ifdef __i386__
	for (i = 0; i < n; i++) {
		long args[3] = {-1, 1, 0};
		syscall(SYS_socketcall, 1 /* SYS_SOCKET */, args);
		syscall(SYS_ipc, 23 /* SHMGET */, 0, -1L, 0, 0, 0);
	}
#else
	(void)i;
#endif
	return 0;
}
