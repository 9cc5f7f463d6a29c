/* threads [zombie]: starts two threads that sleep and one that echoes
 * each line of stdin to stdout and ends the process at the end of stdin,
 * then prints "ready". With "zombie" the thread group leader then ends
 * with pthread_exit (a zombie while the other threads run). It installs
 * no filter: the test runs it under one. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *sleeper(void *arg) {
	for (;;)
		pause();
	return arg;
}

static void *echo(void *arg) {
	char line[256];
	while (fgets(line, sizeof line, stdin)) {
		fputs(line, stdout);
		fflush(stdout);
	}
	exit(0);
	return arg;
}

int main(int argc, char **argv) {
	pthread_t t;
	if (pthread_create(&t, 0, sleeper, 0) || pthread_create(&t, 0, sleeper, 0) || pthread_create(&t, 0, echo, 0))
		return 3;
	printf("ready\n");
	fflush(stdout);
	if (argc > 1 && strcmp(argv[1], "zombie") == 0)
		pthread_exit(0);
	for (;;)
		pause();
}
