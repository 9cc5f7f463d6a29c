package seccomp

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/unix"
)

// Probe reports what this kernel supports. It never installs a filter:
// flags are probed with a NULL program, which the kernel refuses after
// checking the flags.
func Probe() (*Features, error) {
	f := &Features{Actions: map[string]bool{}, Flags: map[string]bool{}, Compat: []string{}}
	rel, machine, err := unix.Uname()
	if err != nil {
		return nil, fmt.Errorf("probe: uname: %w", err)
	}
	f.Kernel, f.Machine = rel, machine
	host, hostOK := arch.Parse(machine)
	if hostOK == nil {
		f.Arch = host.String()
	}
	if st, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(st), "\n") {
			k, v, _ := strings.Cut(line, ":")
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			switch k {
			case "Seccomp":
				f.Mode = n
			case "Seccomp_filters":
				f.Filters = n
			}
		}
	}
	f.ActionsAvail = fields("/proc/sys/kernel/seccomp/actions_avail")
	f.ActionsLogged = fields("/proc/sys/kernel/seccomp/actions_logged")
	for _, a := range []struct {
		name string
		ret  uint32
	}{
		{"kill_process", SECCOMP_RET_KILL_PROCESS}, {"kill_thread", SECCOMP_RET_KILL_THREAD},
		{"trap", SECCOMP_RET_TRAP}, {"errno", SECCOMP_RET_ERRNO}, {"user_notif", SECCOMP_RET_USER_NOTIF},
		{"trace", SECCOMP_RET_TRACE}, {"log", SECCOMP_RET_LOG}, {"allow", SECCOMP_RET_ALLOW},
	} {
		f.Actions[a.name] = unix.ActionAvail(a.ret) == nil
	}
	// SECCOMP_SET_MODE_FILTER with no flags and a NULL program: EFAULT
	// means the operation exists.
	err = unix.ProbeFlags(0)
	f.FilterSupported = errors.Is(err, unix.EFAULT)
	for _, n := range flagNames {
		probe := uint(n.f)
		switch n.f {
		case SECCOMP_FILTER_FLAG_TSYNC_ESRCH:
			probe |= uint(SECCOMP_FILTER_FLAG_TSYNC) // meaningless alone
		case SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV:
			probe |= uint(SECCOMP_FILTER_FLAG_NEW_LISTENER) // refused without it
		}
		f.Flags[n.name] = errors.Is(unix.ProbeFlags(probe), unix.EFAULT)
	}
	if s, err := unix.GetNotifSizes(); err == nil {
		f.NotifSizes = &NotifSizes{Notif: int(s.Notif), NotifResp: int(s.NotifResp), Data: int(s.Data)}
	}
	cfg := kernelConfig(rel)
	switch {
	case fileExists("/proc/self/seccomp_cache"):
		f.ActionCache, f.ActionCacheSource = true, "/proc/self/seccomp_cache exists (CONFIG_SECCOMP_CACHE_DEBUG)"
	case cfg != nil:
		f.ActionCache = cfg["CONFIG_HAVE_ARCH_SECCOMP_FILTER"] && cfg["CONFIG_SECCOMP_FILTER"] && kernelAtLeast(rel, 5, 11) && cacheArch(host)
		f.ActionCacheSource = "kernel config and version (5.11+, SECCOMP_ARCH_NATIVE)"
	default:
		f.ActionCache = kernelAtLeast(rel, 5, 11) && cacheArch(host)
		f.ActionCacheSource = "kernel version (5.11+) and architecture"
	}
	if hostOK == nil {
		for _, c := range host.Compat() {
			switch {
			case host == arch.X86_64 && c == arch.X86:
				if cfg == nil || cfg["CONFIG_IA32_EMULATION"] {
					f.Compat = append(f.Compat, c.String())
				}
			case host == arch.X86_64 && c == arch.X32:
				if cfg != nil && cfg["CONFIG_X86_X32_ABI"] {
					f.Compat = append(f.Compat, c.String())
				}
			case cfg == nil || cfg["CONFIG_COMPAT"]:
				f.Compat = append(f.Compat, c.String())
			}
		}
	}
	return f, nil
}

func cacheArch(a arch.Arch) bool {
	switch a {
	case arch.X86_64, arch.X86, arch.AARCH64, arch.ARM, arch.S390X, arch.PARISC, arch.PARISC64, arch.RISCV64, arch.LOONGARCH64, arch.PPC64, arch.PPC64LE:
		return true
	}
	return false
}

func fields(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return []string{}
	}
	return strings.Fields(string(b))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func kernelAtLeast(rel string, major, minor int) bool {
	var a, b int
	if _, err := fmt.Sscanf(rel, "%d.%d", &a, &b); err != nil {
		return false
	}
	return a > major || (a == major && b >= minor)
}

// kernelConfig reads the kernel configuration from /proc/config.gz or
// /boot/config-RELEASE, or returns nil when neither is readable.
func kernelConfig(rel string) map[string]bool {
	var r io.Reader
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		if gz, err := gzip.NewReader(f); err == nil {
			r = gz
		}
	}
	if r == nil {
		f, err := os.Open("/boot/config-" + rel)
		if err != nil {
			return nil
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil
	}
	cfg := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && (v == "y" || v == "m") {
			cfg[k] = true
		}
	}
	return cfg
}
