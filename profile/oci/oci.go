package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/syscage/syscage/profile/internal/closest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// DefaultCaps is moby's default capability set of a container
// (daemon/pkg/oci/caps/defaults.go): the bounding set the Docker default
// profile's includes and excludes are evaluated against when a container
// is run without --cap-add or --cap-drop.
var DefaultCaps = []string{
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
}

var ops = map[string]profile.Op{
	"SCMP_CMP_NE":        profile.OpNE,
	"SCMP_CMP_LT":        profile.OpLT,
	"SCMP_CMP_LE":        profile.OpLE,
	"SCMP_CMP_EQ":        profile.OpEQ,
	"SCMP_CMP_GE":        profile.OpGE,
	"SCMP_CMP_GT":        profile.OpGT,
	"SCMP_CMP_MASKED_EQ": profile.OpMaskedEQ,
}

// mobyArch is how moby names the host in includes.arches and
// excludes.arches: its goToNative map (profiles/seccomp/seccomp_linux.go)
// from runtime.GOARCH, compared as exact strings. moby has no name for
// the other ABIs' hosts (mips o32 big-endian, m68k, parisc, sh), so no
// string matches them there; "x32", which moby's own default profile
// writes, matches no host either (no kernel's native ABI is x32) and is
// kept for round trips.
var mobyArch = map[arch.Arch]string{
	arch.X86:         "x86",
	arch.X86_64:      "amd64",
	arch.X32:         "x32",
	arch.ARM:         "arm",
	arch.AARCH64:     "arm64",
	arch.LOONGARCH64: "loongarch64",
	arch.MIPSEL:      "mipsel",
	arch.MIPS64:      "mips64",
	arch.MIPSEL64:    "mipsel64",
	arch.MIPS64N32:   "mips64n32",
	arch.MIPSEL64N32: "mips3l64n32",
	arch.PPC:         "ppc",
	arch.PPC64:       "ppc64",
	arch.PPC64LE:     "ppc64le",
	arch.RISCV64:     "riscv64",
	arch.S390:        "s390",
	arch.S390X:       "s390x",
}

// mobyArchMap are the hosts on which moby applies archMap: it looks the
// entry up by nativeToSeccomp[goToNative[GOARCH]], whose keys spell
// mipsel "mipsle" and loongarch64 "loong64", so on those hosts (and on
// those moby has no name for) it finds no entry and the filter covers
// the native ABI only.
var mobyArchMap = map[arch.Arch]bool{
	arch.X86: true, arch.X86_64: true, arch.ARM: true, arch.AARCH64: true,
	arch.MIPS64: true, arch.MIPS64N32: true, arch.MIPSEL64: true, arch.MIPSEL64N32: true,
	arch.PPC: true, arch.PPC64: true, arch.PPC64LE: true, arch.RISCV64: true, arch.S390: true, arch.S390X: true,
}

// Unapplied returns the archMap entries of p with sub-architectures on
// hosts moby has no name for (mips, mipsel, loongarch64, ...), which
// Format cannot write: moby never applies them, so the sub-architectures
// would not be covered there.
func Unapplied(p *profile.Profile) []arch.Arch {
	var out []arch.Arch
	for _, m := range p.ArchMap {
		if len(m.Sub) > 0 && !mobyArchMap[m.Arch] {
			out = append(out, m.Arch)
		}
	}
	return out
}

// containersArch is how containers/common (podman, CRI-O, Buildah) names
// the host in includes.arches and excludes.arches: libseccomp-golang's
// ScmpArch.String of the native ABI (pkg/seccomp/seccomp_linux.go),
// compared as exact strings.
var containersArch = map[arch.Arch]string{
	arch.X86:         "x86",
	arch.X86_64:      "amd64",
	arch.X32:         "x32",
	arch.ARM:         "arm",
	arch.AARCH64:     "arm64",
	arch.LOONGARCH64: "loong64",
	arch.M68K:        "m68k",
	arch.MIPS:        "mips",
	arch.MIPSEL:      "mipsel",
	arch.MIPS64:      "mips64",
	arch.MIPSEL64:    "mipsel64",
	arch.MIPS64N32:   "mips64n32",
	arch.MIPSEL64N32: "mipsel64n32",
	arch.PARISC:      "parisc",
	arch.PARISC64:    "parisc64",
	arch.PPC:         "ppc",
	arch.PPC64:       "ppc64",
	arch.PPC64LE:     "ppc64le",
	arch.RISCV64:     "riscv64",
	arch.S390:        "s390",
	arch.S390X:       "s390x",
	arch.SH:          "sh",
	arch.SHEB:        "sheb",
}

