package formats

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/spo"
	"github.com/syscage/syscage/profile/systemd"
)

// Open reads the profile ref names: a built-in profile when ref is a
// bare name (no '/' and no extension, such as docker-default), else a
// file in any format (f, or told from its content when f is ""). A file
// is never read for a bare name, so a file in the working directory
// cannot stand in for a built-in: a bare name that is also a file there
// is an error naming both ways to pick, and a bare name that is only a
// file there is an error saying to write ./NAME.
func Open(ref string, f Format) (*profile.Profile, Format, error) {
	p, f, _, err := OpenWarn(ref, f)
	return p, f, err
}

// OpenWarn is Open, with the warnings of ParseWarn.
//
// A file read as systemd settings is read with its drop-ins, as systemd
// reads a unit (systemd.DropIns, systemd.ParseFiles): the files
// NAME.d/*.conf beside it are merged after it, in the order of their
// names, and their errors and warnings name the drop-in.
func OpenWarn(ref string, f Format) (*profile.Profile, Format, []string, error) {
	if isBare(ref) {
		_, serr := os.Stat(ref)
		file := serr == nil || !errors.Is(serr, os.ErrNotExist)
		if _, err := builtin.Get(ref); err != nil {
			if file {
				return nil, "", nil, fmt.Errorf("%s: not a built-in profile (%s); for the file in the working directory write ./%s", ref, strings.Join(builtin.Names(), ", "), ref)
			}
			return nil, "", nil, fmt.Errorf("%s: not a built-in profile (%s); a file needs a path, such as ./%s", ref, strings.Join(builtin.Names(), ", "), ref)
		}
		if file {
			return nil, "", nil, fmt.Errorf("%s: both a built-in profile and a file in the working directory; write ./%s for the file, or rename the file to use the built-in", ref, ref)
		}
		p, err := builtin.Get(ref)
		return p, OCI, nil, err
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return nil, "", nil, err
	}
	if f == Systemd || f == "" && Detect(data) == Systemd {
		// A unit as installed: systemd merges its drop-ins into it.
		drop, err := systemd.DropIns(ref)
		if err != nil {
			return nil, "", nil, err
		}
		if len(drop) > 0 {
			p, ws, err := systemd.ParseFiles(append([]systemd.File{{Name: ref, Data: data}}, drop...)...)
			var warnings []string
			for _, w := range ws {
				warnings = append(warnings, w.String())
			}
			return p, Systemd, warnings, err
		}
	}
	p, f, warnings, err := ParseWarn(ref, data, f)
	if f == SPO && errors.Is(err, spo.ErrNoBase) {
		// The operator finds a base profile among the cluster's, as
		// kubectl apply -f DIR gives them: look beside the file.
		p, err = spoWithSiblings(ref, data, err)
	}
	return p, f, warnings, err
}

// spoWithSiblings reads the SeccompProfile ref, whose data names a base
// profile not in it, with its bases looked up in the YAML files of its
// directory (spo.Resolve). A file there that is no SeccompProfile is
// passed over; when the base is found nowhere, notFound is the error.
func spoWithSiblings(ref string, data []byte, notFound error) (*profile.Profile, error) {
	own, err := spo.DecodeList(ref, data)
	if err != nil || len(own) != 1 {
		return nil, notFound
	}
	items := own
	dir := filepath.Dir(ref)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, notFound
	}
	self, _ := os.Stat(ref)
	var unread []error
	for _, e := range entries {
		name := filepath.Join(dir, e.Name())
		if ext := filepath.Ext(name); ext != ".yaml" && ext != ".yml" || !e.Type().IsRegular() {
			continue
		}
		if st, err := os.Stat(name); err != nil || self != nil && os.SameFile(st, self) {
			continue
		}
		d, err := os.ReadFile(name)
		if err != nil || Detect(d) != SPO {
			continue
		}
		more, err := spo.DecodeList(name, d)
		if err != nil {
			unread = append(unread, err)
			continue
		}
		items = append(items, more...)
	}
	p, err := spo.Resolve(items, 0)
	if errors.Is(err, spo.ErrNoBase) && len(unread) > 0 {
		err = fmt.Errorf("%w (and %d SeccompProfile file(s) beside it do not read: %v)", err, len(unread), unread[0])
	}
	return p, err
}

// IsBuiltin reports whether ref is the bare name of a built-in profile,
// which Open never reads as a file (nor should a caller read a
// directory of that name).
func IsBuiltin(ref string) bool {
	return isBare(ref) && slices.Contains(builtin.Names(), ref)
}

// isBare reports whether ref names a built-in profile rather than a
// file: no path separator and no extension.
func isBare(ref string) bool {
	return ref != "" && !strings.ContainsRune(ref, '/') && filepath.Ext(ref) == ""
}
