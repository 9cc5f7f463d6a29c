package unix

import "golang.org/x/sys/unix"

// PidfdOpen returns a process descriptor of process pid (pidfd_open,
// Linux 5.3), close-on-exec; it becomes readable (PollIn) when the whole
// thread group has ended.
func PidfdOpen(pid int) (int, error) {
	return unix.PidfdOpen(pid, 0)
}
