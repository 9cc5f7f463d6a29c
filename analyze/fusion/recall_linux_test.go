package fusion_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/syscage/syscage/analyze"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/record"
)

// TestRecall records a dozen real programs of three kinds (dynamically
// linked C, statically linked C, Go) with the recorder and checks that the static
// analysis of each binary finds every system call the recording saw, on
// the native ABI: a call recorded but not found is a bug of the analysis,
// unless the analysis says it could not resolve something.
func TestRecall(t *testing.T) {
	native, _ := arch.Native()
	if native != arch.X86_64 && native != arch.AARCH64 {
		t.Skip("the analysis reads x86_64 and aarch64 code")
	}
	syscage := testenv.BuildSyscage(t)
	cache := t.TempDir()
	programs := []struct {
		name string
		argv []string
	}{
		{"dynamic C: ls", []string{"/bin/ls", "-la", "/usr/bin", "/proc/self/"}},
		{"dynamic C: sort", []string{"/usr/bin/sort", "/etc/passwd"}},
		{"dynamic C: date", []string{"/bin/date", "-u", "+%s"}},
		{"dynamic C: find", []string{"/usr/bin/find", "/etc", "-maxdepth", "2", "-name", "*.conf", "-newer", "/etc/hostname"}},
		{"dynamic C: grep", []string{"/bin/grep", "-r", "-c", "root", "/etc/passwd", "/etc/group"}},
		{"dynamic C: sed", []string{"/bin/sed", "-n", "s/root/x/p", "/etc/passwd"}},
		{"dynamic C: awk", []string{"/usr/bin/awk", "-F:", "{n += $3} END {print n}", "/etc/passwd"}},
		{"dynamic C: sha256sum", []string{"/usr/bin/sha256sum", "/etc/passwd", "/etc/group"}},
		{"dynamic C: gzip", []string{"/bin/gzip", "-c", "-9", "/etc/services"}},
		{"dynamic C: tar", []string{"/bin/tar", "-cf", "/dev/null", "/etc/apt"}},
		{"dynamic C: sqlite3", []string{"/usr/bin/sqlite3", ":memory:", "create table t(a); insert into t values (1), (2); select sum(a) from t;"}},
		{"static C: busybox", []string{"/bin/busybox", "ls", "-l", "/etc"}},
		{"Go: syscage", []string{syscage, "resolve", "read", "openat"}},
	}
	if testenv.Race {
		// The race detector watches the recorder's goroutines, which two
		// programs exercise as well as thirteen; the analysis only
		// computes, ten times slower under it. test.sh runs the test
		// without it too, on every program.
		programs = programs[:2]
	}
	for _, tc := range programs {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := exec.LookPath(tc.argv[0]); err != nil {
				t.Skipf("%s: %v", tc.argv[0], err)
			}
			null, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			defer null.Close()
			res, err := record.Run(context.Background(), tc.argv, record.Options{
				Stdout: null, Stderr: null})
			if err != nil {
				t.Fatal(err)
			}
			an, err := analyze.Analyze(tc.argv[0], analyze.Options{CacheDir: cache})
			if err != nil {
				t.Fatal(err)
			}
			found := an.Names()
			var missed []string
			seen := 0
			for _, c := range res.Recording.Calls() {
				if c.Arch != native || c.Name == "execve" {
					continue // execve is the launcher's, which starts the program
				}
				seen++
				if !slices.Contains(found, c.Name) {
					missed = append(missed, c.Name)
				}
			}
			t.Logf("recorded %d, static %d, unresolved %d", seen, len(found), len(an.Unresolved))
			if len(missed) > 0 {
				t.Errorf("recorded but not found statically: %v\nunresolved: %v", missed, an.Unresolved)
			}
		})
	}
}
