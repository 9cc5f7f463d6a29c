// Package spo reads and writes the SeccompProfile resources of the
// Kubernetes security-profiles-operator (apiVersion
// security-profiles-operator.x-k8s.io/v1beta1), and writes the pod
// securityContext that runs a pod under such a profile.
//
// A SeccompProfile's spec is the OCI runtime-spec seccomp profile
// without Docker's extensions: no archMap, includes, excludes or
// comments, and no defaultErrnoRet. Parse locates every error in the
// YAML (*profile.SyntaxError, "file:line:col: message"); Format lists
// what the spec cannot hold. Format(Parse(x)) is stable and
// Parse(Format(p)) equals p for the profiles Parse returns.
//
// This package is the one place that imports YAML libraries:
// go.yaml.in/yaml/v3 for reading with positions and sigs.k8s.io/yaml for
// writing in the Kubernetes style.
package spo

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/syscage/syscage/profile/internal/closest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// APIVersion and Kind identify a SeccompProfile.
const (
	APIVersion = "security-profiles-operator.x-k8s.io/v1beta1"
	// APIVersionV1 is the operator's v1 API, whose SeccompProfile spec
	// is v1beta1's (api/seccompprofile/v1); Parse reads both.
	APIVersionV1 = "security-profiles-operator.x-k8s.io/v1"
	Kind         = "SeccompProfile"
)

// Meta is the metadata of a SeccompProfile.
type Meta struct {
	Name      string
	Namespace string
	// BaseProfileName is spec.baseProfileName: the SeccompProfile (in
	// the same namespace) whose rules the operator adds to this one's
	// (see Resolve). Decode keeps it apart from the profile; Format
	// writes it back.
	BaseProfileName string
	base            profile.SyntaxError // where baseProfileName is
}

type decoder struct{ file string }

func (d *decoder) errAt(n *yaml3.Node, format string, args ...any) error {
	e := &profile.SyntaxError{File: d.file, Msg: fmt.Sprintf(format, args...), Err: profile.ErrInvalid}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	return e
}

// Parse reads a SeccompProfile as the operator installs it: with the
// rules of its base profile (spec.baseProfileName) when the base is in
// the same List; a base found nowhere is an error wrapping ErrNoBase
// (package formats then looks for it in the file's directory). name is
// used in errors.
func Parse(name string, data []byte) (*profile.Profile, error) {
	p, m, err := Decode(name, data)
	if err != nil || m.BaseProfileName == "" {
		return p, err
	}
	items, err := DecodeList(name, data)
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		if it.Meta == m {
			return Resolve(items, i)
		}
	}
	return nil, m.baseErr(ErrNoBase, "the profile is not in the file")
}

// Decode reads a SeccompProfile and its metadata: the profile holds its
// own rules (a base profile it names is in Meta.BaseProfileName; see
// Resolve). Unknown fields of the spec are errors, as is disabled: true.
func Decode(name string, data []byte) (*profile.Profile, Meta, error) {
	d := &decoder{file: name}
	var doc yaml3.Node
	if err := yaml3.Unmarshal(data, &doc); err != nil {
		return nil, Meta{}, d.yamlError(err)
	}
	if doc.Kind != yaml3.DocumentNode || len(doc.Content) == 0 {
		return nil, Meta{}, &profile.SyntaxError{File: name, Line: 1, Col: 1, Msg: "empty document: want a SeccompProfile", Err: profile.ErrInvalid}
	}
	root := doc.Content[0]
	if isList(root) {
		items, err := d.list(root)
		if err != nil {
			return nil, Meta{}, err
		}
		if len(items) != 1 {
			var names []string
			for _, it := range items {
				names = append(names, it.Meta.Namespace+"/"+it.Meta.Name)
			}
			return nil, Meta{}, d.errAt(root, "a List of %d SeccompProfiles (%s): one profile is read at a time; read them with DecodeList", len(items), strings.Join(names, ", "))
		}
		return items[0].Profile, items[0].Meta, nil
	}
	return d.object(root)
}

// Item is one SeccompProfile of a List.
type Item struct {
	Profile *profile.Profile // its own rules, without its base's
	Meta    Meta
	File    string // the file it was read from
}

