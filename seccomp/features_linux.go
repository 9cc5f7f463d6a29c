package seccomp

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/unix"
)

// Probe reports what this kernel and host offer for seccomp. It never
// installs a filter: flags are probed by seccomp(SECCOMP_SET_MODE_FILTER)
// with a NULL program, which the kernel refuses after checking the flags
// (EINVAL for a flag it does not know, EFAULT once it tries to read the
// program), and every other probe only reads. No probe needs a child
// process. Probe fails only if uname(2) does; probes that cannot be made
// leave their fields at "unknown" and say why in Notes.
func Probe() (*Features, error) {
	rel, machine, err := unix.Uname()
	if err != nil {
		return nil, fmt.Errorf("probe: uname: %w", err)
	}
	f := &Features{Kernel: rel, Machine: machine, Compat: []Compat{}, Filters: -1}
	host, herr := arch.Parse(machine)
	if herr == nil {
		f.Arch = host.String()
	}
	cfg := readKernelConfig(rel)

	probeThread(f)
	f.ActionsAvail = words("/proc/sys/kernel/seccomp/actions_avail")
	f.ActionsLogged = words("/proc/sys/kernel/seccomp/actions_logged")
	probeSeccomp(f)
	f.ActionCache = probeActionCache(f, host, herr == nil, cfg)
	if herr == nil {
		for _, c := range host.Compat() {
			f.Compat = append(f.Compat, Compat{Arch: c.String(), Detection: probeCompat(host, c, rel, cfg)})
		}
	} else {
		f.note("syscage does not know the machine %q: no compat ABIs listed", machine)
	}
	return f, nil
}

func (f *Features) note(format string, a ...any) {
	f.Notes = append(f.Notes, fmt.Sprintf(format, a...))
}

// probeThread reads the seccomp state of one (locked) thread.
func probeThread(f *Features) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	mode, err := unix.SeccompMode()
	switch {
	case err == nil:
		f.Seccomp, f.Mode = true, mode
	case errors.Is(err, unix.EINVAL):
		f.note("prctl(PR_GET_SECCOMP): EINVAL: the kernel has no CONFIG_SECCOMP")
	default:
		f.note("prctl(PR_GET_SECCOMP): %v", err)
	}
	if nnp, err := unix.NoNewPrivs(); err == nil {
		f.NoNewPrivs = nnp
	}
	st, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		st, _ = os.ReadFile("/proc/self/status") // before Linux 3.17
	}
	for _, line := range strings.Split(string(st), "\n") {
		k, v, _ := strings.Cut(line, ":")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			continue
		}
		switch k {
		case "Seccomp":
			if f.Seccomp && n != f.Mode {
				f.note("prctl(PR_GET_SECCOMP) says mode %d, /proc says %d", f.Mode, n)
			}
		case "Seccomp_filters":
			f.Filters = n
		}
	}
}

// probeSeccomp asks seccomp(2) about filter mode, flags, actions and
// notification sizes.
func probeSeccomp(f *Features) {
	switch err := unix.ProbeFlags(0); {
	case errors.Is(err, unix.EFAULT):
		f.FilterSupported = true
	case errors.Is(err, unix.EINVAL):
		f.note("seccomp(SECCOMP_SET_MODE_FILTER): EINVAL: the kernel has no CONFIG_SECCOMP_FILTER")
	case errors.Is(err, unix.ENOSYS):
		f.note("seccomp(2): ENOSYS: no seccomp system call (Linux before 3.17, or no CONFIG_SECCOMP); flags and actions not probed")
		return
	default:
		f.note("seccomp(2): %v: a filter of this process may deny it; flags and actions not probed", err)
		return
	}
	for _, n := range flagNames {
		err := unix.ProbeFlags(uint(flagProbe(n.f)))
		if err != nil && !errors.Is(err, unix.EFAULT) && !errors.Is(err, unix.EINVAL) {
			f.note("probe %s: unexpected %v", n.name, err)
		}
		f.Flags = append(f.Flags, Supported{Name: n.name, Supported: errors.Is(err, unix.EFAULT)})
	}
	if err := unix.ActionAvail(SECCOMP_RET_ALLOW); errors.Is(err, unix.EINVAL) {
		f.note("SECCOMP_GET_ACTION_AVAIL: EINVAL: the kernel predates it (Linux 4.14); actions not confirmed")
	} else {
		for _, a := range actionNames {
			err := unix.ActionAvail(a.ret)
			if err != nil && !errors.Is(err, unix.EOPNOTSUPP) {
				f.note("SECCOMP_GET_ACTION_AVAIL %s: unexpected %v", a.name, err)
			}
			f.Actions = append(f.Actions, Supported{Name: a.name, Supported: err == nil})
		}
	}
	if s, err := unix.GetNotifSizes(); err == nil {
		f.NotifSizes = &NotifSizes{Notif: int(s.Notif), NotifResp: int(s.NotifResp), Data: int(s.Data)}
	}
}

