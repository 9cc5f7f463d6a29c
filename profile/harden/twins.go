package harden

import (
	"fmt"
	"slices"
	"strings"
)

// Twins are names of one system call: the 16-bit-id calls and their
// 32-bit successors (x86, arm, m68k, sh, s390), the 32-bit ABIs' large-file
// and 64-bit-time versions, and older entry points that do the same.
// Denying one name leaves the call open under another.
var Twins = [][]string{
	{"chown", "chown32"}, {"lchown", "lchown32"}, {"fchown", "fchown32"},
	{"setuid", "setuid32"}, {"setgid", "setgid32"},
	{"setreuid", "setreuid32"}, {"setregid", "setregid32"},
	{"setresuid", "setresuid32"}, {"setresgid", "setresgid32"},
	{"setfsuid", "setfsuid32"}, {"setfsgid", "setfsgid32"},
	{"setgroups", "setgroups32"}, {"getgroups", "getgroups32"},
	{"getuid", "getuid32"}, {"geteuid", "geteuid32"}, {"getgid", "getgid32"}, {"getegid", "getegid32"},
	{"getresuid", "getresuid32"}, {"getresgid", "getresgid32"},
	{"mmap", "mmap2"}, {"fcntl", "fcntl64"}, {"truncate", "truncate64"}, {"ftruncate", "ftruncate64"},
	{"stat", "stat64", "oldstat"}, {"lstat", "lstat64", "oldlstat"}, {"fstat", "fstat64", "oldfstat"},
	{"newfstatat", "fstatat64"}, {"statfs", "statfs64"}, {"fstatfs", "fstatfs64"},
	{"sendfile", "sendfile64"}, {"lseek", "_llseek"}, {"select", "_newselect"}, {"getrlimit", "ugetrlimit"},
	{"fadvise64", "fadvise64_64", "arm_fadvise64_64"},
	{"sync_file_range", "sync_file_range2", "arm_sync_file_range"},
	{"umount2", "umount"}, {"wait4", "waitpid"}, {"settimeofday", "stime"},
	{"clock_gettime", "clock_gettime64"}, {"clock_settime", "clock_settime64"},
	{"clock_adjtime", "clock_adjtime64"}, {"clock_getres", "clock_getres_time64"},
	{"clock_nanosleep", "clock_nanosleep_time64"},
	{"timer_gettime", "timer_gettime64"}, {"timer_settime", "timer_settime64"},
	{"timerfd_gettime", "timerfd_gettime64"}, {"timerfd_settime", "timerfd_settime64"},
	{"utimensat", "utimensat_time64"}, {"pselect6", "pselect6_time64"}, {"ppoll", "ppoll_time64"},
	{"io_pgetevents", "io_pgetevents_time64"}, {"recvmmsg", "recvmmsg_time64"},
	{"mq_timedsend", "mq_timedsend_time64"}, {"mq_timedreceive", "mq_timedreceive_time64"},
	{"semtimedop", "semtimedop_time64"}, {"rt_sigtimedwait", "rt_sigtimedwait_time64"},
	{"futex", "futex_time64"}, {"sched_rr_get_interval", "sched_rr_get_interval_time64"},
}

// TwinsOf returns the other names of system call name.
func TwinsOf(name string) []string {
	for _, g := range Twins {
		if slices.Contains(g, name) {
			return slices.DeleteFunc(slices.Clone(g), func(n string) bool { return n == name })
		}
	}
	return nil
}

// twins extends each rule that denies a name to its twins no rule names.
func (h *hardener) twins() {
	named := map[string]bool{}
	for _, r := range h.p.Rules {
		for _, n := range r.Names {
			named[n] = true
		}
	}
	for i := range h.p.Rules {
		r := &h.p.Rules[i]
		if allowing(r.Action) || r.Action == h.p.Default {
			continue
		}
		var added []string
		for _, n := range slices.Clone(r.Names) {
			for _, t := range TwinsOf(n) {
				if !named[t] {
					named[t] = true
					r.Names = append(r.Names, t)
					added = append(added, t)
				}
			}
		}
		if len(added) > 0 {
			h.changes = append(h.changes, Change{Check: "twin", Rule: i, Names: added,
				Message: fmt.Sprintf("a rule that gives %s to %s now covers %s too, the same calls under the names of 32-bit ABIs", r.Action, strings.Join(without(r.Names, added), ", "), strings.Join(added, ", "))})
		}
	}
}

func without(names, drop []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(drop, n) })
}
