// Package formats reads a profile in any format syscage knows, telling
// the format from the content, and writes profiles in any of them,
// listing what a format cannot express.
package formats

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/lxc"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/profile/spo"
	"github.com/syscage/syscage/profile/systemd"
)

// Format names a profile format.
type Format string

// The formats.
const (
	OCI     Format = "oci"     // Docker/OCI seccomp JSON (moby's superset), or an OCI config.json
	LXC     Format = "lxc"     // LXC seccomp policy, version 1 or 2
	Systemd Format = "systemd" // systemd unit, drop-in or bare SystemCallFilter= value
	SPO     Format = "spo"     // security-profiles-operator SeccompProfile YAML
)

// Names returns the format names.
func Names() []string { return []string{string(OCI), string(LXC), string(Systemd), string(SPO)} }

// Ext is the file name extension of a profile in format f: ".json"
// (oci, and "" for the default), ".lxc", ".conf" (a systemd drop-in) or
// ".yaml".
func (f Format) Ext() string {
	switch f {
	case LXC:
		return ".lxc"
	case Systemd:
		return ".conf"
	case SPO:
		return ".yaml"
	}
	return ".json"
}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, n := range Names() {
		if s == n {
			return Format(n), nil
		}
	}
	return "", fmt.Errorf("unknown format %q (want %s)", s, strings.Join(Names(), ", "))
}

// Detect tells the format of a profile from its content: JSON is OCI, a
// YAML document with a top-level apiVersion or kind is SPO, a first line
// that is a number (the policy version, "1" or "2") is LXC, and anything
// else is read as systemd settings. A Kubernetes object of another kind
// or an LXC policy of an unknown version is thus refused by the parser
// of its own format, with an error that says so.
func Detect(data []byte) Format {
	t := bytes.TrimPrefix(data, []byte{0xef, 0xbb, 0xbf})
	t = bytes.TrimSpace(t)
	if bytes.HasPrefix(t, []byte("{")) {
		return OCI
	}
	first := ""
	for _, l := range strings.Split(string(t), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		first = l
		break
	}
	if _, err := strconv.ParseUint(first, 10, 32); err == nil {
		return LXC
	}
	for _, l := range strings.Split(string(t), "\n") {
		// Top-level keys only: YAML at column 0 (after the trimmed
		// document start).
		if strings.HasPrefix(l, "kind:") || strings.HasPrefix(l, "apiVersion:") {
			return SPO
		}
	}
	return Systemd
}

// Parse reads a profile in format f, or in the format Detect tells when
// f is "". name is used in errors.
func Parse(name string, data []byte, f Format) (*profile.Profile, Format, error) {
	p, f, _, err := ParseWarn(name, data, f)
	return p, f, err
}

// ParseWarn is Parse, and also returns, as "file:line:col: message", what
// the program that enforces the format reads but ignores with a warning
// of its own (systemd: system-call settings outside the sections it
// reads them from; see systemd.ParseWarn).
func ParseWarn(name string, data []byte, f Format) (*profile.Profile, Format, []string, error) {
	detected := f == ""
	if detected {
		f = Detect(data)
	}
	var p *profile.Profile
	var warnings []string
	var err error
	switch f {
	case OCI:
		p, err = oci.Parse(name, data)
	case LXC:
		p, err = lxc.Parse(name, data)
	case Systemd:
		var ws []systemd.Warning
		p, ws, err = systemd.ParseWarn(name, data)
		for _, w := range ws {
			warnings = append(warnings, w.String())
		}
		var se *profile.SyntaxError
		if detected && errors.As(err, &se) && strings.HasPrefix(se.Msg, "unknown ") && !bytes.Contains(data, []byte("SystemCall")) && !bytes.Contains(data, []byte("@")) {
			// Text in no format: say how it was read.
			se.Msg += " (read as a bare SystemCallFilter= value: not JSON, an LXC policy or a SeccompProfile)"
		}
	case SPO:
		p, err = spo.Parse(name, data)
	default:
		return nil, f, nil, fmt.Errorf("unknown format %q", f)
	}
	return p, f, warnings, err
}

// Options control Write.
type Options struct {
	// Lossy writes the nearest form that is never more permissive when
	// the format cannot express the profile exactly.
	Lossy bool
	// Meta names the SeccompProfile (SPO only).
	Meta spo.Meta
	// SystemdVersion is the systemd a unit is written for (systemd
	// only; see systemd.Options.Version).
	SystemdVersion int
	// WidenABIs writes an LXC policy for a profile that covers only part
	// of the ABIs LXC applies a policy to on its host (x86_64 without x86
	// and x32, ...): the profile is widened to all of them (lxc.Widen),
	// so the calls it allows run there too, which it did not let run.
	// Without it such a profile is a loss that nothing can write. Host
	// is the ABI of a profile that names no architectures (default: this
	// program's).
	WidenABIs bool
	Host      arch.Arch
}

