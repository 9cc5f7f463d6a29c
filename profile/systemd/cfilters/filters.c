/* Loads on itself the seccomp filters systemd 252's own library
 * (libsystemd-shared) builds for the settings named in argv, then makes
 * the system calls read from stdin ("nr a0 a1 a2 a3 a4 a5" per line) and
 * prints each result ("0" or "-ERRNO") on a line. Used by
 * libsystemd_test.go to compare syscage's reading of the settings with
 * what systemd loads. Settings:
 *   ns=HEX       RestrictNamespaces= (the namespaces kept)
 *   af=allow|deny,N,N...  RestrictAddressFamilies=
 *   persona      LockPersonality= (PER_LINUX)
 *   mdwe         MemoryDenyWriteExecute=
 *   rt           RestrictRealtime=
 *   suid         RestrictSUIDSGID=
 *   hostname     ProtectHostname=
 *   syslog       ProtectKernelLogs=
 *   sysctl       ProtectKernelTunables=
 *   set=@NAME    ProtectClock= (@clock), ProtectKernelModules= (@module),
 *                PrivateDevices= (@raw-io)
 *   filter=allow|deny,ERRNO,NR,NR...  SystemCallFilter= as apply_syscall_filter
 *                loads it: an allow list (the others get ERRNO) or a deny
 *                list (the listed get ERRNO); exec_child loads it last.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

typedef struct Set Set;
typedef struct Hashmap Hashmap;
Hashmap *_hashmap_new(const void *hash_ops);
int hashmap_put(Hashmap *h, const void *key, void *value);
int seccomp_load_syscall_filter_set_raw(uint32_t default_action, Hashmap *filter, uint32_t action, bool log_missing);
typedef struct SyscallFilterSet SyscallFilterSet;
Set *_set_new(const void *hash_ops);
int set_put(Set *s, const void *key);
int seccomp_restrict_namespaces(unsigned long retain);
int seccomp_restrict_address_families(Set *address_families, bool allow_list);
int seccomp_lock_personality(unsigned long personality);
int seccomp_memory_deny_write_execute(void);
int seccomp_restrict_realtime_full(int error_code);
int seccomp_restrict_suid_sgid(void);
int seccomp_protect_hostname(void);
int seccomp_protect_syslog(void);
int seccomp_protect_sysctl(void);
const SyscallFilterSet *syscall_filter_set_find(const char *name);
int seccomp_load_syscall_filter_set(uint32_t default_action, const SyscallFilterSet *set, uint32_t action, bool log_missing);

static void check(int r, const char *what) {
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", what, strerror(-r));
		exit(2);
	}
}

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (!strncmp(a, "ns=", 3))
			check(seccomp_restrict_namespaces(strtoul(a + 3, NULL, 16)), a);
		else if (!strncmp(a, "af=", 3)) {
			bool allow = !strncmp(a + 3, "allow", 5);
			Set *s = _set_new(NULL);
			for (char *p = strchr(a, ','); p; p = strchr(p + 1, ','))
				check(set_put(s, (void *) (intptr_t) atoi(p + 1)), "set_put");
			check(seccomp_restrict_address_families(s, allow), a);
		} else if (!strncmp(a, "filter=", 7)) {
			bool allow = !strncmp(a + 7, "allow", 5);
			char *p = strchr(a, ',');
			uint32_t deny = 0x00050000U | (uint32_t) atoi(p + 1);
			Hashmap *h = _hashmap_new(NULL);
			for (p = strchr(p + 1, ','); p; p = strchr(p + 1, ','))
				check(hashmap_put(h, (void *) (intptr_t) (atoi(p + 1) + 1), (void *) (intptr_t) -1), "hashmap_put");
			check(seccomp_load_syscall_filter_set_raw(allow ? deny : 0x7fff0000U, h, allow ? 0x7fff0000U : deny, false), a);
		} else if (!strcmp(a, "persona"))
			check(seccomp_lock_personality(0), a);
		else if (!strcmp(a, "mdwe"))
			check(seccomp_memory_deny_write_execute(), a);
		else if (!strcmp(a, "rt"))
			check(seccomp_restrict_realtime_full(EPERM), a);
		else if (!strcmp(a, "suid"))
			check(seccomp_restrict_suid_sgid(), a);
		else if (!strcmp(a, "hostname"))
			check(seccomp_protect_hostname(), a);
		else if (!strcmp(a, "syslog"))
			check(seccomp_protect_syslog(), a);
		else if (!strcmp(a, "sysctl"))
			check(seccomp_protect_sysctl(), a);
		else if (!strncmp(a, "set=", 4)) {
			const SyscallFilterSet *set = syscall_filter_set_find(a + 4);
			if (!set) {
				fprintf(stderr, "no set %s\n", a + 4);
				return 2;
			}
			check(seccomp_load_syscall_filter_set(0x7fff0000U, set, 0x00050000U | EPERM, false), a);
		} else {
			fprintf(stderr, "unknown setting %s\n", a);
			return 2;
		}
	}
	long nr;
	unsigned long x[6];
	while (scanf("%ld %lx %lx %lx %lx %lx %lx", &nr, &x[0], &x[1], &x[2], &x[3], &x[4], &x[5]) == 7) {
		long r = syscall(nr, x[0], x[1], x[2], x[3], x[4], x[5]);
		printf("%d\n", r < 0 ? -errno : 0);
		fflush(stdout);
	}
	return 0;
}
