package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

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

// mobyArch is how moby names the host architecture in includes.arches and
// excludes.arches (libseccomp's native names as moby's goToNative map
// spells them); other ABIs use their canonical name.
var mobyArch = map[arch.Arch]string{
	arch.X86:         "x86",
	arch.X86_64:      "amd64",
	arch.X32:         "x32",
	arch.ARM:         "arm",
	arch.AARCH64:     "arm64",
	arch.LOONGARCH64: "loong64",
	arch.MIPS:        "mips",
	arch.MIPSEL:      "mipsle",
	arch.MIPS64:      "mips64",
	arch.MIPSEL64:    "mipsel64",
	arch.MIPS64N32:   "mips64n32",
	arch.MIPSEL64N32: "mipsel64n32",
	arch.PPC:         "ppc",
	arch.PPC64:       "ppc64",
	arch.PPC64LE:     "ppc64le",
	arch.RISCV64:     "riscv64",
	arch.S390:        "s390",
	arch.S390X:       "s390x",
}

// MobyArch returns the spelling of a in includes and excludes.
func MobyArch(a arch.Arch) string {
	if s, ok := mobyArch[a]; ok {
		return s
	}
	return a.String()
}

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
	}
	p, err := d.profile(obj)
	if err != nil {
		return nil, err
	}
	return p, nil
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
}

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
			if s := suggest(m.key, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += fmt.Sprintf(" (want one of %s)", strings.Join(known, ", "))
			}
			return d.errAt(m.keyOff, profile.ErrInvalid, "%s", msg)
		}
		if seen[m.key] {
			return d.errAt(m.keyOff, profile.ErrInvalid, "duplicate field %q in %s", m.key, what)
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

// suggest returns the known name closest to key: the same but for case,
// or at most two edits away.
func suggest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return k
		}
		if dist := editDistance(strings.ToLower(key), strings.ToLower(k)); dist < bestD {
			best, bestD = k, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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
	profileFields = []string{"defaultAction", "defaultErrnoRet", "architectures", "archMap", "flags", "listenerPath", "listenerMetadata", "syscalls"}
	syscallFields = []string{"names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"}
	argFields     = []string{"index", "value", "valueTwo", "op"}
	filterFields  = []string{"caps", "arches", "minKernel"}
	archMapFields = []string{"architecture", "subArchitectures"}
)

func (d *decoder) profile(v value) (*profile.Profile, error) {
	p := &profile.Profile{}
	var defKind profile.ActionKind
	defOff, retOff := -1, 0
	var ret *uint64
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
	if p.Default, err = d.act(defKind, defOff, ret, retOff, "defaultErrnoRet"); err != nil {
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
	} else {
		if s == "mips3l64n32" { // moby's spelling of mipsel64n32
			return arch.MIPSEL64N32, nil
		}
		if a, err := arch.Parse(s); err == nil && s != "" {
			return a, nil
		}
	}
	var valid []string
	for _, a := range arch.All() {
		if scmp {
			valid = append(valid, a.SCMP())
		} else {
			valid = append(valid, MobyArch(a))
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
		out = append(out, m)
	}
	return out, nil
}

func (d *decoder) rule(v value, n int) (profile.Rule, error) {
	var r profile.Rule
	var kind profile.ActionKind
	actOff, retOff := -1, 0
	var ret *uint64
	var names, name bool
	var nameOff int
	what := fmt.Sprintf("syscalls[%d]", n-1)
	err := d.fields(v, what, syscallFields, func(key string, val value) error {
		var err error
		switch key {
		case "names":
			names = true
			var offs []int
			r.Names, offs, err = d.strs(val, "names")
			for i, s := range r.Names {
				if s == "" && err == nil {
					err = d.errAt(offs[i], profile.ErrInvalid, "empty system-call name")
				}
			}
		case "name":
			name, nameOff = true, val.off
			var s string
			if s, err = d.str(val, "name"); err == nil {
				if s == "" {
					return d.errAt(val.off, profile.ErrInvalid, "empty system-call name")
				}
				r.Names = append([]string{s}, r.Names...)
			}
		case "action":
			actOff = val.off
			kind, err = d.action(val)
		case "errnoRet":
			retOff = val.off
			var x uint64
			x, err = d.uint(val, "errnoRet", 0xffff)
			ret = &x
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
	if name && names && len(r.Names) > 1 {
		return r, d.errAt(nameOff, profile.ErrInvalid, "both name and names are set; use names")
	}
	if len(r.Names) == 0 {
		return r, d.errAt(v.off, profile.ErrInvalid, "%s names no system call", what)
	}
	if actOff < 0 {
		return r, d.errAt(v.off, profile.ErrInvalid, "%s has no action", what)
	}
	r.Action, err = d.act(kind, actOff, ret, retOff, "errnoRet")
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
		e := jsonArchMap{Arch: m.Arch.SCMP()}
		for _, s := range m.Sub {
			e.Sub = append(e.Sub, s.SCMP())
		}
		j.ArchMap = append(j.ArchMap, e)
	}
	for _, r := range p.Rules {
		j.Syscalls = append(j.Syscalls, syscallOf(r))
	}
	return json.MarshalIndent(j, "", "\t")
}

// syscallOf is the JSON form of one rule.
func syscallOf(r profile.Rule) jsonSyscall {
	s := jsonSyscall{
		Names:    r.Names,
		Action:   r.Action.Kind.SCMP(),
		ErrnoRet: data(r.Action),
		Comment:  r.Comment,
		Includes: filter(r.Includes),
		Excludes: filter(r.Excludes),
	}
	for _, c := range r.Conds {
		s.Args = append(s.Args, jsonArg{Index: c.Arg, Value: c.Value, ValueTwo: c.ValueTwo, Op: c.Op.SCMP()})
	}
	return s
}

func data(a profile.Action) *uint16 {
	if !a.Kind.HasData() {
		return nil
	}
	v := a.Data
	return &v
}

func filter(f profile.Filter) *jsonFilter {
	if f.IsZero() {
		return nil
	}
	j := &jsonFilter{Caps: f.Caps, MinKernel: f.MinKernel}
	for _, a := range f.Arches {
		j.Arches = append(j.Arches, MobyArch(a))
	}
	return j
}
