// victim is a small program with one legitimate job per mode and the
// attacks a fused profile must still block: the code of each attack is
// in the program (it reaches system(), execve and ptrace through libc),
// but the training workload never runs it.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

static void *work(void *arg) {
	FILE *f = fopen((const char *)arg, "r");
	if (f == NULL) {
		perror("fopen");
		return NULL;
	}
	char line[256];
	long n = 0;
	while (fgets(line, sizeof line, f) != NULL)
		n++;
	fclose(f);
	printf("%ld lines\n", n);
	return NULL;
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: victim work|thread|shell|exec|ptrace FILE\n");
		return 2;
	}
	const char *mode = argv[1];
	if (strcmp(mode, "work") == 0) {
		work(argv[2]);
	} else if (strcmp(mode, "thread") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, work, argv[2]) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
		pthread_join(t, NULL);
	} else if (strcmp(mode, "shell") == 0) {
		printf("system: %d\n", system("/bin/sh -c id"));
	} else if (strcmp(mode, "exec") == 0) {
		execl("/bin/sh", "sh", "-c", "id", (char *)NULL);
		perror("execl");
		return 1;
	} else if (strcmp(mode, "ptrace") == 0) {
		printf("ptrace: %ld\n", ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	}
	fflush(stdout);
	return 0;
}
