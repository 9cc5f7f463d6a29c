package profile

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/syscage/syscage/arch"
)

// FilterFlags are the SECCOMP_FILTER_FLAG_* names of the kernel. runc
// accepts TSYNC (which it ignores), LOG, SPEC_ALLOW and
// WAIT_KILLABLE_RECV in a profile.
var FilterFlags = []string{
	"SECCOMP_FILTER_FLAG_TSYNC",
	"SECCOMP_FILTER_FLAG_LOG",
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	"SECCOMP_FILTER_FLAG_NEW_LISTENER",
	"SECCOMP_FILTER_FLAG_TSYNC_ESRCH",
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
}

// Validate reports the first problem that would make runc or libseccomp
// refuse p: an invalid action (ERRNO with errno >= 4095, data on an
// action without any), an argument index above 5, an unknown operator, an
// invalid ABI, both archMap and architectures, a rule without names, an
// unknown filter flag or a malformed minKernel. Unknown system-call names
// are not errors here (runc skips them); see TableOptions.Strict.
func (p *Profile) Validate() error {
	if err := p.Default.validate(); err != nil {
		return fmt.Errorf("default action: %w", err)
	}
	for _, a := range p.Arches {
		if !validArch(a) {
			return fmt.Errorf("%w: invalid architecture %d", ErrInvalid, a)
		}
	}
	if len(p.Arches) > 0 && len(p.ArchMap) > 0 {
		return fmt.Errorf("%w: both architectures and archMap are set; use one of them", ErrInvalid)
	}
	if err := SameByteOrder(p.Arches...); err != nil {
		return err
	}
	for _, e := range p.ArchMap {
		if !validArch(e.Arch) {
			return fmt.Errorf("%w: archMap: invalid architecture %d", ErrInvalid, e.Arch)
		}
		for _, s := range e.Sub {
			if !validArch(s) {
				return fmt.Errorf("%w: archMap %s: invalid sub-architecture %d", ErrInvalid, e.Arch, s)
			}
		}
	}
	for _, f := range p.Flags {
		if err := validFlag(f); err != nil {
			return err
		}
	}
	for i, r := range p.Rules {
		if err := r.validate(); err != nil {
			return fmt.Errorf("rule %d: %w", i+1, err)
		}
	}
	return nil
}

func validFlag(f string) error {
	for _, k := range FilterFlags {
		if f == k {
			return nil
		}
	}
	return fmt.Errorf("%w: unknown filter flag %q (want one of %s)", ErrInvalid, f, strings.Join(FilterFlags, ", "))
}

var archCount = sync.OnceValue(func() int { return len(arch.All()) })

// validArch reports whether a is one of arch.All (which lists the ABIs in
// order from 1).
func validArch(a arch.Arch) bool { return a > arch.Invalid && int(a) <= archCount() }

func (r Rule) validate() error {
	if len(r.Names) == 0 {
		return fmt.Errorf("%w: no system-call names", ErrInvalid)
	}
	for _, n := range r.Names {
		if err := CheckName(n); err != nil {
			return err
		}
	}
	if err := r.Action.validate(); err != nil {
		return err
	}
	for _, c := range r.Conds {
		if err := c.validate(); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		what string
		f    Filter
	}{{"includes", r.Includes}, {"excludes", r.Excludes}} {
		for _, a := range f.f.Arches {
			if !validArch(a) {
				return fmt.Errorf("%w: %s: invalid architecture %d", ErrInvalid, f.what, a)
			}
		}
		if f.f.MinKernel != "" {
			if _, err := ParseMinKernel(f.f.MinKernel); err != nil {
				return fmt.Errorf("%s: %w", f.what, err)
			}
		}
	}
	return nil
}

// KernelVersion is a kernel release reduced to what Docker compares: the
// version and major revision ("5.10" of "5.10.0-8-amd64").
type KernelVersion struct{ Kernel, Major uint64 }

// String returns "kernel.major".
func (k KernelVersion) String() string { return fmt.Sprintf("%d.%d", k.Kernel, k.Major) }