// containersArchMap are the hosts on which containers/common applies
// archMap: its nativeToSeccomp map has no other keys, so elsewhere the
// filter covers the native ABI only.
var containersArchMap = map[arch.Arch]bool{
	arch.X86_64: true, arch.AARCH64: true, arch.MIPS64: true, arch.MIPS64N32: true,
	arch.MIPSEL64: true, arch.MIPSEL64N32: true, arch.S390X: true,
}

// dialect is the program whose reading of a profile file Parse follows.
type dialect uint8

const (
	dialectMoby       dialect = iota // moby, and runc for a config.json
	dialectContainers                // containers/common: defaultErrno and errno
)

// MobyArch returns the spelling of a in includes and excludes: the name
// moby compares with on an a host, or "" when moby has none.
func MobyArch(a arch.Arch) string { return mobyArch[a] }

// Parse reads a Docker (moby) or OCI runtime-spec seccomp profile, or an
// OCI config.json whose linux.seccomp it takes. name is used in errors.
// Errors are *profile.SyntaxError, located at the offending value.
//
// Parse is strict where runc is: unknown actions, operators and
// architectures are errors; and stricter: unknown fields, duplicate
// fields, values of the wrong type, errnoRet on other actions than ERRNO
// and TRACE, and anything Validate rejects are errors too. A missing
// errnoRet means EPERM, as in runc. The profile keeps includes, excludes
// and archMap; see profile.Resolve.
//
// A profile with containers/common's fields (defaultErrno, a rule's
// errno: an errno name such as "ENOSYS" or a number as a string) is read
// as containers/common reads it for podman, CRI-O and Buildah: the name
// wins over errnoRet (both set and different is an error, since moby and
// runc read errnoRet), includes and excludes arches name the host as
// libseccomp-golang does ("amd64", "loong64", "mipsel64n32"), archMap
// applies on the hosts containers/common knows (x86_64, aarch64, s390x
// and the 64-bit mips ABIs), and minKernel, which containers/common does
// not have (it would apply the rule on every kernel), is an error. Errno
// names are read in the asm-generic numbering (profile.ErrnoByName).
//
// Parse refuses what moby or runc would read otherwise: both name and
// (non-empty) names in a rule, in either order, as moby does; includes
// and excludes arches in another spelling than moby's name of the host
// (MobyArch), which moby would never match; archMap entries moby never
// applies; names with a NUL byte; and in a config.json, Docker's fields
// (name, includes, excludes, archMap), which runc ignores there.
func Parse(name string, data []byte) (*profile.Profile, error) {
	d := &decoder{file: name, data: data}
	root, err := parseJSON(data)
	if err != nil {
		var je *jsonError
		if errors.As(err, &je) {
			return nil, d.errAt(je.off, err, "%s", je.msg)
		}
		return nil, d.errAt(0, err, "%v", err)
	}
	if root.kind != kObject {
		return nil, d.errAt(root.off, profile.ErrInvalid, "a seccomp profile is a JSON object, not %s", an(root.kind))
	}
	obj := root
	if isConfig(&root) {
		linux, ok := root.get("linux")
		if !ok || linux.kind != kObject {
			return nil, d.errAt(root.off, profile.ErrInvalid, "OCI config has no linux object")
		}
		sc, ok := linux.get("seccomp")
		if !ok || sc.kind != kObject {
			return nil, d.errAt(linux.off, profile.ErrInvalid, "OCI config has no linux.seccomp object")
		}
		obj = sc
		d.config = true
	}
	if !d.config && hasContainersFields(&obj) {
		d.dialect = dialectContainers
	}
	p, err := d.profile(obj)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// hasContainersFields tells a profile in containers/common's dialect:
// one with defaultErrno or a rule with errno.
func hasContainersFields(v *value) bool {
	if _, ok := v.get("defaultErrno"); ok {
		return true
	}
	sc, ok := v.get("syscalls")
	if !ok {
		return false
	}
	for i := range sc.elems {
		if _, ok := sc.elems[i].get("errno"); ok {
			return true
		}
	}
	return false
}

// isConfig tells an OCI config.json from a profile.
func isConfig(v *value) bool {
	if _, ok := v.get("defaultAction"); ok {
		return false
	}
	if _, ok := v.get("syscalls"); ok {
		return false
	}
	_, ver := v.get("ociVersion")
	_, linux := v.get("linux")
	return ver || linux
}

type decoder struct {
	file string
	data []byte
	// config is set for an OCI config.json, which runc reads into the
	// runtime spec's types: Docker's fields are unknown to it and
	// ignored (encoding/json), so a rule's name, includes and excludes
	// and the profile's archMap would mean something else here than
	// there. They are refused.
	config  bool
	dialect dialect
}

// containersOnly are the fields of containers/common's profiles that
// runc's runtime spec lacks.
var containersOnly = []string{"defaultErrno", "errno"}

// mobyOnly are the fields of moby's profiles the runtime spec lacks and
// that change what a profile means (comment does not).
var mobyOnly = []string{"name", "includes", "excludes", "archMap"}

func (d *decoder) position(off int) (line, col int) {
	if off > len(d.data) {
		off = len(d.data)
	}
	line = 1 + bytes.Count(d.data[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(d.data[:off], '\n')
	return line, col
}

func (d *decoder) errAt(off int, err error, format string, args ...any) error {
	line, col := d.position(off)
	return &profile.SyntaxError{File: d.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...), Err: err}
}

func an(k kind) string {
	switch k {
	case kArray, kObject:
		return "an " + k.String()
	}
	return "a " + k.String()
}

// fields walks the members of an object, rejecting duplicates and unknown
// names; null values count as absent, as in encoding/json.
func (d *decoder) fields(v value, what string, known []string, fn func(key string, val value) error) error {
	if v.kind != kObject {
		return d.errAt(v.off, profile.ErrInvalid, "%s must be an object, not %s", what, an(v.kind))
	}
	seen := map[string]bool{}
	for _, m := range v.members {
		if !contains(known, m.key) {
			msg := fmt.Sprintf("unknown field %q in %s", m.key, what)
			if s := closest.Name(m.key, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += fmt.Sprintf(" (want one of %s)", strings.Join(known, ", "))
			}
			return d.errAt(m.keyOff, profile.ErrInvalid, "%s", msg)
		}
		if seen[m.key] {
			return d.errAt(m.keyOff, profile.ErrInvalid, "duplicate field %q in %s", m.key, what)
		}
		if d.config && contains(mobyOnly, m.key) {
			return d.errAt(m.keyOff, profile.ErrInvalid, "%q in %s of an OCI config.json: the field is Docker's, and runc ignores it there; write the profile as runc reads it (names, no includes, excludes or archMap)", m.key, what)
		}
		if d.config && contains(containersOnly, m.key) {
			return d.errAt(m.keyOff, profile.ErrInvalid, "%q in %s of an OCI config.json: the field is containers/common's, and runc ignores it there; write the number in %sRet", m.key, what, m.key)
		}
		seen[m.key] = true
		if m.val.kind == kNull {
			continue
		}
		if err := fn(m.key, m.val); err != nil {
			return err
		}
	}
	return nil
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if x == y {
			return true
		}
	}
	return false
}

func (d *decoder) str(v value, what string) (string, error) {
	if v.kind != kString {
		return "", d.errAt(v.off, profile.ErrInvalid, "%s must be a string, not %s", what, an(v.kind))
	}
	return v.str, nil
}

func (d *decoder) strs(v value, what string) ([]string, []int, error) {
	if v.kind != kArray {
		return nil, nil, d.errAt(v.off, profile.ErrInvalid, "%s must be an array of strings, not %s", what, an(v.kind))
	}
	var out []string
	var offs []int
	for _, e := range v.elems {
		s, err := d.str(e, what+" element")
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
		offs = append(offs, e.off)
	}
	return out, offs, nil
}

func (d *decoder) uint(v value, what string, max uint64) (uint64, error) {
	if v.kind != kNumber {
		return 0, d.errAt(v.off, profile.ErrInvalid, "%s must be a number, not %s", what, an(v.kind))
	}
	n, err := strconv.ParseUint(v.raw, 10, 64)
	if err != nil {
		if ne := (*strconv.NumError)(nil); errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, d.errAt(v.off, profile.ErrInvalid, "%s %s out of range 0..%d", what, v.raw, max)
		}
		return 0, d.errAt(v.off, profile.ErrInvalid, "%s must be a whole number 0..%d, not %s", what, max, v.raw)
	}
	if n > max {
		return 0, d.errAt(v.off, profile.ErrInvalid, "%s %d out of range 0..%d", what, n, max)
	}
	return n, nil
}

