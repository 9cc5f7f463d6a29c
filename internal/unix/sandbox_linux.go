package unix

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// The untrusted-job sandbox's setup, done by the launcher's stage inside
// its new namespaces (user, mount, pid, network, ipc, uts) before it
// executes the program.

// Namespace clone flags of the sandbox.
const SandboxCloneFlags = unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS

// SandboxMounts makes the calling process's view of the file system
// read-only and nosuid (mount_setattr(2) on every mount, Linux 5.12),
// except the paths rw, which stay writable; puts a private tmpfs on
// /tmp and a procfs of its pid namespace on /proc. The process must be
// alone in a new mount namespace. A path of rw under /tmp is made on
// the new tmpfs and mounted there.
func SandboxMounts(rw []string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	// Copies of the writable trees, taken before everything turns
	// read-only.
	trees := make([]int, len(rw))
	for i, p := range rw {
		fd, err := unix.OpenTree(unix.AT_FDCWD, p, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
		if err != nil {
			return fmt.Errorf("copy the mount of %s: %w", p, err)
		}
		trees[i] = fd
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID}
	if err := unix.MountSetattr(unix.AT_FDCWD, "/", unix.AT_RECURSIVE, &attr); err != nil {
		return fmt.Errorf("make the file system read-only: %w", err)
	}
	if err := unix.Mount("tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return fmt.Errorf("mount a private /tmp: %w", err)
	}
	for i, p := range rw {
		if _, err := os.Stat(p); err != nil {
			// Under the new /tmp: make the mount point.
			if err := os.MkdirAll(p, 0o755); err != nil {
				return fmt.Errorf("make %s: %w", p, err)
			}
		}
		if err := unix.MoveMount(trees[i], "", unix.AT_FDCWD, p, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("mount %s writable: %w", p, err)
		}
		unix.Close(trees[i])
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc of the new pid namespace: %w", err)
	}
	return nil
}

// LoopbackUp brings the network namespace's loopback interface up.
func LoopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// Sethostname sets the uts namespace's host name.
func Sethostname(name string) error { return unix.Sethostname([]byte(name)) }

// Rlimit names a resource limit of setrlimit(2).
type Rlimit int

// The resource limits of the sandbox.
const (
	RLIMIT_CPU    Rlimit = unix.RLIMIT_CPU
	RLIMIT_AS     Rlimit = unix.RLIMIT_AS
	RLIMIT_NPROC  Rlimit = unix.RLIMIT_NPROC
	RLIMIT_FSIZE  Rlimit = unix.RLIMIT_FSIZE
	RLIMIT_NOFILE Rlimit = unix.RLIMIT_NOFILE
)

// SetRlimit sets both the soft and hard limit of r to v.
func SetRlimit(r Rlimit, v uint64) error {
	return unix.Setrlimit(int(r), &unix.Rlimit{Cur: v, Max: v})
}

// SwitchUser makes every thread of the process run as uid and gid, with
// no supplementary groups. From uid 0 to another it clears the permitted,
// effective and ambient capabilities.
func SwitchUser(uid, gid int) error {
	if err := unix.Setgroups(nil); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := unix.Setresgid(gid, gid, gid); err != nil {
		return fmt.Errorf("setresgid: %w", err)
	}
	if err := unix.Setresuid(uid, uid, uid); err != nil {
		return fmt.Errorf("setresuid: %w", err)
	}
	return nil
}

// Capability numbers the sandbox keeps until it switches user.
const (
	CAP_SETUID = unix.CAP_SETUID
	CAP_SETGID = unix.CAP_SETGID
)
