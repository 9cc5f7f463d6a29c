package unix

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// PidfdOpen returns a process descriptor of process pid (pidfd_open,
// Linux 5.3), close-on-exec; it becomes readable (PollIn) when the whole
// thread group has ended.
func PidfdOpen(pid int) (int, error) {
	return unix.PidfdOpen(pid, 0)
}

// PidfdSendSignal sends sig to the process of pidfd (pidfd_send_signal,
// Linux 5.1): ESRCH once it has ended, never to a process that took its
// id since.
func PidfdSendSignal(pidfd int, sig syscall.Signal) error {
	return unix.PidfdSendSignal(pidfd, sig, nil, 0)
}
