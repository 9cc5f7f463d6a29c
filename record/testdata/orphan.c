// orphan forks a child and exits at once. The child waits until it has
// left its parent (which has ended), writes "ready PID" to standard
// output and sleeps. A SIGINT, SIGTERM or SIGHUP makes it write
// "signal N" and die of that signal; it ignores nothing. With the
// argument "ignore", it ignores SIGINT instead (as a shell's background
// job does) and says nothing of the others.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void onsig(int sig) {
	char buf[32];
	int n = snprintf(buf, sizeof buf, "signal %d\n", sig);
	write(1, buf, n);
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv) {
	int ignore = argc > 1 && strcmp(argv[1], "ignore") == 0;
	pid_t parent = getpid();
	pid_t p = fork();
	if (p < 0)
		return 1;
	if (p > 0)
		return 0;
	if (ignore) {
		signal(SIGINT, SIG_IGN);
	} else {
		signal(SIGINT, onsig);
		signal(SIGTERM, onsig);
		signal(SIGHUP, onsig);
	}
	while (getppid() == parent) {
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
