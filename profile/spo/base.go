package spo

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// ErrNoBase reports a baseProfileName that names no SeccompProfile among
// those given.
var ErrNoBase = errors.New("the base profile is not given")

// maxBaseDepth is how many base profiles deep the operator follows
// baseProfileName (resolveSyscallsForProfile's maxLevel).
const maxBaseDepth = 15

// Resolve returns the profile the operator installs for items[i]: its
// spec (default action, architectures, flags, listener) with the rules of
// its base profile added, the base being the item of that name in the
// same namespace, and that base's own base, and so on, up to 15 levels as
// the operator follows them. An "oci://" base (an artifact the operator
// pulls) and a base not among items are errors wrapping ErrNoBase, a
// base named twice or a cycle are errors.
//
// The rules are added as a union (the operator's UnionSyscalls): the
// result lets a call run exactly when the profile or one of its bases
// does, on every ABI the profile covers, and this is checked (see
// profile.Merge, which builds it). Where both deny a call, the stricter
// of their actions is kept, and of ALLOW and LOG, LOG: the operator's
// merger keeps the less restrictive one in both cases, so a call it logs
// or answers with an errno may be allowed or killed there instead.
func Resolve(items []Item, i int) (*profile.Profile, error) {
	it := items[i]
	ps := []*profile.Profile{it.Profile}
	seen := []Meta{it.Meta}
	for m := it.Meta; m.BaseProfileName != ""; {
		if len(seen) > maxBaseDepth {
			return nil, m.baseErr(profile.ErrInvalid, "more than %d base profiles deep (the operator stops there)", maxBaseDepth)
		}
		base, err := findBase(items, m)
		if err != nil {
			return nil, err
		}
		if j := slices.IndexFunc(seen, func(s Meta) bool { return s.Name == base.Meta.Name && s.Namespace == base.Meta.Namespace }); j >= 0 {
			return nil, m.baseErr(profile.ErrInvalid, "the base profiles form a cycle back to %s", seen[j].Name)
		}
		seen = append(seen, base.Meta)
		ps = append(ps, base.Profile)
		m = base.Meta
	}
	if len(ps) == 1 {
		return it.Profile, nil
	}
	own := it.Profile
	native := nativeFor(own)
	in := make([]*profile.Profile, len(ps))
	for k, p := range ps {
		q := p.Clone()
		// The operator writes the profile's own spec with the union of
		// the rules.
		q.Default, q.Arches, q.Flags = own.Default, slices.Clone(own.Arches), slices.Clone(own.Flags)
		q.ListenerPath, q.ListenerMetadata = own.ListenerPath, own.ListenerMetadata
		in[k] = q
	}
	out, err := profile.Merge(native, in...)
	if err != nil {
		return nil, it.Meta.baseErr(err, "%v", err)
	}
	out.Arches = slices.Clone(own.Arches)
	return out, nil
}

// baseErr is an error located at m's baseProfileName.
func (m Meta) baseErr(err error, format string, args ...any) error {
	e := m.base
	e.Msg = fmt.Sprintf("baseProfileName %q: ", m.BaseProfileName) + fmt.Sprintf(format, args...)
	if errors.Is(err, ErrNoBase) {
		e.Msg = fmt.Sprintf("baseProfileName %q: %v: ", m.BaseProfileName, ErrNoBase) + fmt.Sprintf(format, args...)
	}
	e.Err = err
	return &e
}

// findBase returns the item that m's baseProfileName names.
func findBase(items []Item, m Meta) (Item, error) {
	if strings.HasPrefix(m.BaseProfileName, "oci://") {
		return Item{}, m.baseErr(ErrNoBase, "the operator pulls it from a registry; pull it (oras pull, spoc pull) and give it beside this file")
	}
	var found []Item
	for _, it := range items {
		if it.Meta.Name == m.BaseProfileName && it.Meta.Namespace == m.Namespace {
			found = append(found, it)
		}
	}
	switch len(found) {
	case 0:
		ns := m.Namespace
		if ns == "" {
			ns = "default"
		}
		return Item{}, m.baseErr(ErrNoBase, "no SeccompProfile of that name in namespace %s; give it in the same List or in a file beside this one", ns)
	case 1:
		return found[0], nil
	}
	var files []string
	for _, f := range found {
		files = append(files, f.File)
	}
	return Item{}, m.baseErr(profile.ErrInvalid, "%d SeccompProfiles have that name (%s)", len(found), strings.Join(files, ", "))
}

// nativeFor is the native ABI a merged profile is built for: this
// program's when p covers it or names no architectures, else p's first.
func nativeFor(p *profile.Profile) arch.Arch {
	host, ok := arch.Native()
	if ok && (len(p.Arches) == 0 || slices.Contains(p.Arches, host)) {
		return host
	}
	if len(p.Arches) > 0 {
		return p.Arches[0]
	}
	return host
}