func (d *decoder) action(v value) (profile.ActionKind, error) {
	s, err := d.str(v, "action")
	if err != nil {
		return 0, err
	}
	k, ok := profile.TokenAction(s)
	if !ok {
		msg := fmt.Sprintf("unknown action %q (want one of %s)", s, strings.Join(profile.ActionNames(), ", "))
		return 0, d.errAt(v.off, profile.ErrInvalid, "%s", msg)
	}
	return k, nil
}

// errnoName reads containers/common's errno field: a number or an errno
// name (getErrno in pkg/seccomp).
func (d *decoder) errnoName(v value, what string) (uint64, error) {
	s, err := d.str(v, what)
	if err != nil {
		return 0, err
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return n, nil
	}
	if n, ok := profile.ErrnoByName(s); ok {
		return uint64(n), nil
	}
	return 0, d.errAt(v.off, profile.ErrInvalid, "unknown errno %q in %s (want a name such as EPERM or ENOSYS, or a number)", s, what)
}

// errnoOf combines errnoRet and containers/common's errno: the name wins
// there, while moby and runc read the number, so both set and different
// is an error.
func (d *decoder) errnoOf(ret *uint64, retOff int, retName string, named *uint64, namedOff int, name string) (*uint64, int, string, error) {
	switch {
	case named == nil:
		return ret, retOff, retName, nil
	case ret != nil && *ret != *named:
		return nil, 0, "", d.errAt(namedOff, profile.ErrInvalid, "%s is %d and %s %d: containers/common uses %s, moby and runc %s; make them equal", name, *named, retName, *ret, name, retName)
	}
	return named, namedOff, name, nil
}

