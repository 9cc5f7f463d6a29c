/* A 32-bit x86 program for the audit tests: it runs under the filter its
   parent installed, makes uname(2) (the filter logs it) and getppid(2)
   (the filter kills the process). Built with gcc -m32 -static. */
#include <sys/utsname.h>
#include <unistd.h>

int main(void) {
	struct utsname u;
	uname(&u);
	getppid();
	return 0;
}