// DecodeList reads a List of SeccompProfiles (kind: List, as kubectl get
// -o yaml writes them), or a single SeccompProfile as a List of one.
// Every item must be a SeccompProfile; errors are located in the file.
func DecodeList(name string, data []byte) ([]Item, error) {
	d := &decoder{file: name}
	var doc yaml3.Node
	if err := yaml3.Unmarshal(data, &doc); err != nil {
		return nil, d.yamlError(err)
	}
	if doc.Kind != yaml3.DocumentNode || len(doc.Content) == 0 {
		return nil, &profile.SyntaxError{File: name, Line: 1, Col: 1, Msg: "empty document: want a SeccompProfile or a List of them", Err: profile.ErrInvalid}
	}
	root := doc.Content[0]
	if isList(root) {
		return d.list(root)
	}
	p, m, err := d.object(root)
	if err != nil {
		return nil, err
	}
	return []Item{{p, m, name}}, nil
}

// isList tells a Kubernetes List (kind: List) from an object.
func isList(root *yaml3.Node) bool {
	if root.Kind != yaml3.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "kind" && root.Content[i+1].Value == "List" {
			return true
		}
	}
	return false
}

// list reads the items of a List, each a SeccompProfile.
func (d *decoder) list(root *yaml3.Node) ([]Item, error) {
	var items *yaml3.Node
	var apiVersion *yaml3.Node
	err := d.fields(root, "the List", []string{"apiVersion", "kind", "metadata", "items"}, true, func(k, v *yaml3.Node) error {
		switch k.Value {
		case "apiVersion":
			apiVersion = v
		case "items":
			items = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if apiVersion == nil || apiVersion.Value != "v1" {
		return nil, d.errAt(orNode(apiVersion, root), "apiVersion of a List must be v1")
	}
	if items == nil || items.Kind != yaml3.SequenceNode {
		return nil, d.errAt(orNode(items, root), "a List needs items, a list of SeccompProfiles")
	}
	var out []Item
	for _, it := range items.Content {
		p, m, err := d.object(it)
		if err != nil {
			return nil, err
		}
		out = append(out, Item{p, m, d.file})
	}
	if len(out) == 0 {
		return nil, d.errAt(items, "the List has no items")
	}
	return out, nil
}

// object reads one SeccompProfile object.
func (d *decoder) object(root *yaml3.Node) (*profile.Profile, Meta, error) {
	var meta Meta
	var spec *yaml3.Node
	var apiVersion, kind *yaml3.Node
	err := d.fields(root, "the document", []string{"apiVersion", "kind", "metadata", "spec", "status"}, true, func(k, v *yaml3.Node) error {
		switch k.Value {
		case "apiVersion":
			apiVersion = v
		case "kind":
			kind = v
		case "metadata":
			return d.fields(v, "metadata", nil, false, func(k, v *yaml3.Node) error {
				var err error
				switch k.Value {
				case "name":
					meta.Name, err = d.str(v, "metadata.name")
				case "namespace":
					meta.Namespace, err = d.str(v, "metadata.namespace")
				}
				return err
			})
		case "spec":
			spec = v
		}
		return nil
	})
	if err != nil {
		return nil, meta, err
	}
	if kind == nil || kind.Value != Kind {
		return nil, meta, d.errAt(orNode(kind, root), "kind must be %s", Kind)
	}
	if apiVersion == nil || apiVersion.Value != APIVersion && apiVersion.Value != APIVersionV1 {
		return nil, meta, d.errAt(orNode(apiVersion, root), "apiVersion must be %s or %s", APIVersion, APIVersionV1)
	}
	if spec == nil {
		return nil, meta, d.errAt(root, "the SeccompProfile has no spec")
	}
	p, err := d.spec(spec, &meta)
	if err != nil {
		return nil, meta, err
	}
	return p, meta, nil
}

func orNode(n, alt *yaml3.Node) *yaml3.Node {
	if n != nil {
		return n
	}
	return alt
}

// yamlError turns a YAML syntax error ("yaml: line N: ...") into a
// located error.
func (d *decoder) yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, perr := strconv.Atoi(rest[:i]); perr == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &profile.SyntaxError{File: d.file, Line: line, Msg: msg, Err: profile.ErrInvalid}
}

// fields walks a mapping; known lists the allowed keys (nil: any), and
// strict makes unknown keys errors.
func (d *decoder) fields(n *yaml3.Node, what string, known []string, strict bool, fn func(k, v *yaml3.Node) error) error {
	if n.Kind != yaml3.MappingNode {
		return d.errAt(n, "%s must be a mapping, not %s", what, kindName(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if known != nil && !slices.Contains(known, k.Value) {
			if strict {
				msg := fmt.Sprintf("unknown field %q in %s", k.Value, what)
				if s := closest.Name(k.Value, known); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				} else {
					msg += fmt.Sprintf(" (want one of %s)", strings.Join(known, ", "))
				}
				return d.errAt(k, "%s", msg)
			}
			continue
		}
		if seen[k.Value] {
			return d.errAt(k, "duplicate field %q in %s", k.Value, what)
		}
		seen[k.Value] = true
		if v.Kind == yaml3.ScalarNode && v.Tag == "!!null" {
			continue
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func kindName(n *yaml3.Node) string {
	switch n.Kind {
	case yaml3.MappingNode:
		return "a mapping"
	case yaml3.SequenceNode:
		return "a list"
	case yaml3.AliasNode:
		return "an alias"
	}
	return "a " + strings.TrimPrefix(n.Tag, "!!")
}

func (d *decoder) str(n *yaml3.Node, what string) (string, error) {
	if n.Kind != yaml3.ScalarNode || n.Tag != "!!str" {
		return "", d.errAt(n, "%s must be a string, not %s", what, kindName(n))
	}
	return n.Value, nil
}

func (d *decoder) strs(n *yaml3.Node, what string) ([]string, []*yaml3.Node, error) {
	if n.Kind != yaml3.SequenceNode {
		return nil, nil, d.errAt(n, "%s must be a list of strings, not %s", what, kindName(n))
	}
	var out []string
	for _, e := range n.Content {
		s, err := d.str(e, what+" element")
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
	}
	return out, n.Content, nil
}

func (d *decoder) uint(n *yaml3.Node, what string, max uint64) (uint64, error) {
	if n.Kind != yaml3.ScalarNode || n.Tag != "!!int" {
		return 0, d.errAt(n, "%s must be a whole number 0..%d, not %s", what, max, kindName(n))
	}
	v, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil || v > max {
		return 0, d.errAt(n, "%s %s out of range 0..%d", what, n.Value, max)
	}
	return v, nil
}

func (d *decoder) action(n *yaml3.Node, what string) (profile.ActionKind, error) {
	s, err := d.str(n, what)
	if err != nil {
		return 0, err
	}
	k, ok := profile.TokenAction(s)
	if !ok {
		return 0, d.errAt(n, "unknown action %q (want one of %s)", s, strings.Join(profile.ActionNames(), ", "))
	}
	return k, nil
}

var specFields = []string{"disabled", "baseProfileName", "defaultAction", "architectures", "listenerPath", "listenerMetadata", "syscalls", "flags"}

func (d *decoder) spec(n *yaml3.Node, meta *Meta) (*profile.Profile, error) {
	p := &profile.Profile{}
	var defNode *yaml3.Node
	err := d.fields(n, "spec", specFields, true, func(k, v *yaml3.Node) error {
		var err error
		switch k.Value {
		case "disabled":
			if v.Tag != "!!bool" {
				return d.errAt(v, "disabled must be true or false")
			}
			if v.Value == "true" {
				return d.errAt(v, "the profile is disabled: the operator does not install it")
			}
		case "baseProfileName":
			meta.BaseProfileName, err = d.str(v, "baseProfileName")
			if err == nil && meta.BaseProfileName == "" {
				err = d.errAt(v, "baseProfileName is empty")
			}
			meta.base = profile.SyntaxError{File: d.file, Line: v.Line, Col: v.Column}
		case "defaultAction":
			defNode = v
			var kind profile.ActionKind
			kind, err = d.action(v, "defaultAction")
			p.Default = profile.Action{Kind: kind}
			if kind.HasData() {
				p.Default.Data = profile.EPERM
			}
		case "architectures":
			var ss []string
			var nodes []*yaml3.Node
			ss, nodes, err = d.strs(v, "architectures")
			for i, s := range ss {
				if err != nil {
					break
				}
				a, ok := scmpArch(s)
				if !ok {
					err = d.errAt(nodes[i], "unknown architecture %q (want SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64, ...)", s)
					break
				}
				p.Arches = append(p.Arches, a)
			}
		case "listenerPath":
			p.ListenerPath, err = d.str(v, "listenerPath")
		case "listenerMetadata":
			p.ListenerMetadata, err = d.str(v, "listenerMetadata")
		case "flags":
			var nodes []*yaml3.Node
			p.Flags, nodes, err = d.strs(v, "flags")
			for i, f := range p.Flags {
				if err == nil && !slices.Contains(profile.FilterFlags, f) {
					err = d.errAt(nodes[i], "unknown flag %q (want one of %s)", f, strings.Join(profile.FilterFlags, ", "))
				}
			}
		case "syscalls":
			if v.Kind != yaml3.SequenceNode {
				return d.errAt(v, "syscalls must be a list, not %s", kindName(v))
			}
			for i, e := range v.Content {
				r, err := d.rule(e, i)
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
	if defNode == nil {
		return nil, d.errAt(n, "spec.defaultAction is missing")
	}
	if err := p.Validate(); err != nil {
		return nil, d.errAt(n, "%v", err)
	}
	return p, nil
}

func (d *decoder) rule(n *yaml3.Node, i int) (profile.Rule, error) {
	var r profile.Rule
	what := fmt.Sprintf("syscalls[%d]", i)
	var kind profile.ActionKind
	var actNode, retNode *yaml3.Node
	var ret uint64
	err := d.fields(n, what, []string{"names", "action", "errnoRet", "args"}, true, func(k, v *yaml3.Node) error {
		var err error
		switch k.Value {
		case "names":
			var nodes []*yaml3.Node
			r.Names, nodes, err = d.strs(v, "names")
			for j, s := range r.Names {
				if cerr := profile.CheckName(s); err == nil && cerr != nil {
					err = d.errAt(nodes[j], "%v", cerr)
				}
			}
		case "action":
			actNode = v
			kind, err = d.action(v, "action")
		case "errnoRet":
			retNode = v
			ret, err = d.uint(v, "errnoRet", 0xffff)
		case "args":
			if v.Kind != yaml3.SequenceNode {
				return d.errAt(v, "args must be a list, not %s", kindName(v))
			}
			for _, e := range v.Content {
				c, err := d.cond(e)
				if err != nil {
					return err
				}
				r.Conds = append(r.Conds, c)
			}
		}
		return err
	})
	if err != nil {
		return r, err
	}
	if len(r.Names) == 0 {
		return r, d.errAt(n, "%s names no system call", what)
	}
	if actNode == nil {
		return r, d.errAt(n, "%s has no action", what)
	}
	r.Action = profile.Action{Kind: kind}
	switch {
	case retNode != nil && !kind.HasData():
		return r, d.errAt(retNode, "errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", kind.SCMP())
	case retNode != nil:
		if kind == profile.ActErrno && ret >= profile.MaxErrno {
			return r, d.errAt(retNode, "errnoRet %d out of range 0..%d", ret, profile.MaxErrno-1)
		}
		r.Action.Data = uint16(ret)
	case kind.HasData():
		r.Action.Data = profile.EPERM
	}
	return r, nil
}

func (d *decoder) cond(n *yaml3.Node) (profile.Cond, error) {
	var c profile.Cond
	var hasIndex, hasOp bool
	err := d.fields(n, "an argument", []string{"index", "value", "valueTwo", "op"}, true, func(k, v *yaml3.Node) error {
		var err error
		var x uint64
		switch k.Value {
		case "index":
			hasIndex = true
			x, err = d.uint(v, "argument index", profile.MaxArg)
			c.Arg = uint8(x)
		case "value":
			c.Value, err = d.uint(v, "value", ^uint64(0))
		case "valueTwo":
			c.ValueTwo, err = d.uint(v, "valueTwo", ^uint64(0))
		case "op":
			hasOp = true
			var s string
			if s, err = d.str(v, "op"); err == nil {
				o, perr := profile.ParseOp(s)
				if perr != nil || !strings.HasPrefix(s, "SCMP_CMP_") {
					return d.errAt(v, "unknown operator %q (want one of %s)", s, strings.Join(profile.OpNames(), ", "))
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
		return c, d.errAt(n, "argument without index")
	}
	if !hasOp {
		return c, d.errAt(n, "argument without op")
	}
	return c, nil
}

func scmpArch(s string) (arch.Arch, bool) {
	for _, a := range arch.All() {
		if a.SCMP() == s {
			return a, true
		}
	}
	return arch.Invalid, false
}

// The YAML layout, in the field order of the operator's Go types.
type (
	document struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Metadata   metadata `json:"metadata"`
		Spec       spec     `json:"spec"`
	}
	metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace,omitempty"`
	}
	spec struct {
		BaseProfileName  string    `json:"baseProfileName,omitempty"`
		DefaultAction    string    `json:"defaultAction"`
		Architectures    []string  `json:"architectures,omitempty"`
		ListenerPath     string    `json:"listenerPath,omitempty"`
		ListenerMetadata string    `json:"listenerMetadata,omitempty"`
		Syscalls         []syscall `json:"syscalls,omitempty"`
		Flags            []string  `json:"flags,omitempty"`
	}
	syscall struct {
		Names    []string `json:"names"`
		Action   string   `json:"action"`
		ErrnoRet uint16   `json:"errnoRet,omitempty"`
		Args     []arg    `json:"args,omitempty"`
	}
	arg struct {
		Index    uint8  `json:"index"`
		Value    uint64 `json:"value,omitempty"`
		ValueTwo uint64 `json:"valueTwo,omitempty"`
		Op       string `json:"op"`
	}
)

// Options control Format.
type Options struct {
	Meta Meta // metadata.name is required
	// Lossy writes the nearest profile that is never more permissive
	// when p has parts a SeccompProfile cannot hold, instead of failing.
	Lossy bool
}

// Format writes p as a SeccompProfile. It lists what the spec cannot
// hold: Docker's archMap, includes and excludes (resolve the profile
// first), a default errno other than EPERM (the spec has no
// defaultErrnoRet) and errno 0 on a rule (errnoRet 0 is omitted and means
// EPERM). With o.Lossy a default ERRNO(n) is written as SCMP_ACT_ERRNO
// (EPERM), a rule's ERRNO(0) as EPERM, and a conditional rule is kept
// without its includes and excludes when it is stricter than the default
// and dropped otherwise. Comments are not part of the spec and are
// dropped without a loss.
func Format(p *profile.Profile, o Options) ([]byte, []profile.Loss, error) {
	if err := p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("format spo: %w", err)
	}
	if o.Meta.Name == "" {
		return nil, nil, errors.New("format spo: the SeccompProfile needs a name")
	}
	if err := checkName("metadata.name", o.Meta.Name); err != nil {
		return nil, nil, fmt.Errorf("format spo: %w", err)
	}
	if o.Meta.Namespace != "" {
		if err := checkName("metadata.namespace", o.Meta.Namespace); err != nil {
			return nil, nil, fmt.Errorf("format spo: %w", err)
		}
	}
	var losses []profile.Loss
	loss := func(rule int, format string, args ...any) {
		what := fmt.Sprintf(format, args...)
		if rule > 0 {
			// Name the calls, not only the rule.
			what = strings.Join(p.Rules[rule-1].Names, " ") + ": " + what
		}
		losses = append(losses, profile.Loss{Rule: rule, What: what})
	}
	if len(p.ArchMap) > 0 {
		loss(0, "a SeccompProfile has no archMap; resolve the profile for a host first (lossy: the native ABI only)")
	}
	def := p.Default
	if def.Kind == profile.ActErrno && def.Data != profile.EPERM {
		loss(0, "a SeccompProfile has no defaultErrnoRet; default ERRNO(%d) written as SCMP_ACT_ERRNO (EPERM)", def.Data)
		def.Data = profile.EPERM
	}
	if def.Kind == profile.ActTrace && def.Data != profile.EPERM {
		loss(0, "a SeccompProfile has no defaultErrnoRet; default TRACE(%d) written as SCMP_ACT_TRACE (message 1)", def.Data)
		def.Data = profile.EPERM
	}
	doc := document{
		APIVersion: APIVersion,
		Kind:       Kind,
		Metadata:   metadata{Name: o.Meta.Name, Namespace: o.Meta.Namespace},
		Spec: spec{
			BaseProfileName:  o.Meta.BaseProfileName,
			DefaultAction:    def.Kind.SCMP(),
			ListenerPath:     p.ListenerPath,
			ListenerMetadata: p.ListenerMetadata,
			Flags:            p.Flags,
		},
	}
	for _, a := range p.Arches {
		doc.Spec.Architectures = append(doc.Spec.Architectures, a.SCMP())
	}
	for i, r := range p.Rules {
		act := r.Action
		if act == p.Default {
			// runc skips it, but it would not be skipped under the
			// written default: it stands for nothing, so write nothing.
			if def != p.Default {
				continue
			}
		} else if act == def {
			// The default changed to this rule's action, which runc would
			// then skip, letting overlapping rules (an ALLOW) decide the
			// calls it denied: keep it apart with the profile's own
			// default action, which the rule was not.
			loss(i+1, "its %v is now the written default's, which runc skips; written as %v", act, p.Default)
			act = p.Default
		}
		if act.Kind.HasData() && act.Data == 0 {
			act.Data = profile.EPERM
			if act == def {
				// Written as the default, runc would skip it: keep it
				// apart with another action that stops the call.
				act = apart(p.Default, def)
			}
			loss(i+1, "errnoRet 0 cannot be written (it is omitted, which means 1); written as %v", act)
		}
		if !r.Includes.IsZero() || !r.Excludes.IsZero() {
			if profile.Stricter(act, def) == act && act != def {
				loss(i+1, "a SeccompProfile has no includes or excludes; written unconditionally, being stricter than the default")
			} else {
				loss(i+1, "a SeccompProfile has no includes or excludes; dropped, being more permissive than the default")
				continue
			}
		}
		s := syscall{Names: r.Names, Action: act.Kind.SCMP()}
		if act.Kind.HasData() && act.Data != profile.EPERM {
			s.ErrnoRet = act.Data
		}
		for _, c := range r.Conds {
			s.Args = append(s.Args, arg{Index: c.Arg, Value: c.Value, ValueTwo: c.ValueTwo, Op: c.Op.SCMP()})
		}
		doc.Spec.Syscalls = append(doc.Spec.Syscalls, s)
	}
	if len(losses) > 0 && !o.Lossy {
		return nil, losses, &profile.LossError{Format: "spo", Losses: losses}
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, losses, err
	}
	return out, losses, nil
}

// apart returns an action that stops a call, is not the written default
// def, and can be written as it is: the profile's own default when it was
// changed (unless its errnoRet is 0, which is written as 1), else ERRNO
// EPERM, or EACCES when EPERM is the default.
func apart(orig, def profile.Action) profile.Action {
	for _, a := range []profile.Action{orig, {Kind: profile.ActErrno, Data: profile.EPERM}, {Kind: profile.ActErrno, Data: 13}} {
		if a.Kind.HasData() && a.Data == 0 {
			continue // written as 1: perhaps def itself
		}
		if a != def && a.Kind != profile.ActAllow && a.Kind != profile.ActLog {
			return a
		}
	}
	return profile.Action{Kind: profile.ActKillProcess}
}

// LocalhostProfile is the path, relative to the kubelet's seccomp
// directory, where the operator installs the profile: what a pod's
// seccompProfile.localhostProfile names.
func LocalhostProfile(m Meta) string {
	ns := m.Namespace
	if ns == "" {
		ns = "default"
	}
	return fmt.Sprintf("operator/%s/%s.json", ns, m.Name)
}

// PodSnippet returns the securityContext that runs a pod (or a
// container) under the SeccompProfile m once the operator has installed
// it on the node.
func PodSnippet(m Meta) []byte {
	return []byte(fmt.Sprintf(`# Run the pod (or one container) under the SeccompProfile %s/%s;
# the security-profiles-operator installs it on every node.
securityContext:
  seccompProfile:
    type: Localhost
    localhostProfile: %s
`, orDefault(m.Namespace), m.Name, LocalhostProfile(m)))
}

func orDefault(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// checkName refuses a name Kubernetes would refuse for the object: a
// DNS subdomain (RFC 1123: at most 253 lower-case letters, digits, '-'
// and '.', starting and ending with a letter or digit); a namespace is a
// DNS label (at most 63, no '.').
func checkName(what, s string) error {
	max, dots := 253, true
	if what == "metadata.namespace" {
		max, dots = 63, false
	}
	ok := len(s) > 0 && len(s) <= max
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		switch {
		case i == 0 || i == len(s)-1:
			ok = alnum
		default:
			ok = alnum || c == '-' || c == '.' && dots
		}
	}
	if !ok {
		return fmt.Errorf("%s %q is not a name Kubernetes takes (lower-case letters, digits and '-'%s, at most %d, starting and ending with a letter or digit)", what, s, map[bool]string{true: " and '.'"}[dots], max)
	}
	return nil
}

// NameFromFile makes a Kubernetes object name (a DNS label: lower-case
// letters, digits and '-', at most 63 characters) from a file name: its
// base name without the extension; "syscage-profile" when nothing is
// left, or for "" and "-" (standard output).
func NameFromFile(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var b strings.Builder
	for _, c := range strings.ToLower(base) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case b.Len() > 0:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" || path == "" || path == "-" {
		return "syscage-profile"
	}
	if len(s) > 63 {
		s = strings.Trim(s[:63], "-")
	}
	return s
}
