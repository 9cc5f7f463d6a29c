// untraced starts a child with clone(CLONE_UNTRACED) and exits at once;
// the child, no longer traced but still under the recording filter,
// waits a moment, calls sysinfo(2) and writes the result to the file
// named by its argument ("sysinfo 0" or "sysinfo errno N").
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

static char stack[1 << 16];
static const char *out;

static int child(void *arg) {
	(void)arg;
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
	_exit(0);
}

int main(int argc, char **argv) {
	if (argc != 2)
		return 2;
	out = argv[1];
	if (clone(child, stack + sizeof stack, CLONE_UNTRACED | SIGCHLD, NULL) < 0) {
		perror("clone");
		return 1;
	}
	return 0;
}
