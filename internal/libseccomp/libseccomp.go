//go:build libseccomp && cgo

package libseccomp

/*
#cgo LDFLAGS: -lseccomp
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <seccomp.h>

static uint32_t act_errno(uint16_t x) { return SCMP_ACT_ERRNO(x); }
static uint32_t act_trace(uint16_t x) { return SCMP_ACT_TRACE(x); }

// export_memfd writes the filter's BPF into a new memfd and returns the
// descriptor, or a negative errno.
static int export_memfd(scmp_filter_ctx ctx) {
	int fd = memfd_create("syscage-libseccomp", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/profile"
)

// Options control Build.
type Options struct {
	// Optimize is SCMP_FLTATR_CTL_OPTIMIZE: 1 for libseccomp's priority
	// ordered lists, 2 for its binary tree of system calls. 0 leaves
	// libseccomp's default (1).
	Optimize int
}

// ErrUnsupportedArch reports an ABI the installed libseccomp does not know.
var ErrUnsupportedArch = errors.New("libseccomp does not support the architecture")

// Errno is a negative return value of a libseccomp function.
type Errno struct {
	Func  string // the libseccomp function, such as "seccomp_rule_add_array"
	Errno syscall.Errno
}

func (e *Errno) Error() string {
	name := errnoNames[e.Errno]
	if name == "" {
		name = fmt.Sprintf("errno %d", int(e.Errno))
	}
	return fmt.Sprintf("%s: -%s (%s)", e.Func, name, e.Errno.Error())
}

// Unwrap returns the errno, so that errors.Is(err, syscall.EEXIST) works.
func (e *Errno) Unwrap() error { return e.Errno }

var errnoNames = map[syscall.Errno]string{
	syscall.EACCES: "EACCES", syscall.ECANCELED: "ECANCELED", syscall.EDOM: "EDOM",
	syscall.EEXIST: "EEXIST", syscall.EFAULT: "EFAULT", syscall.EINVAL: "EINVAL",
	syscall.ENOENT: "ENOENT", syscall.ENOMEM: "ENOMEM", syscall.EOPNOTSUPP: "EOPNOTSUPP",
	syscall.ESRCH: "ESRCH", syscall.EPERM: "EPERM",
}

func errno(fn string, rc C.int) error {
	return &Errno{Func: fn, Errno: syscall.Errno(-rc)}
}

// Version returns the version of the libseccomp the program runs with.
func Version() (major, minor, micro uint) {
	v := C.seccomp_version()
	return uint(v.major), uint(v.minor), uint(v.micro)
}

// probe makes libseccomp query the kernel's seccomp features once, before
// goroutines build filters concurrently: libseccomp caches them in
// unsynchronized globals on first use.
var probe sync.Once

func token(a arch.Arch) (C.uint32_t, error) {
	name := C.CString(a.String())
	defer C.free(unsafe.Pointer(name))
	t := C.seccomp_arch_resolve_name(name)
	if t == 0 {
		return 0, fmt.Errorf("%w: %s", ErrUnsupportedArch, a)
	}
	return t, nil
}

// Supported reports whether the installed libseccomp knows ABI a.
func Supported(a arch.Arch) bool {
	_, err := token(a)
	return err == nil
}

// SyscallName returns the name libseccomp's table gives system call nr on
// a (seccomp_syscall_resolve_num_arch).
func SyscallName(a arch.Arch, nr uint32) (string, bool) {
	t, err := token(a)
	if err != nil {
		return "", false
	}
	s := C.seccomp_syscall_resolve_num_arch(t, C.int(int32(nr)))
	if s == nil {
		return "", false
	}
	defer C.free(unsafe.Pointer(s))
	return C.GoString(s), true
}

// SyscallNumber returns the number libseccomp's table gives the system
// call name on a (seccomp_syscall_resolve_name_arch): negative for its
// pseudo numbers (names that a does not have, or reaches only through
// socketcall(2) or ipc(2)).
func SyscallNumber(a arch.Arch, name string) (int32, bool) {
	t, err := token(a)
	if err != nil {
		return 0, false
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	nr := C.seccomp_syscall_resolve_name_arch(t, cs)
	if nr == C.__NR_SCMP_ERROR {
		return 0, false
	}
	return int32(nr), true
}

func action(a profile.Action) (C.uint32_t, error) {
	switch a.Kind {
	case profile.ActKillProcess:
		return C.SCMP_ACT_KILL_PROCESS, nil
	case profile.ActKillThread:
		return C.SCMP_ACT_KILL_THREAD, nil
	case profile.ActTrap:
		return C.SCMP_ACT_TRAP, nil
	case profile.ActErrno:
		return C.act_errno(C.uint16_t(a.Data)), nil
	case profile.ActUserNotif:
		return C.SCMP_ACT_NOTIFY, nil
	case profile.ActTrace:
		return C.act_trace(C.uint16_t(a.Data)), nil
	case profile.ActLog:
		return C.SCMP_ACT_LOG, nil
	case profile.ActAllow:
		return C.SCMP_ACT_ALLOW, nil
	}
	return 0, fmt.Errorf("%w: action %v", profile.ErrInvalid, a)
}

var ops = map[profile.Op]C.enum_scmp_compare{
	profile.OpNE:       C.SCMP_CMP_NE,
	profile.OpLT:       C.SCMP_CMP_LT,
	profile.OpLE:       C.SCMP_CMP_LE,
	profile.OpEQ:       C.SCMP_CMP_EQ,
	profile.OpGE:       C.SCMP_CMP_GE,
	profile.OpGT:       C.SCMP_CMP_GT,
	profile.OpMaskedEQ: C.SCMP_CMP_MASKED_EQ,
}

// Build returns the filter libseccomp makes of p on a machine whose native
// ABI is host, as runc builds it (see the package documentation). p must
// be resolved (no includes, excludes or archMap). An error from libseccomp
// wraps an *Errno: a rule that conflicts with an earlier one, for
// instance, gives -EEXIST.
func Build(p *profile.Profile, host arch.Arch, o Options) (bpf.Program, error) {
	// No p.Validate: what libseccomp itself accepts (an errno of 4095,
	// say) is part of what this package reports.
	if p.Conditional() {
		return nil, fmt.Errorf("libseccomp build: %w: the profile has includes, excludes or archMap; resolve it first", profile.ErrInvalid)
	}
	if o.Optimize < 0 || o.Optimize > 2 {
		return nil, fmt.Errorf("libseccomp build: optimize level %d (want 0, 1 or 2)", o.Optimize)
	}
	probe.Do(func() { C.seccomp_api_get() })

	def, err := action(p.Default)
	if err != nil {
		return nil, fmt.Errorf("libseccomp build: default action: %w", err)
	}
	hostTok, err := token(host)
	if err != nil {
		return nil, fmt.Errorf("libseccomp build: host: %w", err)
	}
	ctx := C.seccomp_init(def)
	if ctx == nil {
		return nil, fmt.Errorf("libseccomp build: seccomp_init refuses the default action %s", p.Default)
	}
	defer C.seccomp_release(ctx)

	// runc runs on the host, where seccomp_init adds the host's ABI. On
	// another machine, swap the native ABI for the host's (first remove,
	// since ABIs of another byte order cannot be added next to it).
	if hostTok != C.seccomp_arch_native() {
		if rc := C.seccomp_arch_remove(ctx, C.SCMP_ARCH_NATIVE); rc != 0 {
			return nil, fmt.Errorf("libseccomp build: remove the native architecture: %w", errno("seccomp_arch_remove", rc))
		}
		if rc := C.seccomp_arch_add(ctx, hostTok); rc != 0 {
			return nil, fmt.Errorf("libseccomp build: add host architecture %s: %w", host, errno("seccomp_arch_add", rc))
		}
	}
	// libseccomp-golang's NewFilter turns TSYNC on; it does not change the
	// program but decides whether libseccomp accepts SCMP_ACT_NOTIFY.
	if rc := C.seccomp_attr_set(ctx, C.SCMP_FLTATR_CTL_TSYNC, 1); rc != 0 && rc != -C.EOPNOTSUPP {
		return nil, fmt.Errorf("libseccomp build: set TSYNC: %w", errno("seccomp_attr_set", rc))
	}
	for _, a := range p.Arches {
		t, err := token(a)
		if err != nil {
			return nil, fmt.Errorf("libseccomp build: %w", err)
		}
		// libseccomp-golang's AddArch: an ABI already there is no error.
		if rc := C.seccomp_arch_add(ctx, t); rc != 0 && rc != -C.EEXIST {
			return nil, fmt.Errorf("libseccomp build: add architecture %s: %w", a, errno("seccomp_arch_add", rc))
		}
	}
	if o.Optimize != 0 {
		if rc := C.seccomp_attr_set(ctx, C.SCMP_FLTATR_CTL_OPTIMIZE, C.uint32_t(o.Optimize)); rc != 0 {
			return nil, fmt.Errorf("libseccomp build: set optimize level %d: %w", o.Optimize, errno("seccomp_attr_set", rc))
		}
	}

	for i, r := range p.Rules {
		if r.Action == p.Default {
			continue // runc: "This rule is redundant, silently skip it"
		}
		act, err := action(r.Action)
		if err != nil {
			return nil, fmt.Errorf("libseccomp build: rule %d: %w", i+1, err)
		}
		gs := profile.Conjunctions(r.Conds)
		for _, name := range r.Names {
			cs := C.CString(name)
			nr := C.seccomp_syscall_resolve_name(cs)
			C.free(unsafe.Pointer(cs))
			if nr == C.__NR_SCMP_ERROR {
				continue // runc: "unknown seccomp syscall ignored"
			}
			for _, g := range gs {
				if err := addRule(ctx, act, nr, g); err != nil {
					return nil, fmt.Errorf("libseccomp build: rule %d (%s) for %s: %w", i+1, r.Action, name, err)
				}
			}
		}
	}

	fd := C.export_memfd(ctx)
	if fd < 0 {
		return nil, fmt.Errorf("libseccomp build: export: %w", errno("seccomp_export_bpf", fd))
	}
	f := os.NewFile(uintptr(fd), "libseccomp-bpf")
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("libseccomp build: read the exported filter: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("libseccomp build: read the exported filter: %w", err)
	}
	prog, err := bpf.Decode(b, host.ByteOrder())
	if err != nil {
		return nil, fmt.Errorf("libseccomp build: %w", err)
	}
	if native, ok := arch.Native(); ok && native.BigEndian() != host.BigEndian() {
		if err := fixCrossEndianReturns(prog, p); err != nil {
			return nil, fmt.Errorf("libseccomp build: %w", err)
		}
	}
	return prog, nil
}

// fixCrossEndianReturns undoes a libseccomp bug (v2.5.4 to v2.6.1) that
// shows only when the filter's byte order is not the machine's. When a
// jump to a return instruction is too far, _gen_bpf_build_jmp_ret inserts
// a copy of the return closer by, passing the k it has already converted
// to the filter's byte order to _gen_bpf_action, which converts it again:
// the copy returns the byte-swapped action (ALLOW 0x7fff0000 becomes
// 0x0000ff7f). On a machine of the filter's own byte order the conversion
// is the identity and the filter is right, so this is an artifact of
// building for a foreign host, and Build repairs it: a return whose value
// is not one of the profile's actions but whose byte swap is, gets the
// swapped value back. Values that would be ambiguous are an error.
func fixCrossEndianReturns(prog bpf.Program, p *profile.Profile) error {
	valid := map[uint32]bool{uint32(C.SCMP_ACT_KILL_THREAD): true} // the bad-arch action
	add := func(a profile.Action) error {
		k, err := action(a)
		if err != nil {
			return err
		}
		valid[uint32(k)] = true
		return nil
	}
	if err := add(p.Default); err != nil {
		return err
	}
	for _, r := range p.Rules {
		if err := add(r.Action); err != nil {
			return err
		}
	}
	for k := range valid {
		if s := bits.ReverseBytes32(k); s != k && valid[s] {
			return fmt.Errorf("cannot undo libseccomp's cross-endian return bug: actions %#x and %#x are each other's byte swap", k, s)
		}
	}
	for i, ins := range prog {
		if ins.Op != bpf.BPF_RET|bpf.BPF_K || valid[ins.K] {
			continue
		}
		if s := bits.ReverseBytes32(ins.K); valid[s] {
			prog[i].K = s
		}
	}
	return nil
}

func addRule(ctx C.scmp_filter_ctx, act C.uint32_t, nr C.int, conds []profile.Cond) error {
	if len(conds) == 0 {
		if rc := C.seccomp_rule_add_array(ctx, act, nr, 0, nil); rc != 0 {
			return errno("seccomp_rule_add_array", rc)
		}
		return nil
	}
	// The array holds no Go pointers, so it may be passed to C as is.
	arr := make([]C.struct_scmp_arg_cmp, len(conds))
	for i, c := range conds {
		op, ok := ops[c.Op]
		if !ok {
			return fmt.Errorf("%w: operator %v", profile.ErrInvalid, c.Op)
		}
		// As libseccomp-golang's MakeCondition with runc's two values:
		// datum_b is ValueTwo whatever the operator (libseccomp reads it
		// only for MASKED_EQ).
		arr[i] = C.struct_scmp_arg_cmp{
			arg:     C.uint(c.Arg),
			op:      op,
			datum_a: C.scmp_datum_t(c.Value),
			datum_b: C.scmp_datum_t(c.ValueTwo),
		}
	}
	if rc := C.seccomp_rule_add_array(ctx, act, nr, C.uint(len(arr)), &arr[0]); rc != 0 {
		return errno("seccomp_rule_add_array", rc)
	}
	return nil
}
