package launch_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/launch"
)

func init() {
	testenv.Program("inherited-gc", targetInheritedGC)
}

// collect runs the garbage collector until the finalizers of what was
// unreachable before have run: those of a sentinel, twice over.
func collect() {
	for range 2 {
		done := make(chan struct{})
		sentinel := new([64]byte)
		runtime.SetFinalizer(sentinel, func(*[64]byte) { close(done) })
		sentinel = nil
		runtime.GC()
		<-done
	}
}

// targetInheritedGC asks Inherited for its standard descriptors and for
// descriptor 3, which it inherited, and drops the files; once they are
// collected it reports which of the descriptors are still open.
func targetInheritedGC() {
	for range 4 {
		for _, fd := range []int{0, 1, 2, 3} {
			if _, err := launch.Inherited(fd); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
	collect()
	var open []string
	for _, fd := range []int{0, 1, 2, 3} {
		if _, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0); e == 0 {
			open = append(open, fmt.Sprint(fd))
		}
	}
	// To stderr too, in case stdout is what was closed.
	fmt.Fprintln(os.Stderr, "open:", strings.Join(open, " "))
}

// TestInheritedOneOwner: the files Inherited returns own their
// descriptors once: dropping them (the garbage collector then finalizes
// them) closes neither the process's stdin, stdout, stderr nor the
// inherited descriptor, which a later caller, or a launch, still uses.
func TestInheritedOneOwner(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	c := testenv.Command("inherited-gc")
	c.ExtraFiles = []*os.File{r}
	var stderr strings.Builder
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if got, want := strings.TrimSpace(stderr.String()), "open: 0 1 2 3"; got != want {
		t.Errorf("after the files were collected: %q, want %q", got, want)
	}
}