// Write writes p in format f. The losses are what f cannot express; when
// there are any and o.Lossy is false, nothing is written and the error
// is a *profile.LossError. OCI JSON holds every profile but archMap
// sub-architectures on hosts moby has no name for (oci.Unapplied).
func Write(p *profile.Profile, f Format, o Options) ([]byte, []profile.Loss, error) {
	switch f {
	case OCI:
		var losses []profile.Loss
		if hosts := oci.Unapplied(p); len(hosts) > 0 {
			// moby applies no archMap entry on these hosts: without their
			// sub-architectures, those ABIs get the bad-arch action there
			// (never more permissive).
			for _, h := range hosts {
				losses = append(losses, profile.Loss{What: fmt.Sprintf("the sub-architectures of %s hosts (moby applies no archMap entry there): left out, so their calls are denied on such hosts", h)})
			}
			if !o.Lossy {
				return nil, losses, &profile.LossError{Format: "oci", Losses: losses}
			}
			q := p.Clone()
			for i, m := range q.ArchMap {
				if slices.Contains(hosts, m.Arch) {
					q.ArchMap[i].Sub = nil
				}
			}
			p = q
		}
		out, err := oci.Format(p)
		if err != nil {
			return nil, nil, err
		}
		return append(out, '\n'), losses, nil
	case LXC:
		if o.WidenABIs {
			host := o.Host
			if host == arch.Invalid {
				host, _ = arch.Native()
			}
			p, _ = lxc.Widen(p, host)
		}
		return lxc.Format(p, lxc.Options{Lossy: o.Lossy})
	case Systemd:
		return systemd.Format(p, systemd.Options{Lossy: o.Lossy, Version: o.SystemdVersion})
	case SPO:
		return spo.Format(p, spo.Options{Lossy: o.Lossy, Meta: o.Meta})
	}
	return nil, nil, fmt.Errorf("unknown format %q", f)
}

// NativeArchMap returns the archMap a format gives every profile it
// reads (LXC's and systemd's coverage of each host), or nil.
func NativeArchMap(f Format) []profile.ArchMapEntry {
	switch f {
	case LXC:
		return lxc.ArchMap
	case Systemd:
		return systemd.LocalArchMap
	}
	return nil
}

// Rewritable says why a profile file (name, holding data) cannot be
// rewritten in place with a profile in format to ("" for the file's own
// format), or "" when it can: only a plain Docker/OCI seccomp JSON file
// can. A runtime config.json, a systemd unit and a SeccompProfile hold
// more than the profile; includes, excludes and archMap (and an LXC
// policy's per-host sections) would be resolved away for one host; and
// another format would change the file's. err is the file's parse error.
func Rewritable(name string, data []byte, to Format) (why string, err error) {
	f := Detect(data)
	p, _, err := Parse(name, data, f)
	if err != nil {
		return "", err
	}
	switch {
	case f == OCI && bytes.Contains(data, []byte(`"ociVersion"`)):
		return "an OCI runtime config holds more than the profile, and would be replaced by the profile alone (convert --oci-config patches one)", nil
	case f == Systemd:
		return "a systemd unit or drop-in holds other settings, and would be rewritten as its seccomp settings alone", nil
	case f == SPO:
		return "a SeccompProfile's object metadata would be rewritten", nil
	case f == LXC:
		return "an LXC policy's per-host sections would be resolved for this host", nil
	case p.Conditional():
		return "the profile's includes, excludes or archMap would be resolved for this host", nil
	case to != "" && to != f:
		return fmt.Sprintf("the %s file would be rewritten as %s", f, to), nil
	}
	return "", nil
}

// RewritableRef is Rewritable for the profile ref names, as Open reads
// it: a built-in profile cannot be rewritten at all. err is the error of
// reading or parsing the file.
func RewritableRef(ref string, to Format) (why string, err error) {
	data, err := os.ReadFile(ref)
	if errors.Is(err, os.ErrNotExist) && IsBuiltin(ref) {
		return "a built-in profile cannot be changed", nil
	}
	if err != nil {
		return "", err
	}
	return Rewritable(ref, data, to)
}

// NeedsResolve tells whether p must be resolved for a host (Docker's
// includes, excludes and archMap) before it is written in format f, or
// into an OCI runtime config.json when config: OCI JSON holds them, a
// config.json and the other formats do not, except the archMap a format
// gives every profile it reads itself (NativeArchMap).
func NeedsResolve(p *profile.Profile, f Format, config bool) bool {
	if !p.Conditional() {
		return false
	}
	if f == OCI && !config {
		return false
	}
	for _, r := range p.Rules {
		if !r.Includes.IsZero() || !r.Excludes.IsZero() {
			return true
		}
	}
	return !slices.EqualFunc(p.ArchMap, NativeArchMap(f), func(a, b profile.ArchMapEntry) bool {
		return a.Arch == b.Arch && slices.Equal(a.Sub, b.Sub)
	})
}
