package harden

import (
	"fmt"
	"slices"

	"github.com/syscage/syscage/profile"
)

// CrossProcess are the system calls that reach into another process of
// the same user, limited only by ptrace's access check: inside a
// container's PID namespace that is the container's own processes, but a
// program run in the caller's namespace (as syscage run runs it) reaches
// every process of its user, the launcher and the user's shell included,
// and can write their memory or take their descriptors.
var CrossProcess = []string{"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd", "kcmp"}

// OutsideContainer returns p for a program that runs in its caller's PID
// namespace: the CrossProcess calls are taken out of every rule and
// denied (by the default when it denies, else with ERRNO(EPERM)). p must
// be resolved.
func OutsideContainer(p *profile.Profile) (*profile.Profile, []Change, error) {
	var edit profile.Edit
	for i, r := range p.Rules {
		for _, n := range r.Names {
			if slices.Contains(CrossProcess, n) {
				edit.Remove = append(edit.Remove, profile.Removal{Rule: i, Name: n})
			}
		}
	}
	deny := p.Default
	if deny.Permits() {
		deny = profile.Action{Kind: profile.ActErrno, Data: profile.EPERM}
		edit.Append = []profile.Rule{{Names: CrossProcess, Action: deny, Comment: "other processes of the user are outside any container here"}}
	}
	q, err := edit.Apply(p)
	if err != nil {
		return nil, nil, err
	}
	var changes []Change
	if len(edit.Remove) > 0 || len(edit.Append) > 0 {
		changes = append(changes, Change{Check: "cross-process", Rule: -1, Names: CrossProcess,
			Message: fmt.Sprintf("%v get %v: without a PID namespace they reach every process of the user", CrossProcess, deny)})
	}
	return q, changes, nil
}