// flagProbe returns the flags that probe fl: seccomp_set_mode_filter
// (kernel/seccomp.c) refuses WAIT_KILLABLE_RECV without NEW_LISTENER, and
// TSYNC with NEW_LISTENER without TSYNC_ESRCH, with EINVAL as for unknown
// flags. Every other flag is accepted alone by a kernel that knows it
// (TSYNC_ESRCH too), so those are probed alone; WAIT_KILLABLE_RECV is
// probed with NEW_LISTENER, which is older.
func flagProbe(fl Flags) Flags {
	if fl&SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV != 0 {
		fl |= SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	return fl
}

// refusedFlags returns the flags of fl this kernel does not know, probing
// each on its own.
func refusedFlags(fl Flags) Flags {
	var refused Flags
	for bit := Flags(1); bit != 0 && bit <= fl; bit <<= 1 {
		if fl&bit != 0 && errors.Is(unix.ProbeFlags(uint(flagProbe(bit))), unix.EINVAL) {
			refused |= bit
		}
	}
	return refused
}

// probeActionCache tells whether the kernel has the action cache. The
// cache has no configuration option of its own: it exists from Linux 5.11
// on architectures whose kernel defines SECCOMP_ARCH_NATIVE. Only
// CONFIG_SECCOMP_CACHE_DEBUG makes it visible, as /proc/PID/seccomp_cache.
func probeActionCache(f *Features, host arch.Arch, hostKnown bool, cfg *kernelConfig) Detection {
	switch {
	case fileExists("/proc/self/seccomp_cache"):
		return detected(true, "/proc/self/seccomp_cache exists (CONFIG_SECCOMP_CACHE_DEBUG)")
	case cfg.on("CONFIG_SECCOMP_CACHE_DEBUG"):
		return detected(true, "CONFIG_SECCOMP_CACHE_DEBUG in %s", cfg.path)
	case !f.FilterSupported:
		return detected(false, "no seccomp filter mode")
	case !hostKnown:
		return undetermined("unknown machine %s", f.Machine)
	}
	known, ok := cacheArch(host)
	switch {
	case !ok:
		return undetermined("syscage does not know whether %s kernels have it", host)
	case !known:
		return detected(false, "%s kernels do not define SECCOMP_ARCH_NATIVE", host)
	case !kernelAtLeast(f.Kernel, 5, 11):
		return detected(false, "inferred: Linux %s predates 5.11, which added it (unless backported)", f.Kernel)
	}
	return detected(true, "inferred: Linux 5.11+ on %s, which defines SECCOMP_ARCH_NATIVE", host)
}

// cacheArch tells whether kernels of a define SECCOMP_ARCH_NATIVE, which
// the action cache needs; ok is false when syscage does not know.
func cacheArch(a arch.Arch) (has, ok bool) {
	switch a {
	case arch.X86_64, arch.X86, arch.X32, arch.AARCH64, arch.ARM, arch.S390X, arch.S390,
		arch.PARISC, arch.PARISC64, arch.PPC, arch.PPC64, arch.PPC64LE, arch.RISCV64, arch.LOONGARCH64:
		return true, true
	case arch.MIPS, arch.MIPSEL, arch.MIPS64, arch.MIPSEL64, arch.MIPS64N32, arch.MIPSEL64N32:
		return false, true // sparse system-call numbers: no cache
	}
	return false, false
}

// probeCompat tells whether this kernel runs compat ABI c of host.
func probeCompat(host, c arch.Arch, rel string, cfg *kernelConfig) Detection {
	if self, ok := arch.GOARCH(runtime.GOARCH); ok && self == c {
		return detected(true, "this program runs as %s", c)
	}
	switch {
	case host == arch.X86_64 && c == arch.X86:
		return probeIA32(rel, cfg)
	case host == arch.X86_64 && c == arch.X32:
		ok, err := unix.ProbeX32()
		if err == nil {
			if ok {
				return detected(true, "an x32 system call answered")
			}
			return detected(false, "an x32 system call returned ENOSYS")
		}
		if cfg != nil {
			return detected(cfg.on("CONFIG_X86_X32_ABI"), "CONFIG_X86_X32_ABI%s in %s; not probed: %v", cfg.yn("CONFIG_X86_X32_ABI"), cfg.path, err)
		}
		return undetermined("kernel configuration unreadable; not probed: %v", err)
	}
	opt := "CONFIG_COMPAT"
	switch c {
	case arch.MIPS64N32, arch.MIPSEL64N32:
		opt = "CONFIG_MIPS32_N32"
	case arch.MIPS, arch.MIPSEL:
		opt = "CONFIG_MIPS32_O32"
	}
	if cfg == nil {
		return undetermined("kernel configuration unreadable")
	}
	d := detected(cfg.on(opt), "%s%s in %s", opt, cfg.yn(opt), cfg.path)
	if host == arch.AARCH64 && cfg.on(opt) {
		d.Source += "; the CPU must also run AArch32 at EL0"
	}
	return d
}

// probeIA32 tells whether an x86_64 kernel runs i386 programs: built with
// CONFIG_IA32_EMULATION (seen in the kernel configuration, or in the
// abi.vsyscall32 sysctl, which only that option registers on x86_64), and
// not turned off at boot (ia32_emulation=, Linux 6.7 and later).
func probeIA32(rel string, cfg *kernelConfig) Detection {
	var src string
	switch {
	case cfg != nil:
		src = fmt.Sprintf("CONFIG_IA32_EMULATION%s in %s", cfg.yn("CONFIG_IA32_EMULATION"), cfg.path)
		if !cfg.on("CONFIG_IA32_EMULATION") {
			return detected(false, "%s", src)
		}
	case fileExists("/proc/sys/abi/vsyscall32"):
		src = "/proc/sys/abi/vsyscall32 exists (CONFIG_IA32_EMULATION)"
	case fileExists("/proc/sys/kernel"):
		return detected(false, "no /proc/sys/abi/vsyscall32 (no CONFIG_IA32_EMULATION)")
	default:
		return undetermined("kernel configuration unreadable and /proc/sys not mounted")
	}
	if !kernelAtLeast(rel, 6, 7) {
		return runI386(src)
	}
	if v, ok := cmdlineBool("ia32_emulation"); ok {
		src = fmt.Sprintf("%s; ia32_emulation=%t on the kernel command line", src, v)
		if !v {
			return detected(false, "%s", src)
		}
		return runI386(src)
	}
	if cfg.on("CONFIG_IA32_EMULATION_DEFAULT_DISABLED") {
		return detected(false, "%s, but CONFIG_IA32_EMULATION_DEFAULT_DISABLED and no ia32_emulation= on the kernel command line", src)
	}
	return runI386(src)
}

// runI386 settles what the configuration suggests by running a tiny i386
// program: a kernel with IA32 emulation built in and on can still refuse
// 32-bit programs (a hypervisor that runs no 32-bit code, a distribution
// patch), and only running one tells.
func runI386(src string) Detection {
	ok, err := unix.ProbeI386()
	switch {
	case err != nil:
		return undetermined("%s; running an i386 program: %v", src, err)
	case !ok:
		return detected(false, "%s, but the kernel refuses i386 programs (executing a static i386 ELF file: exec format error)", src)
	}
	return detected(true, "%s; an i386 program ran", src)
}

// cmdlineBool reads a boolean kernel parameter as kstrtobool does.
func cmdlineBool(name string) (value, ok bool) {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return false, false
	}
	for _, w := range strings.Fields(string(b)) {
		if w == "--" {
			break // the rest is for init
		}
		v, found := strings.CutPrefix(w, name+"=")
		if !found || v == "" {
			continue
		}
		switch v[0] {
		case 'y', 'Y', '1':
			value, ok = true, true
		case 'n', 'N', '0':
			value, ok = false, true
		case 'o', 'O':
			if len(v) > 1 && (v[1] == 'n' || v[1] == 'N') {
				value, ok = true, true
			} else if len(v) > 1 && (v[1] == 'f' || v[1] == 'F') {
				value, ok = false, true
			}
		}
	}
	return value, ok
}

