package seccomp

import (
	"fmt"

	"github.com/syscage/syscage/profile"
)

// RetOf returns the SECCOMP_RET_* value of a.
func RetOf(a profile.Action) uint32 {
	switch a.Kind {
	case profile.ActKillProcess:
		return SECCOMP_RET_KILL_PROCESS
	case profile.ActKillThread:
		return SECCOMP_RET_KILL_THREAD
	case profile.ActTrap:
		return SECCOMP_RET_TRAP
	case profile.ActErrno:
		return SECCOMP_RET_ERRNO | uint32(a.Data)
	case profile.ActUserNotif:
		return SECCOMP_RET_USER_NOTIF
	case profile.ActTrace:
		return SECCOMP_RET_TRACE | uint32(a.Data)
	case profile.ActLog:
		return SECCOMP_RET_LOG
	case profile.ActAllow:
		return SECCOMP_RET_ALLOW
	}
	panic(fmt.Sprintf("seccomp: invalid action kind %d", a.Kind))
}

// ActionOf returns the action of a SECCOMP_RET_* value, as the kernel
// reads it: unknown action values act as KILL_PROCESS.
func ActionOf(ret uint32) profile.Action {
	data := uint16(ret & SECCOMP_RET_DATA)
	switch ret & SECCOMP_RET_ACTION_FULL {
	case SECCOMP_RET_KILL_PROCESS:
		return profile.Action{Kind: profile.ActKillProcess}
	case SECCOMP_RET_KILL_THREAD:
		return profile.Action{Kind: profile.ActKillThread}
	case SECCOMP_RET_TRAP:
		return profile.Action{Kind: profile.ActTrap}
	case SECCOMP_RET_ERRNO:
		return profile.Action{Kind: profile.ActErrno, Data: data}
	case SECCOMP_RET_USER_NOTIF:
		return profile.Action{Kind: profile.ActUserNotif}
	case SECCOMP_RET_TRACE:
		return profile.Action{Kind: profile.ActTrace, Data: data}
	case SECCOMP_RET_LOG:
		return profile.Action{Kind: profile.ActLog}
	case SECCOMP_RET_ALLOW:
		return profile.Action{Kind: profile.ActAllow}
	}
	return profile.Action{Kind: profile.ActKillProcess}
}
