package launch

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/syscage/syscage/internal/unix"
)

// ForwardedSignals are the signals Cmd.ForwardSignals passes on: every
// signal a process can catch, the real-time ones and the fault signals
// (SIGSEGV, SIGBUS, ...) that another process sends included, but SIGCHLD
// and SIGPIPE, which concern the launcher itself, and those the Go
// runtime keeps (SIGURG, SIGPROF, 32, 33, 34).
func ForwardedSignals() []os.Signal {
	var out []os.Signal
	for _, sig := range unix.ForwardableSignals() {
		out = append(out, sig)
	}
	return out
}

// forward passes the signals the launcher receives on to the program's
// process group (the program leads a session and a group of its own, and
// its children are in the group unless they left it: it stands where the
// terminal's foreground group would) until the program ended. A stop
// from the terminal (SIGTSTP, SIGTTIN, SIGTTOU) would be discarded by the
// kernel in the program's group, which has no parent in its session: the
// launcher stops the group with SIGSTOP, then itself, and passes on the
// SIGCONT that resumes it.
func (s *sysCmd) forward(pid int) {
	send := func(sig syscall.Signal) {
		if syscall.Kill(-pid, sig) != nil {
			syscall.Kill(pid, sig)
		}
	}
	for {
		select {
		case <-s.ended:
			return
		case sig := <-s.signals:
			switch sig {
			case syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
				send(syscall.SIGSTOP)
				syscall.Kill(os.Getpid(), syscall.SIGSTOP)
			default:
				send(sig.(syscall.Signal))
			}
		}
	}
}

// stopForwarding gives the signals back to their default handling.
func (s *sysCmd) stopForwarding() {
	if s.signals != nil {
		signal.Stop(s.signals)
	}
}