// Less reports whether k is older than l.
func (k KernelVersion) Less(l KernelVersion) bool {
	return k.Kernel < l.Kernel || k.Kernel == l.Kernel && k.Major < l.Major
}

// ParseMinKernel reads a minKernel value as moby does: exactly
// "<kernel>.<major>", each a decimal number 0..255, not "0.0".
func ParseMinKernel(s string) (KernelVersion, error) {
	bad := func(why string) (KernelVersion, error) {
		return KernelVersion{}, fmt.Errorf("%w: invalid kernel version %q, expected \"<kernel>.<major>\"%s", ErrInvalid, s, why)
	}
	parts := strings.SplitN(s, ".", 3)
	if len(parts) != 2 {
		return bad("")
	}
	var k KernelVersion
	var err error
	if k.Kernel, err = strconv.ParseUint(parts[0], 10, 8); err != nil {
		return bad("")
	}
	if k.Major, err = strconv.ParseUint(parts[1], 10, 8); err != nil {
		return bad("")
	}
	if k.Kernel == 0 && k.Major == 0 {
		return bad(": version cannot be 0.0")
	}
	return k, nil
}

// ParseKernelRelease reads a kernel release ("6.18.0", "3.12-1-amd64",
// "5.15.0-rc5") as moby does: the two leading numbers.
func ParseKernelRelease(s string) (KernelVersion, error) {
	var k KernelVersion
	rest := s
	num := func() (uint64, bool) {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, false
		}
		v, err := strconv.ParseUint(rest[:i], 10, 64)
		rest = rest[i:]
		return v, err == nil
	}
	var ok bool
	if k.Kernel, ok = num(); !ok || !strings.HasPrefix(rest, ".") {
		return KernelVersion{}, fmt.Errorf("%w: cannot parse kernel release %q", ErrInvalid, s)
	}
	rest = rest[1:]
	if k.Major, ok = num(); !ok {
		return KernelVersion{}, fmt.Errorf("%w: cannot parse kernel release %q", ErrInvalid, s)
	}
	return k, nil
}

var errNoEnv = errors.New("the environment does not say")

// SameByteOrder reports an error when as mixes little- and big-endian
// ABIs: libseccomp refuses to add an architecture of the other byte
// order to a filter (seccomp_arch_add fails with EDOM, db_col_db_add),
// and runc with it. The filter always holds the native ABI too, so the
// host counts (seccomp.Compile and Resolve check it).
func SameByteOrder(as ...arch.Arch) error {
	for _, a := range as {
		if validArch(a) && validArch(as[0]) && a.BigEndian() != as[0].BigEndian() {
			return fmt.Errorf("%w: %s is %s and %s %s: libseccomp refuses a filter that mixes byte orders (seccomp_arch_add: EDOM)", ErrInvalid, as[0], endian(as[0]), a, endian(a))
		}
	}
	return nil
}

func endian(a arch.Arch) string {
	if a.BigEndian() {
		return "big-endian"
	}
	return "little-endian"
}

// CheckName reports a system-call name that runc, libseccomp or LXC would
// read otherwise than Go does: empty, or holding a NUL byte, where a C
// string ends (libseccomp-golang passes names through C.CString, so
// "ptrace\x00x" resolves as ptrace).
func CheckName(n string) error {
	if n == "" {
		return fmt.Errorf("%w: empty system-call name", ErrInvalid)
	}
	if i := strings.IndexByte(n, 0); i >= 0 {
		return fmt.Errorf("%w: system-call name %q holds a NUL byte: runc and LXC read it as %q; write that name alone", ErrInvalid, n, n[:i])
	}
	return nil
}

// FindNUL returns the 1-based line and byte column of the first NUL byte
// of a text profile, or 0, 0. LXC and systemd read their files as C
// strings, which end there: text after it on the line means something
// else to them than to a Go reader, so the text formats refuse it.
func FindNUL(data []byte) (line, col int) {
	i := bytes.IndexByte(data, 0)
	if i < 0 {
		return 0, 0
	}
	line = 1 + bytes.Count(data[:i], []byte{'\n'})
	return line, i - bytes.LastIndexByte(data[:i], '\n')
}
