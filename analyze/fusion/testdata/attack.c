// attack.so, preloaded into a server, stands for code an attacker got to
// run inside it: when SYSCAGE_ATTACK names a file, it runs
// /bin/sh -c id with its output there, as an injected command would.
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void attack(void) {
	const char *out = getenv("SYSCAGE_ATTACK");
	if (out == NULL)
		return;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "/bin/sh -c id > %s", out);
	int r = system(cmd);
	fprintf(stderr, "attack: system returned %d\n", r);
}
