package profile

import (
	"fmt"
	"slices"

	"github.com/syscage/syscage/arch"
)

// Env is what Docker-style conditional rules and archMap are evaluated
// against.
type Env struct {
	Arch   arch.Arch // the host's native ABI
	Caps   []string  // the container's bounding capability set (CAP_*)
	Kernel string    // the host's kernel release, such as "6.18.0"
}

// Resolve applies includes, excludes and archMap for env, as moby's
// setupSeccomp does, and returns a profile without conditional parts:
//
//   - archMap: the entry whose architecture is env.Arch gives Arches (it
//     and its sub-architectures); without such an entry Arches stays empty
//     (the native ABI only).
//   - a rule is dropped when excludes.arches contains env.Arch, when any
//     of excludes.caps is in env.Caps, or when the kernel is at least
//     excludes.minKernel;
//   - a rule is dropped unless includes.arches (when set) contains
//     env.Arch, all of includes.caps are in env.Caps and the kernel is at
//     least includes.minKernel.
//
// Kernel versions compare as moby compares them: the version and major
// revision only ("4.8" <= "4.8.0-rc1"). Resolve fails when a rule needs a
// part of env that is not set. p is not modified.
func (p *Profile) Resolve(env Env) (*Profile, error) {
	q := p.Clone()
	if len(q.ArchMap) > 0 {
		if len(q.Arches) > 0 {
			return nil, fmt.Errorf("%w: both architectures and archMap are set; use one of them", ErrInvalid)
		}
		if env.Arch == arch.Invalid {
			return nil, fmt.Errorf("resolve archMap: %w: no host architecture", errNoEnv)
		}
		for _, e := range q.ArchMap {
			if e.Arch == env.Arch {
				// A kernel runs programs of its own byte order only:
				// sub-architectures of the other (systemd's local
				// archs of mips64 and ppc64 list them, and systemd
				// filters each ABI apart) are never seen, and
				// libseccomp would refuse them in one filter.
				q.Arches = []arch.Arch{e.Arch}
				for _, s := range e.Sub {
					if s.BigEndian() == e.Arch.BigEndian() {
						q.Arches = append(q.Arches, s)
					}
				}
				break
			}
		}
		q.ArchMap = nil
	} else if env.Arch != arch.Invalid {
		// libseccomp's filter always holds the host's native ABI.
		if err := SameByteOrder(append([]arch.Arch{env.Arch}, q.Arches...)...); err != nil {
			return nil, fmt.Errorf("for %s hosts: %w", env.Arch, err)
		}
	}
	var kernel *KernelVersion
	kernelOf := func() (KernelVersion, error) {
		if kernel == nil {
			if env.Kernel == "" {
				return KernelVersion{}, fmt.Errorf("%w: no kernel release for minKernel", errNoEnv)
			}
			k, err := ParseKernelRelease(env.Kernel)
			if err != nil {
				return KernelVersion{}, err
			}
			kernel = &k
		}
		return *kernel, nil
	}
	atLeast := func(min string) (bool, error) {
		m, err := ParseMinKernel(min)
		if err != nil {
			return false, err
		}
		k, err := kernelOf()
		if err != nil {
			return false, err
		}
		return !k.Less(m), nil
	}
	needArch := func(as []arch.Arch) error {
		if len(as) > 0 && env.Arch == arch.Invalid {
			return fmt.Errorf("%w: no host architecture", errNoEnv)
		}
		return nil
	}
	rules := q.Rules[:0]
	for i, r := range q.Rules {
		keep, err := func() (bool, error) {
			ex := r.Excludes
			if err := needArch(ex.Arches); err != nil {
				return false, err
			}
			if slices.Contains(ex.Arches, env.Arch) {
				return false, nil
			}
			for _, c := range ex.Caps {
				if slices.Contains(env.Caps, c) {
					return false, nil
				}
			}
			if ex.MinKernel != "" {
				ok, err := atLeast(ex.MinKernel)
				if err != nil || ok {
					return false, err
				}
			}
			in := r.Includes
			if err := needArch(in.Arches); err != nil {
				return false, err
			}
			if len(in.Arches) > 0 && !slices.Contains(in.Arches, env.Arch) {
				return false, nil
			}
			for _, c := range in.Caps {
				if !slices.Contains(env.Caps, c) {
					return false, nil
				}
			}
			if in.MinKernel != "" {
				return atLeast(in.MinKernel)
			}
			return true, nil
		}()
		if err != nil {
			return nil, fmt.Errorf("resolve rule %d: %w", i+1, err)
		}
		if keep {
			r.Includes, r.Excludes = Filter{}, Filter{}
			rules = append(rules, r)
		}
	}
	q.Rules = rules
	return q, nil
}