// kernelConfig is the kernel's build configuration, or nil when it
// cannot be read.
type kernelConfig struct {
	path string
	opts map[string]string
}

func (c *kernelConfig) on(name string) bool {
	if c == nil {
		return false
	}
	v := c.opts[name]
	return v == "y" || v == "m"
}

// yn spells the setting of name as the configuration file does, after
// the option's name: "=y", "=m" or " not set".
func (c *kernelConfig) yn(name string) string {
	if c.on(name) {
		return "=" + c.opts[name]
	}
	return " not set"
}

// readKernelConfig reads /proc/config.gz (CONFIG_IKCONFIG_PROC) or
// /boot/config-RELEASE, as distributions install it.
func readKernelConfig(rel string) *kernelConfig {
	read := func(path string, gz bool) *kernelConfig {
		fh, err := os.Open(path)
		if err != nil {
			return nil
		}
		defer fh.Close()
		var r io.Reader = fh
		if gz {
			z, err := gzip.NewReader(fh)
			if err != nil {
				return nil
			}
			r = z
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return nil
		}
		c := &kernelConfig{path: path, opts: map[string]string{}}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok && strings.HasPrefix(k, "CONFIG_") {
				c.opts[k] = v
			}
		}
		return c
	}
	if c := read("/proc/config.gz", true); c != nil {
		return c
	}
	return read("/boot/config-"+rel, false)
}

func words(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// kernelAtLeast compares the leading major.minor of a release string.
func kernelAtLeast(rel string, major, minor int) bool {
	var a, b int
	if _, err := fmt.Sscanf(rel, "%d.%d", &a, &b); err != nil {
		return false
	}
	return a > major || (a == major && b >= minor)
}
