/* vfork: installs a seccomp filter that allows everything, then vforks a
 * child that prints "ready PID" and sleeps until it is killed. The parent
 * waits in the kernel (wait_for_vfork_done, state D) until then, prints
 * "resumed" and exits 0. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void) {
	struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_fprog prog = {1, allow};
	char buf[64];
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("seccomp");
		return 3;
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