// act combines an action and its errnoRet.
func (d *decoder) act(k profile.ActionKind, actOff int, ret *uint64, retOff int, retName string) (profile.Action, error) {
	a := profile.Action{Kind: k}
	if ret == nil {
		if k.HasData() {
			a.Data = profile.EPERM
		}
		return a, nil
	}
	if !k.HasData() {
		return a, d.errAt(retOff, profile.ErrInvalid, "%s is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", retName, k.SCMP())
	}
	if k == profile.ActErrno && *ret >= profile.MaxErrno {
		return a, d.errAt(retOff, profile.ErrInvalid, "%s %d out of range 0..%d (libseccomp refuses larger errno values)", retName, *ret, profile.MaxErrno-1)
	}
	a.Data = uint16(*ret)
	return a, nil
}

var (
	profileFields = []string{"defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap", "flags", "listenerPath", "listenerMetadata", "syscalls"}
	syscallFields = []string{"names", "name", "action", "errnoRet", "errno", "args", "comment", "includes", "excludes"}
	argFields     = []string{"index", "value", "valueTwo", "op"}
	filterFields  = []string{"caps", "arches", "minKernel"}
	archMapFields = []string{"architecture", "subArchitectures"}
)

func (d *decoder) profile(v value) (*profile.Profile, error) {
	p := &profile.Profile{}
	var defKind profile.ActionKind
	defOff, retOff := -1, 0
	var ret, named *uint64
	var namedOff int
	var archOff, mapOff int
	err := d.fields(v, "the profile", profileFields, func(key string, val value) error {
		var err error
		switch key {
		case "defaultAction":
			defOff = val.off
			defKind, err = d.action(val)
		case "defaultErrnoRet":
			retOff = val.off
			var n uint64
			n, err = d.uint(val, "defaultErrnoRet", 0xffff)
			ret = &n
		case "defaultErrno":
			namedOff = val.off
			var n uint64
			n, err = d.errnoName(val, "defaultErrno")
			named = &n
		case "architectures":
			archOff = val.off
			p.Arches, err = d.scmpArches(val, "architectures")
		case "archMap":
			mapOff = val.off
			p.ArchMap, err = d.archMap(val)
		case "flags":
			var offs []int
			p.Flags, offs, err = d.strs(val, "flags")
			for i, f := range p.Flags {
				if !contains(profile.FilterFlags, f) && err == nil {
					err = d.errAt(offs[i], profile.ErrInvalid, "unknown flag %q (want one of %s)", f, strings.Join(profile.FilterFlags, ", "))
				}
			}
		case "listenerPath":
			p.ListenerPath, err = d.str(val, "listenerPath")
		case "listenerMetadata":
			p.ListenerMetadata, err = d.str(val, "listenerMetadata")
		case "syscalls":
			if val.kind != kArray {
				return d.errAt(val.off, profile.ErrInvalid, "syscalls must be an array, not %s", an(val.kind))
			}
			for _, e := range val.elems {
				r, err := d.rule(e, len(p.Rules)+1)
				if err != nil {
					return err
				}
				p.Rules = append(p.Rules, r)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if defOff < 0 {
		return nil, d.errAt(v.off, profile.ErrInvalid, "defaultAction is missing")
	}
	ret, retOff, retName, err := d.errnoOf(ret, retOff, "defaultErrnoRet", named, namedOff, "defaultErrno")
	if err != nil {
		return nil, err
	}
	if p.Default, err = d.act(defKind, defOff, ret, retOff, retName); err != nil {
		return nil, err
	}
	if len(p.Arches) > 0 && len(p.ArchMap) > 0 {
		return nil, d.errAt(max(archOff, mapOff), profile.ErrInvalid, "both architectures and archMap are set; use one of them")
	}
	if err := p.Validate(); err != nil {
		return nil, d.errAt(v.off, err, "%v", err)
	}
	return p, nil
}

func (d *decoder) parseArch(s string, off int, scmp bool) (arch.Arch, error) {
	if scmp {
		for _, a := range arch.All() {
			if a.SCMP() == s {
				return a, nil
			}
		}
	} else if d.dialect == dialectContainers {
		for _, a := range arch.All() {
			if containersArch[a] == s {
				return a, nil
			}
		}
		var valid []string
		for _, a := range arch.All() {
			if n := containersArch[a]; n != "" {
				valid = append(valid, n)
			}
		}
		return 0, d.errAt(off, profile.ErrInvalid, "unknown architecture %q: containers/common compares with libseccomp-golang's name of the host (want one of %s)", s, strings.Join(valid, ", "))
	} else {
		for _, a := range arch.All() {
			if mobyArch[a] == s {
				return a, nil
			}
		}
		// Another spelling of an ABI moby compares as a different string,
		// so the entry would never match: refuse it rather than give it
		// a meaning Docker does not.
		if a, err := arch.Parse(s); err == nil && s != "" {
			if m := MobyArch(a); m != "" {
				return 0, d.errAt(off, profile.ErrInvalid, "moby compares arches with the host's name as it spells it, %q on %s hosts; %q never matches: write %q", m, a, s, m)
			}
			return 0, d.errAt(off, profile.ErrInvalid, "moby has no name for %s hosts, so %q never matches there; remove it", a, s)
		}
	}
	var valid []string
	for _, a := range arch.All() {
		if scmp {
			valid = append(valid, a.SCMP())
		} else if m := MobyArch(a); m != "" {
			valid = append(valid, m)
		}
	}
	return 0, d.errAt(off, profile.ErrInvalid, "unknown architecture %q (want one of %s)", s, strings.Join(valid, ", "))
}

func (d *decoder) scmpArches(v value, what string) ([]arch.Arch, error) {
	ss, offs, err := d.strs(v, what)
	if err != nil {
		return nil, err
	}
	var out []arch.Arch
	for i, s := range ss {
		a, err := d.parseArch(s, offs[i], true)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
		if err := profile.SameByteOrder(out...); err != nil {
			return nil, d.errAt(offs[i], err, "%v", err)
		}
	}
	return out, nil
}

func (d *decoder) archMap(v value) ([]profile.ArchMapEntry, error) {
	if v.kind != kArray {
		return nil, d.errAt(v.off, profile.ErrInvalid, "archMap must be an array, not %s", an(v.kind))
	}
	var out []profile.ArchMapEntry
	for _, e := range v.elems {
		var m profile.ArchMapEntry
		has := false
		err := d.fields(e, "an archMap entry", archMapFields, func(key string, val value) error {
			var err error
			switch key {
			case "architecture":
				var s string
				if s, err = d.str(val, "architecture"); err == nil {
					m.Arch, err = d.parseArch(s, val.off, true)
					has = true
				}
			case "subArchitectures":
				m.Sub, err = d.scmpArches(val, "subArchitectures")
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if !has {
			return nil, d.errAt(e.off, profile.ErrInvalid, "archMap entry without architecture")
		}
		if err := profile.SameByteOrder(append([]arch.Arch{m.Arch}, m.Sub...)...); err != nil {
			return nil, d.errAt(e.off, err, "%v", err)
		}
		if len(m.Sub) > 0 && d.dialect == dialectContainers && !containersArchMap[m.Arch] {
			return nil, d.errAt(e.off, profile.ErrInvalid, "containers/common never applies the archMap entry of %s (it applies archMap on x86_64, aarch64, s390x and 64-bit mips hosts only), so its subArchitectures would not be covered; list the ABIs in architectures instead", m.Arch.SCMP())
		}
		if len(m.Sub) > 0 && !mobyArchMap[m.Arch] {
			return nil, d.errAt(e.off, profile.ErrInvalid, "moby never applies the archMap entry of %s (on %s hosts it finds none), so its subArchitectures would not be covered; list the ABIs in architectures instead", m.Arch.SCMP(), m.Arch)
		}
		out = append(out, m)
	}
	return out, nil
}

func (d *decoder) rule(v value, n int) (profile.Rule, error) {
	var r profile.Rule
	var kind profile.ActionKind
	actOff, retOff, namedOff := -1, 0, 0
	var ret, named *uint64
	var names []string
	var name string
	var namesOff, nameOff int
	what := fmt.Sprintf("syscalls[%d]", n-1)
	err := d.fields(v, what, syscallFields, func(key string, val value) error {
		var err error
		switch key {
		case "names":
			var offs []int
			namesOff = val.off
			names, offs, err = d.strs(val, "names")
			for i, s := range names {
				if cerr := profile.CheckName(s); cerr != nil && err == nil {
					err = d.errAt(offs[i], cerr, "%v", cerr)
				}
			}
		case "name":
			nameOff = val.off
			if name, err = d.str(val, "name"); err == nil {
				if cerr := profile.CheckName(name); cerr != nil {
					return d.errAt(val.off, cerr, "%v", cerr)
				}
			}
		case "action":
			actOff = val.off
			kind, err = d.action(val)
		case "errnoRet":
			retOff = val.off
			var x uint64
			x, err = d.uint(val, "errnoRet", 0xffff)
			ret = &x
		case "errno":
			namedOff = val.off
			var x uint64
			x, err = d.errnoName(val, "errno")
			named = &x
		case "args":
			if val.kind != kArray {
				return d.errAt(val.off, profile.ErrInvalid, "args must be an array, not %s", an(val.kind))
			}
			for _, e := range val.elems {
				c, err := d.cond(e)
				if err != nil {
					return err
				}
				r.Conds = append(r.Conds, c)
			}
		case "comment":
			r.Comment, err = d.str(val, "comment")
		case "includes":
			r.Includes, err = d.filter(val, "includes")
		case "excludes":
			r.Excludes, err = d.filter(val, "excludes")
		}
		return err
	})
	if err != nil {
		return r, err
	}
	// moby refuses a rule with both, in any order; an empty names list
	// beside name is no names at all (len(call.Names) == 0).
	if name != "" && len(names) > 0 {
		return r, d.errAt(max(nameOff, namesOff), profile.ErrInvalid, "both name and names are set (moby refuses such a rule); use names")
	}
	r.Names = names
	if name != "" {
		r.Names = []string{name}
	}
	if len(r.Names) == 0 {
		return r, d.errAt(v.off, profile.ErrInvalid, "%s names no system call", what)
	}
	if actOff < 0 {
		return r, d.errAt(v.off, profile.ErrInvalid, "%s has no action", what)
	}
	ret, retOff, retName, err := d.errnoOf(ret, retOff, "errnoRet", named, namedOff, "errno")
	if err != nil {
		return r, err
	}
	r.Action, err = d.act(kind, actOff, ret, retOff, retName)
	return r, err
}

func (d *decoder) cond(v value) (profile.Cond, error) {
	var c profile.Cond
	hasIndex, hasOp := false, false
	err := d.fields(v, "an argument", argFields, func(key string, val value) error {
		var err error
		var n uint64
		switch key {
		case "index":
			hasIndex = true
			if val.kind == kNumber {
				if x, perr := strconv.ParseUint(val.raw, 10, 64); perr == nil && x > profile.MaxArg {
					return d.errAt(val.off, profile.ErrInvalid, "argument index %d out of range 0..%d", x, profile.MaxArg)
				}
			}
			n, err = d.uint(val, "argument index", profile.MaxArg)
			c.Arg = uint8(n)
		case "value":
			c.Value, err = d.uint(val, "value", ^uint64(0))
		case "valueTwo":
			c.ValueTwo, err = d.uint(val, "valueTwo", ^uint64(0))
		case "op":
			hasOp = true
			var s string
			if s, err = d.str(val, "op"); err == nil {
				o, ok := ops[s]
				if !ok {
					return d.errAt(val.off, profile.ErrInvalid, "unknown operator %q (want one of %s)", s, strings.Join(profile.OpNames(), ", "))
				}
				c.Op = o
			}
		}
		return err
	})
	if err != nil {
		return c, err
	}
	if !hasIndex {
		return c, d.errAt(v.off, profile.ErrInvalid, "argument without index")
	}
	if !hasOp {
		return c, d.errAt(v.off, profile.ErrInvalid, "argument without op")
	}
	return c, nil
}

func (d *decoder) filter(v value, what string) (profile.Filter, error) {
	var f profile.Filter
	err := d.fields(v, what, filterFields, func(key string, val value) error {
		var err error
		switch key {
		case "caps":
			f.Caps, _, err = d.strs(val, what+".caps")
		case "arches":
			var ss []string
			var offs []int
			if ss, offs, err = d.strs(val, what+".arches"); err != nil {
				return err
			}
			for i, s := range ss {
				a, err := d.parseArch(s, offs[i], false)
				if err != nil {
					return err
				}
				f.Arches = append(f.Arches, a)
			}
		case "minKernel":
			if d.dialect == dialectContainers {
				return d.errAt(val.off, profile.ErrInvalid, "%s.minKernel in a containers/common profile (one with defaultErrno or errno): containers/common has no minKernel and applies the rule on every kernel, moby only from that kernel on; remove minKernel, or defaultErrno and errno to read the file as moby's", what)
			}
			if f.MinKernel, err = d.str(val, what+".minKernel"); err == nil && f.MinKernel != "" {
				if _, perr := profile.ParseMinKernel(f.MinKernel); perr != nil {
					err = d.errAt(val.off, perr, "%v", perr)
				}
			}
		}
		return err
	})
	return f, err
}

// The JSON layout of moby's profiles (profiles/seccomp/seccomp.go): the
// field order of its types, which json.MarshalIndent keeps.
type (
	jsonProfile struct {
		DefaultAction    string        `json:"defaultAction"`
		DefaultErrnoRet  *uint16       `json:"defaultErrnoRet,omitempty"`
		Architectures    []string      `json:"architectures,omitempty"`
		Flags            []string      `json:"flags,omitempty"`
		ListenerPath     string        `json:"listenerPath,omitempty"`
		ListenerMetadata string        `json:"listenerMetadata,omitempty"`
		ArchMap          []jsonArchMap `json:"archMap,omitempty"`
		Syscalls         []jsonSyscall `json:"syscalls"`
	}
	jsonArchMap struct {
		Arch string   `json:"architecture"`
		Sub  []string `json:"subArchitectures"`
	}
	jsonSyscall struct {
		Names    []string    `json:"names"`
		Action   string      `json:"action"`
		ErrnoRet *uint16     `json:"errnoRet,omitempty"`
		Args     []jsonArg   `json:"args,omitempty"`
		Comment  string      `json:"comment,omitempty"`
		Includes *jsonFilter `json:"includes,omitempty"`
		Excludes *jsonFilter `json:"excludes,omitempty"`
	}
	jsonArg struct {
		Index    uint8  `json:"index"`
		Value    uint64 `json:"value"`
		ValueTwo uint64 `json:"valueTwo,omitempty"`
		Op       string `json:"op"`
	}
	jsonFilter struct {
		Caps      []string `json:"caps,omitempty"`
		Arches    []string `json:"arches,omitempty"`
		MinKernel string   `json:"minKernel,omitempty"`
	}
)

// Format writes p in moby's layout: tab-indented, fields in the order of
// moby's types, errnoRet written out for every ERRNO and TRACE action,
// architectures as SCMP_ARCH_* tokens and includes/excludes arches as
// moby spells the host architecture. Format(Parse(x)) is x for moby's own
// profiles, and Parse(Format(p)) equals p for any valid p.
func Format(p *profile.Profile) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	j := jsonProfile{
		DefaultAction:    p.Default.Kind.SCMP(),
		DefaultErrnoRet:  data(p.Default),
		Flags:            p.Flags,
		ListenerPath:     p.ListenerPath,
		ListenerMetadata: p.ListenerMetadata,
		Syscalls:         []jsonSyscall{},
	}
	for _, a := range p.Arches {
		j.Architectures = append(j.Architectures, a.SCMP())
	}
	for _, m := range p.ArchMap {
		if len(m.Sub) > 0 && !mobyArchMap[m.Arch] {
			return nil, fmt.Errorf("format: %w: moby never applies an archMap entry of %s, so its subArchitectures would not be covered", profile.ErrNotExpressible, m.Arch)
		}
		e := jsonArchMap{Arch: m.Arch.SCMP()}
		for _, s := range m.Sub {
			// Sub-architectures of the other byte order never run on
			// the entry's kernel, and libseccomp refuses them (EDOM).
			if s.BigEndian() == m.Arch.BigEndian() {
				e.Sub = append(e.Sub, s.SCMP())
			}
		}
		j.ArchMap = append(j.ArchMap, e)
	}
	for i, r := range p.Rules {
		s, err := syscallOf(r)
		if err != nil {
			return nil, fmt.Errorf("format rule %d: %w", i+1, err)
		}
		j.Syscalls = append(j.Syscalls, s)
	}
	return json.MarshalIndent(j, "", "\t")
}

// syscallOf is the JSON form of one rule.
func syscallOf(r profile.Rule) (jsonSyscall, error) {
	in, err := filter(r.Includes)
	if err != nil {
		return jsonSyscall{}, fmt.Errorf("includes: %w", err)
	}
	ex, err := filter(r.Excludes)
	if err != nil {
		return jsonSyscall{}, fmt.Errorf("excludes: %w", err)
	}
	s := jsonSyscall{
		Names:    r.Names,
		Action:   r.Action.Kind.SCMP(),
		ErrnoRet: data(r.Action),
		Comment:  r.Comment,
		Includes: in,
		Excludes: ex,
	}
	for _, c := range r.Conds {
		s.Args = append(s.Args, jsonArg{Index: c.Arg, Value: c.Value, ValueTwo: c.ValueTwo, Op: c.Op.SCMP()})
	}
	return s, nil
}

func data(a profile.Action) *uint16 {
	if !a.Kind.HasData() {
		return nil
	}
	v := a.Data
	return &v
}

func filter(f profile.Filter) (*jsonFilter, error) {
	if f.IsZero() {
		return nil, nil
	}
	j := &jsonFilter{Caps: f.Caps, MinKernel: f.MinKernel}
	for _, a := range f.Arches {
		m := MobyArch(a)
		if m == "" {
			return nil, fmt.Errorf("%w: moby has no name for %s hosts, so no arches entry matches them", profile.ErrNotExpressible, a)
		}
		j.Arches = append(j.Arches, m)
	}
	return j, nil
}

// Fragment returns the architectures and rules of p as a compact JSON
// object, {"architectures": [...], "syscalls": [...]}, without the
// default action: a change to merge into a profile, such as the fix for
// a denied call. Keys are sorted (as jq -S writes them), so a fragment
// reads the same whatever the order of the profile's own fields.
func Fragment(p *profile.Profile) ([]byte, error) {
	j := struct {
		Architectures []string      `json:"architectures,omitempty"`
		Syscalls      []jsonSyscall `json:"syscalls"`
	}{Syscalls: []jsonSyscall{}}
	for _, a := range p.Arches {
		j.Architectures = append(j.Architectures, a.SCMP())
	}
	for i, r := range p.Rules {
		s, err := syscallOf(r)
		if err != nil {
			return nil, fmt.Errorf("fragment rule %d: %w", i+1, err)
		}
		j.Syscalls = append(j.Syscalls, s)
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	// Through a generic value, whose objects encoding/json writes with
	// their keys sorted; json.Number keeps 64-bit values exact.
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// Env is the environment moby resolves a profile's includes and excludes
// for: the host's ABI, the kernel release, and the capabilities spelled
// as moby spells them (CAP_SYS_ADMIN), whatever the case and prefix of
// caps, so that "sys_admin" matches the rules' CAP_SYS_ADMIN; DefaultCaps
// when caps is nil.
func Env(host arch.Arch, caps []string, kernel string) profile.Env {
	env := profile.Env{Arch: host, Caps: DefaultCaps, Kernel: kernel}
	if caps != nil {
		env.Caps = make([]string, 0, len(caps))
		for _, c := range caps {
			c = strings.ToUpper(strings.TrimSpace(c))
			if !strings.HasPrefix(c, "CAP_") {
				c = "CAP_" + c
			}
			env.Caps = append(env.Caps, c)
		}
	}
	return env
}
