/* An i386 program for record's tests (gcc -m32 -static): its system
 * calls enter through int 0x80 and are recorded under x86. getpgrp is 65
 * there and 111 on x86_64; socketcall(SYS_SOCKET) is recorded as socket. */
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	long args[3] = {1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0};

	syscall(SYS_getpgrp);
	syscall(SYS_socketcall, 1 /* SYS_SOCKET */, args);
	return 0;
}
