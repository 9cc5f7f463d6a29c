//go:build libseccomp

package arch_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/libseccomp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// resolverArches are the ABIs the foundation issue compares against
// Debian's libseccomp 2.5.4.
var resolverArches = []arch.Arch{
	arch.X86_64, arch.X86, arch.X32, arch.AARCH64, arch.ARM,
	arch.RISCV64, arch.S390X, arch.PPC64LE, arch.MIPS64,
}

// libseccompTable returns every name libseccomp resolves on a, with its
// number (negative for libseccomp's multiplexed pseudo-numbers), asked as
// scmp_sys_resolver asks it (seccomp_syscall_resolve_num_arch and
// seccomp_syscall_resolve_name_arch).
func libseccompTable(a arch.Arch) map[string]int64 {
	// Scan every number of the ABI's range; then ask by name for the names
	// syscage knows (anywhere) that the scan did not produce, which finds
	// libseccomp's pseudo-numbers and names it places elsewhere.
	base := map[arch.Arch]uint32{arch.X32: arch.X32SyscallBit, arch.MIPS64: 5000}[a]
	var nrs []uint32
	for n := base; n < base+700; n++ {
		nrs = append(nrs, n)
	}
	if a == arch.ARM {
		for n := uint32(0x0f0000); n < 0x0f0010; n++ {
			nrs = append(nrs, n)
		}
	}
	got := map[string]int64{}
	for _, n := range nrs {
		if name, ok := libseccomp.SyscallName(a, n); ok {
			got[name] = int64(n)
		}
	}
	for _, name := range arch.Names() {
		_, seen := got[name]
		_, mux := a.Multiplexed(name)
		// libseccomp answers a multiplexed name with its pseudo-number
		// even where the scan found the direct call by number.
		if seen && !mux {
			continue
		}
		if n, ok := libseccomp.SyscallNumber(a, name); ok {
			if !seen || n < 0 {
				got[name] = int64(n)
			}
		}
	}
	return got
}

// TestResolverMatchesLibseccomp checks that syscage resolves every (arch,
// name) that Debian's libseccomp resolves to the same number, except
// the differences listed with their reasons in
// testdata/libseccomp-2.5.4-differences.txt. The list is exact: a
// difference that is not listed fails, and so does a listed one that no
// longer occurs.
func TestResolverMatchesLibseccomp(t *testing.T) {
	var found []string
	for _, a := range resolverArches {
		lib := libseccompTable(a)
		if len(lib) < 250 {
			t.Fatalf("%s: libseccomp resolved only %d names", a, len(lib))
		}
		for name, want := range lib {
			if _, mux := a.Multiplexed(name); want < 0 && !mux {
				// A pseudo-number (__PNR_*) for a name the ABI lacks:
				// libseccomp does not resolve it to a system call.
				delete(lib, name)
				continue
			}
			if d := compareOne(a, name, want); d != "" {
				found = append(found, d)
			}
		}
		// Names syscage knows on a that libseccomp 2.5.4 does not.
		for _, s := range a.Syscalls() {
			if _, ok := lib[s.Name]; !ok {
				found = append(found, fmt.Sprintf("%s %s libseccomp=- syscage=%d added", a, s.Name, s.Nr))
			}
		}
	}
	sort.Strings(found)
	const golden = "testdata/libseccomp-2.5.4-differences.txt"
	if *update {
		writeDifferences(t, golden, found)
		return
	}
	listed := readDifferences(t, golden)
	have := map[string]bool{}
	for _, d := range found {
		have[d] = true
		if _, ok := listed[d]; !ok {
			t.Errorf("unlisted difference from libseccomp 2.5.4: %s", d)
		}
	}
	for d := range listed {
		if !have[d] {
			t.Errorf("listed difference no longer occurs: %s", d)
		}
	}
}

// compareOne returns a description of how syscage differs from
// libseccomp's answer want for name on a, or "" when they agree.
func compareOne(a arch.Arch, name string, want int64) string {
	nr, ok := a.SyscallNumber(name)
	if want < 0 {
		// libseccomp's pseudo-numbers for the multiplexed calls: -100-n for
		// socketcall sub-call n, -200-n for ipc sub-call n. syscage must
		// know the same sub-call; it also reports the direct call where the
		// ABI has one.
		m, mok := a.Multiplexed(name)
		wantCall := uint32(-want % 100)
		if !mok || m.Call != wantCall {
			return fmt.Sprintf("%s %s libseccomp=%d syscage=%s WRONG-MULTIPLEXER", a, name, want, numText(nr, ok))
		}
		return fmt.Sprintf("%s %s libseccomp=%d syscage=%s multiplexed", a, name, want, numText(nr, ok))
	}
	if !ok {
		return fmt.Sprintf("%s %s libseccomp=%d syscage=- missing", a, name, want)
	}
	if int64(nr) != want {
		return fmt.Sprintf("%s %s libseccomp=%d syscage=%d renumbered", a, name, want, nr)
	}
	return ""
}

func numText(nr uint32, ok bool) string {
	if !ok {
		return "-"
	}
	return strconv.FormatUint(uint64(nr), 10)
}

// The differences file holds one difference per line, "arch name
// libseccomp=N syscage=M kind", followed by "# reason" lines that apply to
// the kinds named in them. Reasons are written once per kind in the header.
func readDifferences(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out[line] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func writeDifferences(t *testing.T, path string, found []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(differencesHeader)
	for _, d := range found {
		b.WriteString(d + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

const differencesHeader = `# Deliberate differences between syscage's syscall tables and Debian 12's
# scmp_sys_resolver (libseccomp 2.5.4), on the ABIs the foundation issue
# names. TestResolverMatchesLibseccomp fails on any difference not listed
# here and on any listed one that no longer occurs. Regenerate with
#   go test ./arch -run TestResolverMatchesLibseccomp -update
# and check every new line against its reason before committing.
#
# Format: ARCH NAME libseccomp=N syscage=M KIND
#
# KIND and reason:
#   multiplexed  libseccomp 2.5.4 resolves the socket and System V IPC calls
#                on ABIs with socketcall(2)/ipc(2) to its pseudo-numbers
#                (-100-n, -200-n), which are not kernel numbers. syscage
#                resolves the name to the direct system call where the ABI
#                has one (x86 socket = 359 since Linux 4.3) and knows the
#                multiplexer sub-call (socketcall call n) separately
#                (arch.Multiplexed); the test checks that the sub-call
#                numbers agree.
#   added        The system call was added to Linux after libseccomp 2.5.4's
#                tables (Linux 6.0/6.1), or libseccomp 2.5.4 lacked it on
#                this ABI: syscage's tables are Linux v7.1-rc4's.
#   renumbered   libseccomp 2.5.4's table had the number wrong; the kernel's
#                table (Linux v7.1-rc4) is right. See the note by the line.
#   missing      libseccomp 2.5.4 knew a name the kernel's table for this ABI
#                does not have. See the note by the line.
#
`
