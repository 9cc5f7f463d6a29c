/* The completeness workload of record's tests: a thread, a vfork+exec
 * child, a fork child that never executes anything, and (when given its
 * path) an i386 program. Each part makes a system call no other part
 * makes: sysinfo (thread), getrusage (the vfork+exec child), times (the
 * fork child), so a recorder that misses a part misses its call. The
 * run makes the same calls every time, so that a recording and a run
 * under strace -f -c can be compared. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

static int futex_word;

static void *thread_main(void *arg)
{
	struct sysinfo si;
	(void)arg;
	usleep(20000); /* so that pthread_join always waits (futex) */
	sysinfo(&si);
	return NULL;
}

/* reap waits for child p and reports whether it exited with status 0. */
static int reap(pid_t p)
{
	int status;

	return p > 0 && waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
	pthread_t th;
	pid_t p;

	if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		return 0;
	}
	if (pthread_create(&th, NULL, thread_main, NULL) != 0 || pthread_join(th, NULL) != 0)
		return 1;
	/* pthread_join waits with futex only when the thread has not ended
	 * yet, which depends on timing; make the call either way. */
	syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	p = vfork();
	if (p == 0) {
		execl("/proc/self/exe", argv[0], "exec-child", (char *)0);
		_exit(127);
	}
	if (!reap(p))
		return 2;
	p = fork();
	if (p == 0) {
		struct tms t;
		times(&t);
		_exit(0);
	}
	if (!reap(p))
		return 3;
	if (argc > 1) {
		p = fork();
		if (p == 0) {
			execl(argv[1], argv[1], (char *)0);
			_exit(127);
		}
		if (!reap(p))
			return 4;
	}
	return 0;
}
