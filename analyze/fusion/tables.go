package fusion

// Class is a class of high-risk system calls: a profile allows them only
// where a recording saw them, never because the code can reach them.
type Class struct {
	Name  string
	Calls []string
	Why   string
}

// HighRisk are the high-risk classes. Every system call in no class is
// low-risk: the code reaching it is reason enough to allow it. Options.Risk
// overrides a class or a call.
var HighRisk = []Class{
	{"exec", []string{"execve", "execveat"}, "runs another program: what a shell-spawning attack needs"},
	{"process", []string{"fork", "vfork", "clone", "clone3"}, "creates a process; thread creation (clone with CLONE_THREAD) is allowed where the code reaches clone, other flags only as seen; clone3 hides its flags in memory, so it gets ENOSYS unless seen and glibc and Go fall back to clone"},
	{"debug", []string{"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd", "kcmp"}, "reads or changes another process"},
	{"mount", []string{"mount", "umount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "open_tree_attr", "mount_setattr", "chroot", "pivot_root"}, "changes the file system tree"},
	{"namespace", []string{"unshare", "setns"}, "enters or makes namespaces: the kernel's attack surface grows"},
	{"bpf", []string{"bpf", "perf_event_open", "userfaultfd"}, "kernel attack surface used by most local exploits"},
	{"keys", []string{"keyctl", "add_key", "request_key"}, "the kernel keyring, shared beyond the process"},
	{"modules", []string{"init_module", "finit_module", "delete_module", "create_module", "query_module", "get_kernel_syms", "kexec_load", "kexec_file_load"}, "loads kernel code"},
	{"personality", []string{"personality"}, "turns off address randomization and other defences; allowed only with the personas seen"},
	{"io_uring", []string{"io_uring_setup", "io_uring_enter", "io_uring_register"}, "makes system calls the filter never sees"},
	{"handles", []string{"open_by_handle_at"}, "opens files by handle, around the mount tree (container escapes)"},
	{"system", []string{"reboot", "swapon", "swapoff", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime", "acct", "quotactl", "quotactl_fd", "syslog", "iopl", "ioperm", "modify_ldt", "vhangup", "uselib", "nfsservctl", "lookup_dcookie", "_sysctl", "sethostname", "setdomainname"}, "administers the whole system"},
	{"socket", []string{"socket"}, "opens a socket; allowed for the families seen, and for AF_UNIX where the code reaches socket (glibc's name service reaches it from getpwnam and getaddrinfo through nscd)"},
}

// Family is a group of system calls that do one job: libc and the Go
// runtime choose among them by arguments and state (buffer shape, file
// position, kernel version, a path or a descriptor), so a workload that
// saw one may need another.
type Family struct {
	Name  string
	Calls []string
	Why   string
}

// Families are the sibling families. A call seen brings its low-risk
// siblings.
var Families = []Family{
	{"write", []string{"write", "writev", "pwrite64", "pwritev", "pwritev2"}, "stdio and buffered writers pick writev for split buffers and pwrite at a position"},
	{"read", []string{"read", "readv", "pread64", "preadv", "preadv2"}, "readers pick readv for split buffers and pread at a position"},
	{"stat", []string{"stat", "fstat", "lstat", "newfstatat", "statx"}, "glibc's stat functions map onto fstatat or statx by version and flags"},
	{"statfs", []string{"statfs", "fstatfs"}, "by path or by descriptor (rm -rf, df, opendir's checks)"},
	{"memory", []string{"mmap", "munmap", "mremap", "brk", "mprotect", "madvise"}, "malloc grows with brk or mmap, realloc with mremap, and frees with munmap or madvise as sizes grow"},
	{"open", []string{"open", "openat", "creat"}, "the *at twin of each path call"},
	{"access", []string{"access", "faccessat", "faccessat2"}, "the *at twin of each path call"},
	{"unlink", []string{"unlink", "unlinkat", "rmdir"}, "remove: files and directories (unlinkat with AT_REMOVEDIR)"},
	{"rename", []string{"rename", "renameat", "renameat2"}, "the *at twin of each path call"},
	{"mkdir", []string{"mkdir", "mkdirat"}, "the *at twin of each path call"},
	{"link", []string{"link", "linkat", "symlink", "symlinkat"}, "the *at twin of each path call"},
	{"readlink", []string{"readlink", "readlinkat"}, "the *at twin of each path call"},
	{"chmod", []string{"chmod", "fchmod", "fchmodat"}, "by path, descriptor or the *at twin"},
	{"chown", []string{"chown", "fchown", "lchown", "fchownat"}, "by path, descriptor or the *at twin"},
	{"utime", []string{"utime", "utimes", "utimensat", "futimesat"}, "setting times by path or descriptor"},
	{"mknod", []string{"mknod", "mknodat"}, "the *at twin of each path call"},
	{"getdents", []string{"getdents", "getdents64"}, "directory reading"},
	{"dup", []string{"dup", "dup2", "dup3"}, "descriptor duplication"},
	{"pipe", []string{"pipe", "pipe2"}, "pipes with or without flags"},
	{"poll", []string{"poll", "ppoll", "select", "pselect6"}, "waiting on descriptors, with or without a signal mask or timeout"},
	{"epoll", []string{"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2"}, "event loops pick epoll_pwait with a signal mask"},
	{"send", []string{"sendto", "sendmsg", "sendmmsg", "sendfile", "splice"}, "servers send small replies with sendmsg and large files with sendfile"},
	{"recv", []string{"recvfrom", "recvmsg", "recvmmsg"}, "receiving with or without addresses and ancillary data"},
	{"accept", []string{"accept", "accept4"}, "accepting with or without flags"},
	{"wait", []string{"wait4", "waitid"}, "reaping children"},
	{"sleep", []string{"nanosleep", "clock_nanosleep"}, "sleeping (glibc uses clock_nanosleep)"},
	{"time", []string{"clock_gettime", "gettimeofday", "time", "clock_getres"}, "the vDSO's fallbacks"},
	{"rlimit", []string{"getrlimit", "setrlimit", "prlimit64"}, "glibc maps getrlimit onto prlimit64"},
	{"sync", []string{"fsync", "fdatasync", "sync_file_range", "syncfs"}, "databases flush with fdatasync or fsync as the file grows"},
	{"truncate", []string{"truncate", "ftruncate"}, "by path or descriptor"},
	{"eventfd", []string{"eventfd", "eventfd2"}, "with or without flags"},
	{"signalfd", []string{"signalfd", "signalfd4"}, "with or without flags"},
	{"inotify", []string{"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch"}, "watching files"},
	{"signal", []string{"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack"}, "a handler installed returns through rt_sigreturn"},
	{"ids", []string{"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups"}, "reading the process's credentials"},
	{"chdir", []string{"chdir", "fchdir"}, "by path or descriptor"},
	{"xattr", []string{"getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr"}, "reading extended attributes (ls -l reads ACLs and labels)"},
	{"seek", []string{"lseek"}, "file position"},
}

// RuntimeNeeds are the calls no program makes by name but that the kernel or
// the launch of the program needs.
var RuntimeNeeds = []Family{
	{"restart_syscall", []string{"restart_syscall"}, "the kernel restarts a sleep interrupted by a signal with it"},
	{"rt_sigreturn", []string{"rt_sigreturn"}, "the return from every signal handler"},
	{"exit", []string{"exit", "exit_group"}, "every thread and process ends with one"},
}
