// libc makes, through the C library, system calls the test knows:
// write, openat (open), close, uname, and through the syscall() wrapper
// getppid and (by a number chosen at run time) an unresolved call.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char **argv) {
	struct utsname u;
	uname(&u);
	int fd = open("/dev/null", O_WRONLY);
	write(fd, "hi\n", 3);
	close(fd);
	syscall(SYS_getppid);
	if (argc > 5)
		syscall(atoi(argv[1])); // a number computed at run time
	return 0;
}
