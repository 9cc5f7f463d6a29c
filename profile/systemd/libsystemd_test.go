package systemd_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/systemd"
)

const libsystemdDir = "/usr/lib/x86_64-linux-gnu/systemd"

// probe is how a call is made by the helper so that, let through, the
// kernel fails it with another errno than the filters give (EINVAL,
// EFAULT, EBADF) or with no effect: vary are the indices of the
// arguments the settings look at, base the others.
type probe struct {
	base [6]uint64
	vary []int
	or   uint64 // ORed into the first varied argument (clone's CLONE_SIGHAND, unshare's CLONE_IO)
}

const (
	neg1    = ^uint64(0)
	atFDCWD = ^uint64(99) // -100
)

var probes = map[string]probe{
	"socket":             {base: [6]uint64{0, 0x7fffffff}, vary: []int{0}},
	"clone":              {vary: []int{0}, or: 0x800},
	"unshare":            {vary: []int{0}, or: 0x80000000},
	"setns":              {base: [6]uint64{neg1}, vary: []int{1}},
	"clone3":             {},
	"personality":        {vary: []int{0}},
	"mmap":               {base: [6]uint64{0, 0, 0, 0x22, neg1}, vary: []int{2}},
	"mprotect":           {base: [6]uint64{1, 4096}, vary: []int{2}},
	"pkey_mprotect":      {base: [6]uint64{1, 4096, 0, neg1}, vary: []int{2}},
	"shmat":              {base: [6]uint64{neg1}, vary: []int{2}},
	"sched_setscheduler": {base: [6]uint64{neg1}, vary: []int{1}},
	"chmod":              {vary: []int{1}},
	"fchmod":             {base: [6]uint64{neg1}, vary: []int{1}},
	"fchmodat":           {base: [6]uint64{atFDCWD}, vary: []int{2}},
	"mkdir":              {vary: []int{1}},
	"mkdirat":            {base: [6]uint64{atFDCWD}, vary: []int{2}},
	"mknod":              {vary: []int{1}},
	"mknodat":            {base: [6]uint64{atFDCWD}, vary: []int{2}},
	"creat":              {vary: []int{1}},
	"open":               {vary: []int{1, 2}},
	"openat":             {base: [6]uint64{atFDCWD}, vary: []int{2, 3}},
	"openat2":            {base: [6]uint64{atFDCWD}},
	"sethostname":        {base: [6]uint64{0, 99999}},
	"setdomainname":      {base: [6]uint64{0, 99999}},
	"syslog":             {base: [6]uint64{99}},
	"_sysctl":            {},
	"adjtimex":           {},
	"clock_adjtime":      {base: [6]uint64{0xffff}},
	"clock_settime":      {base: [6]uint64{0xffff}},
	"settimeofday":       {},
	"delete_module":      {},
	"finit_module":       {base: [6]uint64{neg1}},
	"init_module":        {},
	"iopl":               {base: [6]uint64{99}},
}

