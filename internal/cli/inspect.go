package cli

import (
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
	if compiled(ref) {
		return inspect.ReadStack(ref, host.ByteOrder())
	}
	f, err := compileProfile(nil, ref, host.String(), pf, seccomp.Options{})
	if err != nil {
		return nil, err
	}
	return inspect.Stack{f.Program}, nil
}

// compiled reports whether ref names compiled filters (inspect.IsCompiled)
// rather than a profile; a built-in's name never does.
func compiled(ref string) bool {
	return !formats.IsBuiltin(ref) && inspect.IsCompiled(ref)
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
	for _, ref := range refs {
		if compiled(ref) {
			return ""
		}
		p, _, err := profiles.Open(ref, "")
		if err != nil {
			return ""
		}
		raws = append(raws, p)
	}
	if c := profile.EnvCaveat(raws, names, pf.caps == nil, pf.kernel == ""); c != "" {
		return c + " (--cap and --kernel compare another set)"
	}
	return ""
}
