// Package ociconfig puts seccomp profiles into OCI runtime bundles: it
// converts a profile to the runtime-spec's linux.seccomp
// (specs.LinuxSeccomp) and patches an existing config.json in place.
// Reading config.json is oci.Parse's job, which locates errors.
//
// A profile in a config.json filters the runtime too, between loading
// the filter and executing the container's program: PatchFor adds what
// the runtime needs there (AddNeeds), from data learned by recording
// the runtime, per runtime and version (Runtimes, LookupRuntime).
//
// This package is the one place that imports
// github.com/opencontainers/runtime-spec.
package ociconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// ToSpec converts p to the runtime-spec's seccomp section. p must be
// resolved (no archMap, includes or excludes: see profile.Resolve), as
// runtimes know none of Docker's extensions; comments are dropped.
func ToSpec(p *profile.Profile) (*specs.LinuxSeccomp, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Conditional() {
		return nil, fmt.Errorf("%w: the OCI runtime spec has no archMap, includes or excludes; resolve the profile for the host first", profile.ErrNotExpressible)
	}
	s := &specs.LinuxSeccomp{
		DefaultAction:    specs.LinuxSeccompAction(p.Default.Kind.SCMP()),
		DefaultErrnoRet:  data(p.Default),
		ListenerPath:     p.ListenerPath,
		ListenerMetadata: p.ListenerMetadata,
	}
	for _, a := range p.Arches {
		s.Architectures = append(s.Architectures, specs.Arch(a.SCMP()))
	}
	for _, f := range p.Flags {
		s.Flags = append(s.Flags, specs.LinuxSeccompFlag(f))
	}
	for _, r := range p.Rules {
		sc := specs.LinuxSyscall{Names: r.Names, Action: specs.LinuxSeccompAction(r.Action.Kind.SCMP()), ErrnoRet: data(r.Action)}
		for _, c := range r.Conds {
			sc.Args = append(sc.Args, specs.LinuxSeccompArg{Index: uint(c.Arg), Value: c.Value, ValueTwo: c.ValueTwo, Op: specs.LinuxSeccompOperator(c.Op.SCMP())})
		}
		s.Syscalls = append(s.Syscalls, sc)
	}
	return s, nil
}

func data(a profile.Action) *uint {
	if !a.Kind.HasData() {
		return nil
	}
	v := uint(a.Data)
	return &v
}

// Patch returns the config.json config (named name in errors) with its
// linux.seccomp replaced by p, and every other byte kept: the new
// section is written in place of the old one (or added as the last
// member of linux, or linux as the last member of the config), indented
// as the members around it. A config with fields the runtime spec does
// not define is refused (a misspelt field would be ignored by the
// runtime), and so is one with two linux or seccomp members (runtimes
// read the last, in any letter case), since which one counts is unclear.
func Patch(name string, config []byte, p *profile.Profile) ([]byte, error) {
	if _, err := decode(name, config); err != nil {
		return nil, err
	}
	s, err := ToSpec(p)
	if err != nil {
		return nil, err
	}
	return splice(name, config, s)
}

// PatchFor is Patch for a config.json that runtime rt runs: p gets a
// rule for what rt does after loading the filter and p would deny
// (AddNeeds, for the config's process.noNewPrivileges, on native), and
// those calls are returned.
func PatchFor(name string, config []byte, p *profile.Profile, rt *Runtime, native arch.Arch) ([]byte, []Added, error) {
	spec, err := decode(name, config)
	if err != nil {
		return nil, nil, err
	}
	nnp := spec.Process != nil && spec.Process.NoNewPrivileges
	q, added, err := AddNeeds(p, rt, nnp, native)
	if err != nil {
		return nil, nil, err
	}
	s, err := ToSpec(q)
	if err != nil {
		return nil, nil, err
	}
	out, err := splice(name, config, s)
	return out, added, err
}

// decode reads config as a runtime spec, refusing what Patch refuses.
func decode(name string, config []byte) (*specs.Spec, error) {
	var spec specs.Spec
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		if errors.Is(err, io.EOF) {
			// encoding/json says only "EOF".
			return nil, &profile.SyntaxError{File: name, Line: 1, Col: 1, Err: profile.ErrInvalid,
				Msg: "empty: not an OCI runtime config ('runc spec' writes one)"}
		}
		return nil, locate(name, config, err)
	}
	if dec.More() {
		return nil, &profile.SyntaxError{File: name, Msg: "data after the config object", Err: profile.ErrInvalid}
	}
	if spec.Version == "" {
		return nil, &profile.SyntaxError{File: name, Line: 1, Col: 1, Msg: "not an OCI runtime config (no ociVersion)", Err: profile.ErrInvalid}
	}
	return &spec, nil
}

// member is where one member of a JSON object is in the file.
type member struct {
	key      int // offset of the key's opening quote
	val, end int // the value's bytes: config[val:end]
}

// members lists the members of the object that begins at config[off]
// whose key is want in any letter case (as encoding/json matches
// fields), and returns the offset of the object's closing brace and
// whether the object has members at all.
func members(config []byte, off int, want string) (found []member, closing int, empty bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(config[off:]))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, 0, false, fmt.Errorf("not an object")
	}
	empty = true
	for dec.More() {
		empty = false
		before := off + int(dec.InputOffset())
		t, err := dec.Token()
		if err != nil {
			return nil, 0, false, err
		}
		key, _ := t.(string)
		m := member{key: skip(config, before, ",")}
		var raw json.RawMessage
		vstart := off + int(dec.InputOffset())
		if err := dec.Decode(&raw); err != nil {
			return nil, 0, false, err
		}
		m.val = skip(config, vstart, ":")
		m.end = off + int(dec.InputOffset())
		if strings.EqualFold(key, want) {
			found = append(found, m)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, 0, false, err
	}
	return found, off + int(dec.InputOffset()) - 1, empty, nil
}

