/*
 * helper builds a filter with libseccomp the way runc does and exports it.
 *
 * Input, one directive a line:
 *   default ACTION            seccomp_init(ACTION)
 *   arch NAME                 seccomp_arch_add(seccomp_arch_resolve_name(NAME))
 *   optimize LEVEL            SCMP_FLTATR_CTL_OPTIMIZE
 *   rule ACTION NAME N [ARG OP A B]...
 *                             seccomp_rule_add_array for the native number of NAME
 * Output: "rule I RC" for each rule ("skip" when libseccomp does not know
 * the name), then "ok"; the BPF program goes to the file argv[1].
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *next(void)
{
	char *t = strtok(NULL, " \n");
	if (t == NULL) {
		printf("short line\n");
		exit(1);
	}
	return t;
}

int main(int argc, char **argv)
{
	char line[8192];
	scmp_filter_ctx ctx = NULL;
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: helper OUT.bpf < directives\n");
		return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char *tok = strtok(line, " \n");
		if (tok == NULL)
			continue;
		if (strcmp(tok, "default") == 0) {
			ctx = seccomp_init((uint32_t)strtoul(next(), NULL, 0));
			if (ctx == NULL) {
				printf("init failed\n");
				return 1;
			}
		} else if (ctx == NULL) {
			printf("no default\n");
			return 1;
		} else if (strcmp(tok, "arch") == 0) {
			char *name = next();
			uint32_t a = seccomp_arch_resolve_name(name);
			int rc;
			if (a == 0) {
				printf("unknown arch %s\n", name);
				return 1;
			}
			rc = seccomp_arch_add(ctx, a);
			if (rc != 0 && rc != -EEXIST) {
				printf("arch %s: %d\n", name, rc);
				return 1;
			}
		} else if (strcmp(tok, "optimize") == 0) {
			seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, atoi(next()));
		} else if (strcmp(tok, "rule") == 0) {
			struct scmp_arg_cmp c[6];
			uint32_t act = (uint32_t)strtoul(next(), NULL, 0);
			char *name = next();
			int cnt = atoi(next());
			int i, nr, rc;

			if (cnt < 0 || cnt > 6) {
				printf("bad count\n");
				return 1;
			}
			for (i = 0; i < cnt; i++) {
				c[i].arg = atoi(next());
				c[i].op = atoi(next());
				c[i].datum_a = strtoull(next(), NULL, 0);
				c[i].datum_b = strtoull(next(), NULL, 0);
			}
			nr = seccomp_syscall_resolve_name(name);
			if (nr == __NR_SCMP_ERROR) {
				printf("rule %d skip\n", n++);
				continue;
			}
			rc = seccomp_rule_add_array(ctx, act, nr, cnt, c);
			printf("rule %d %d\n", n++, rc);
		}
	}
	if (ctx == NULL) {
		printf("no default\n");
		return 1;
	}
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc != 0) {
		printf("export %d\n", rc);
		return 1;
	}
	close(fd);
	printf("ok\n");
	return 0;
}
