package cli

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/seccomp"
)

// Helpers shared by dump, verify and diff.

// loadStack reads a filter stack: a dump directory (filter-N.bpf files),
// a raw BPF file (FILE.bpf, in host's byte order), or a profile compiled
// for host.
func loadStack(ref string, host arch.Arch, pf profileFlags) (inspect.Stack, error) {
	switch compiledRef(ref) {
	case "dir":
		return inspect.ReadDir(ref, host.ByteOrder())
	case "bpf":
		p, err := inspect.ReadBPF(ref, host.ByteOrder())
		if err != nil {
			return nil, err
		}
		return inspect.Stack{p}, nil
	}
	f, err := compileProfile(nil, ref, host.String(), pf, seccomp.Options{})
	if err != nil {
		return nil, err
	}
	return inspect.Stack{f.Program}, nil
}

// compiledRef tells the references that name compiled filters apart
// from profiles: "bpf" for a raw BPF file (FILE.bpf), "dir" for a
// directory written by 'syscage dump -o' (a built-in's name is never
// one), "" for a profile.
func compiledRef(ref string) string {
	if st, err := os.Stat(ref); err == nil && st.IsDir() && !formats.IsBuiltin(ref) {
		return "dir"
	}
	if strings.HasSuffix(ref, ".bpf") {
		return "bpf"
	}
	return ""
}

// envCaveat says when a comparison of the profiles refs holds only for
// the capabilities and kernel it was made for: some rules of theirs
// depend on Docker's capability or kernel conditions that the command
// was not pinned to (--cap, --kernel), and the profiles are not the same
// text, which would decide alike for every set. "" when none applies.
// A comparison with a .bpf file or a dump directory, which hold the
// filter of one set, is about that set: no caveat.
func envCaveat(refs []string, names []string, pf profileFlags) string {
	var raws []*profile.Profile
	var deps []string
	for i, ref := range refs {
		if compiledRef(ref) != "" {
			return ""
		}
		p, _, err := readProfile(ref, "")
		if err != nil {
			return ""
		}
		raws = append(raws, p)
		var idx []string
		for _, j := range p.EnvRules(pf.caps == nil, pf.kernel == "") {
			idx = append(idx, strconv.Itoa(j+1))
		}
		if len(idx) > 0 {
			deps = append(deps, fmt.Sprintf("%s's rules %s", names[i], strings.Join(idx, ", ")))
		}
	}
	if len(deps) == 0 || len(raws) == 2 && reflect.DeepEqual(raws[0], raws[1]) {
		return ""
	}
	return fmt.Sprintf("compared for Docker's default capabilities and this kernel only: %s depend on capabilities or the kernel version (--cap and --kernel compare another set)", strings.Join(deps, "; "))
}