// skip returns the offset of the first byte from off that is neither
// JSON white space nor one of seps.
func skip(b []byte, off int, seps string) int {
	for off < len(b) && strings.IndexByte(" \t\r\n"+seps, b[off]) >= 0 {
		off++
	}
	return off
}

// splice writes s as the linux.seccomp of config, keeping every other
// byte.
func splice(name string, config []byte, s *specs.LinuxSeccomp) ([]byte, error) {
	bad := func(what string, m member) error {
		line := 1 + bytes.Count(config[:m.key], []byte{'\n'})
		col := m.key - bytes.LastIndexByte(config[:m.key], '\n')
		return &profile.SyntaxError{File: name, Line: line, Col: col, Err: profile.ErrInvalid,
			Msg: fmt.Sprintf("a second %s member (runtimes read the last, in any letter case): remove one", what)}
	}
	start := skip(config, 0, "")
	linux, top, _, err := members(config, start, "linux")
	if err != nil {
		return nil, locate(name, config, err)
	}
	if len(linux) > 1 {
		return nil, bad("linux", linux[1])
	}
	unit := indentUnit(config, start)
	if len(linux) == 0 || bytes.Equal(config[linux[0].val:linux[0].end], []byte("null")) {
		// No linux section: add one, holding only seccomp.
		body, err := marshal(struct {
			Seccomp *specs.LinuxSeccomp `json:"seccomp"`
		}{s}, lineIndent(config, top)+unit, unit)
		if err != nil {
			return nil, err
		}
		if len(linux) == 1 {
			return join(config[:linux[0].val], body, config[linux[0].end:]), nil
		}
		return insert(config, start, top, `"linux": `, body, unit), nil
	}
	sec, brace, _, err := members(config, linux[0].val, "seccomp")
	if err != nil {
		return nil, locate(name, config, err)
	}
	if len(sec) > 1 {
		return nil, bad("seccomp", sec[1])
	}
	if len(sec) == 1 {
		body, err := marshal(s, lineIndent(config, sec[0].key), unit)
		if err != nil {
			return nil, err
		}
		return join(config[:sec[0].val], body, config[sec[0].end:]), nil
	}
	body, err := marshal(s, lineIndent(config, brace)+unit, unit)
	if err != nil {
		return nil, err
	}
	return insert(config, linux[0].val, brace, `"seccomp": `, body, unit), nil
}

// insert adds the member key+body as the last of the object from open to
// its closing brace at brace, on a line of its own when the object's
// members are (indented one unit deeper than the brace's line).
func insert(config []byte, open, brace int, key string, body []byte, unit string) []byte {
	last := brace
	for last > open+1 && strings.IndexByte(" \t\r\n", config[last-1]) >= 0 {
		last--
	}
	sep := ","
	if last == open+1 {
		sep = "" // an empty object
	}
	nl, after := "", ""
	if unit != "" {
		nl = "\n" + lineIndent(config, brace) + unit
		if sep == "" && !bytes.Contains(config[last:brace], []byte{'\n'}) {
			after = "\n" + lineIndent(config, brace) // {} becomes a block
		}
	}
	return join(config[:last], []byte(sep+nl+key), body, []byte(after), config[last:])
}

func join(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// marshal writes v as JSON, indented for a value that begins on a line
// indented by prefix, or on one line when the file is (unit "").
func marshal(v any, prefix, unit string) ([]byte, error) {
	if unit == "" {
		return json.Marshal(v)
	}
	return json.MarshalIndent(v, prefix, unit)
}

// lineIndent returns the white space that begins the line holding off.
func lineIndent(b []byte, off int) string {
	i := bytes.LastIndexByte(b[:off], '\n') + 1
	j := i
	for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
		j++
	}
	return string(b[i:j])
}

// indentUnit tells the file's indentation step from the first member of
// the object at open: the white space that begins its line, or "" when
// the object is on one line.
func indentUnit(b []byte, open int) string {
	first := skip(b, open+1, "")
	if !bytes.Contains(b[open:first], []byte{'\n'}) {
		return ""
	}
	if u := lineIndent(b, first); u != "" {
		return u[len(lineIndent(b, open)):]
	}
	return "\t"
}

// locate turns a JSON decoding error into a *profile.SyntaxError with
// the line and column where encoding/json reports it.
func locate(name string, data []byte, err error) error {
	off := -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = int(se.Offset)
	case errors.As(err, &te):
		off = int(te.Offset)
	}
	e := &profile.SyntaxError{File: name, Msg: err.Error(), Err: profile.ErrInvalid}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		e.Msg = err.Error() + ": the OCI runtime spec does not define it, and the runtime would ignore it; fix or remove it"
		// encoding/json gives no offset for an unknown field: the first
		// member of that name is the likely one.
		if m := regexp.MustCompile(regexp.QuoteMeta(field) + `\s*:`).FindIndex(data); m != nil && off < 0 {
			off = m[0]
		}
	}
	if off >= 0 {
		if off > len(data) {
			off = len(data)
		}
		e.Line = 1 + bytes.Count(data[:off], []byte{'\n'})
		e.Col = off - bytes.LastIndexByte(data[:off], '\n')
	}
	return e
}