// TestLibsystemd compares the reading of each of the other settings with
// the filters systemd 252 itself builds for them: a helper linked with
// the host's libsystemd-shared loads them on itself and makes the calls;
// every call is made with the arguments the profile's conditions name,
// their neighbours and a few others, and must fail with the errno the
// profile gives, or pass the filters when the profile allows it.
func TestLibsystemd(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the helper's calls are x86_64's")
	}
	lib := filepath.Join(libsystemdDir, "libsystemd-shared-252.so")
	testenv.Tool(t, lib, "systemd (version 252)")
	cc := testenv.Tool(t, "gcc", "gcc")
	testenv.Root(t, "loading a filter without no_new_privs, as systemd does")
	helper := filepath.Join(t.TempDir(), "filters")
	if out, err := exec.Command(cc, "-O1", "-o", helper, "cfilters/filters.c", lib, "-Wl,-rpath,"+libsystemdDir).CombinedOutput(); err != nil {
		t.Fatalf("build the helper: %v\n%s", err, out)
	}
	all := uint64(0x02000000 | 0x08000000 | 0x40000000 | 0x00020000 | 0x20000000 | 0x10000000 | 0x04000000 | 0x80)
	for _, tc := range []struct {
		unit string
		args []string
	}{
		{"RestrictNamespaces=yes", []string{"ns=0"}},
		{"RestrictNamespaces=net user", []string{"ns=50000000"}},
		{"RestrictNamespaces=~cgroup\nRestrictNamespaces=~time", []string{fmt.Sprintf("ns=%x", all&^0x02000080)}},
		{"RestrictAddressFamilies=AF_UNIX AF_INET AF_NETLINK", []string{"af=allow,1,2,16"}},
		{"RestrictAddressFamilies=~AF_PACKET AF_INET6", []string{"af=deny,17,10"}},
		{"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\nRestrictAddressFamilies=~AF_INET6", []string{"af=allow,2,1"}},
		{"RestrictAddressFamilies=none", []string{"af=allow"}},
		{"LockPersonality=yes", []string{"persona"}},
		{"MemoryDenyWriteExecute=yes", []string{"mdwe"}},
		{"RestrictRealtime=yes", []string{"rt"}},
		{"RestrictSUIDSGID=yes", []string{"suid"}},
		// With SystemCallFilter=, loaded last: an allow list that lets
		// the calls run (the settings' conditions then decide them
		// against another default), and a deny list whose errno wins
		// over the settings'.
		{"SystemCallErrorNumber=EACCES\nSystemCallFilter=" + strings.Join(append(probeNames(), helperNeeds...), " ") + "\nRestrictAddressFamilies=AF_UNIX AF_INET\nRestrictNamespaces=yes\nLockPersonality=yes\nMemoryDenyWriteExecute=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes",
			[]string{"af=allow,1,2", "ns=0", "persona", "mdwe", "rt", "suid", "filter=allow,13," + allowedNrs()}},
		{"SystemCallFilter=~socket:EACCES personality:EACCES\nRestrictAddressFamilies=AF_UNIX\nLockPersonality=yes",
			[]string{"af=allow,1", "persona", "filter=deny,13,41,135"}},
		{"ProtectHostname=yes\nProtectKernelLogs=yes\nProtectKernelTunables=yes\nProtectClock=yes\nProtectKernelModules=yes\nPrivateDevices=yes",
			[]string{"hostname", "syslog", "sysctl", "set=@clock", "set=@module", "set=@raw-io"}},
	} {
		t.Run(strings.ReplaceAll(tc.unit, "\n", ";"), func(t *testing.T) {
			p, err := systemd.Parse("x.service", []byte("[Service]\nSystemCallArchitectures=native\n"+tc.unit+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			type call struct {
				name string
				args [6]uint64
				want profile.Action
			}
			var calls []call
			names := slices.Sorted(func(yield func(string) bool) {
				for n := range probes {
					if !yield(n) {
						return
					}
				}
			})
			for _, n := range names {
				pr := probes[n]
				nr, ok := arch.X86_64.SyscallNumber(n)
				if !ok {
					continue
				}
				vals := candidates(p, n)
				var sets [][6]uint64
				switch len(pr.vary) {
				case 0:
					sets = append(sets, pr.base)
				case 1:
					for _, v := range vals {
						a := pr.base
						a[pr.vary[0]] = v | pr.or
						sets = append(sets, a)
					}
				default:
					for _, v := range vals {
						for _, w := range vals {
							a := pr.base
							a[pr.vary[0]], a[pr.vary[1]] = v|pr.or, w
							sets = append(sets, a)
						}
					}
				}
				for _, a := range sets {
					act, err := profile.Evaluate(p, arch.X86_64, profile.Data{Nr: nr, Arch: arch.X86_64.Audit(), Args: a})
					if err != nil {
						t.Fatal(err)
					}
					calls = append(calls, call{n, a, act})
				}
			}
			var in strings.Builder
			for _, c := range calls {
				nr, _ := arch.X86_64.SyscallNumber(c.name)
				fmt.Fprintf(&in, "%d %x %x %x %x %x %x\n", nr, c.args[0], c.args[1], c.args[2], c.args[3], c.args[4], c.args[5])
			}
			cmd := exec.Command(helper, tc.args...)
			cmd.Stdin = strings.NewReader(in.String())
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("helper: %v", err)
			}
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			i, bad := 0, 0
			for sc.Scan() {
				if i >= len(calls) {
					break
				}
				c := calls[i]
				i++
				got, _ := strconv.Atoi(sc.Text())
				filtered := got == -1 || got == -97 || ((c.name == "clone3" || c.name == "openat2") && got == -38)
				ok := false
				switch c.want.Kind {
				case profile.ActErrno:
					ok = got == -int(c.want.Data)
				case profile.ActAllow:
					ok = !filtered
				}
				if !ok && bad < 10 {
					bad++
					t.Errorf("%s%#x: systemd's filters give %d, the profile %v", c.name, c.args, got, c.want)
				}
			}
			if i != len(calls) {
				t.Fatalf("helper answered %d of %d calls", i, len(calls))
			}
			t.Logf("%d calls agree", len(calls))
		})
	}
}

// candidates are argument values for a call: those its rules compare
// with, their neighbours, and a few others.
func candidates(p *profile.Profile, name string) []uint64 {
	set := map[uint64]bool{0: true, 1: true, 8: true, 0xffffffff: true, 1 << 40: true}
	for _, r := range p.Rules {
		if !slices.Contains(r.Names, name) {
			continue
		}
		for _, c := range r.Conds {
			for _, v := range []uint64{c.Value, c.ValueTwo} {
				set[v], set[v+1], set[v-1] = true, true, true
			}
			if c.Op == profile.OpMaskedEQ {
				set[c.Value|c.ValueTwo] = true
			}
		}
	}
	return slices.Sorted(func(yield func(uint64) bool) {
		for v := range set {
			if !yield(v) {
				return
			}
		}
	})
}

// helperNeeds are the calls the helper makes itself after loading the
// filters: an allow list must hold them.
var helperNeeds = []string{"read", "write", "fstat", "newfstatat", "brk", "seccomp", "prctl", "lseek", "ioctl"}

func probeNames() []string {
	var out []string
	for n := range probes {
		if _, ok := arch.X86_64.SyscallNumber(n); ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// allowedNrs are the x86_64 numbers of the probed calls and of @default,
// which an allow list always holds.
func allowedNrs() string {
	names := append(probeNames(), helperNeeds...)
	def, _ := systemd.Expand("@default")
	names = append(names, def...)
	var out []string
	for _, n := range names {
		if n == "uretprobe" {
			// Newer than Debian 12's libseccomp, which systemd asks:
			// a number it does not know makes the load fail (EFAULT).
			continue
		}
		if nr, ok := arch.X86_64.SyscallNumber(n); ok {
			out = append(out, strconv.Itoa(int(nr)))
		}
	}
	return strings.Join(out, ",")
}
