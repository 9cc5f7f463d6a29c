// Package ociconfig puts seccomp profiles into OCI runtime bundles: it
// converts a profile to the runtime-spec's linux.seccomp
// (specs.LinuxSeccomp) and patches an existing config.json in place.
// Reading config.json is oci.Parse's job, which locates errors.
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
// linux.seccomp replaced by p, indented with tabs. Everything else is
// kept; a config with fields the runtime spec does not define is refused
// rather than silently stripped.
func Patch(name string, config []byte, p *profile.Profile) ([]byte, error) {
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
	s, err := ToSpec(p)
	if err != nil {
		return nil, err
	}
	if spec.Linux == nil {
		spec.Linux = &specs.Linux{}
	}
	spec.Linux.Seccomp = s
	out, err := json.MarshalIndent(&spec, "", "\t")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
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
		e.Msg = err.Error() + ": the OCI runtime spec does not define it, and patching would drop it"
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
