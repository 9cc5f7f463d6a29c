package launch

import (
	"fmt"
	"strings"
	"syscall"
)

// The helpers below map a launcher's command-line options (syscage run's
// --allow-open, --env, --keep-fd) to a Cmd.

// ParseOpenRule reads an open-broker rule: an absolute PATH, optionally
// followed by :ro (the default: read-only) or :rw.
func ParseOpenRule(spec string) (OpenRule, error) {
	p, mode, _ := strings.Cut(spec, ":")
	if mode != "" && mode != "ro" && mode != "rw" || !strings.HasPrefix(p, "/") {
		return OpenRule{}, fmt.Errorf("%q: want an absolute PATH, optionally with :ro or :rw", spec)
	}
	return OpenRule{Path: p, Write: mode == "rw"}, nil
}

// SetEnv returns env with kv (K=V) set, replacing an earlier K.
func SetEnv(env []string, kv string) ([]string, error) {
	k, _, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return env, fmt.Errorf("%q: want K=V", kv)
	}
	out := env[:0:0]
	for _, x := range env {
		if xk, _, _ := strings.Cut(x, "="); xk != k {
			out = append(out, x)
		}
	}
	return append(out, kv), nil
}

// KeepFD passes descriptor fd, which this process inherited (Inherited),
// on to the program as the same number. Descriptors 0, 1 and 2 are always
// passed on.
func (c *Cmd) KeepFD(fd int) error {
	if fd < 3 {
		return nil
	}
	f, err := Inherited(fd)
	if err != nil {
		return err
	}
	for len(c.ExtraFiles) <= fd-3 {
		c.ExtraFiles = append(c.ExtraFiles, nil)
	}
	c.ExtraFiles[fd-3] = f
	return nil
}

// CrashSignal reports whether a program that sig ended crashed (SIGSEGV,
// SIGBUS, SIGABRT, SIGILL, SIGFPE) rather than was told to end: a program
// that crashes when a call it needs fails (ld.so on an mmap) gives no
// other hint that its filter denied the call.
func CrashSignal(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGABRT, syscall.SIGILL, syscall.SIGFPE:
		return true
	}
	return false
}
