package builtin

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

//go:embed docker-default.json unconfined.json strict.json
var files embed.FS

var sources = map[string]string{
	"docker-default": "docker-default.json",
	"unconfined":     "unconfined.json",
	"strict":         "strict.json",
}

var descriptions = map[string]string{
	"docker-default": "Docker's default profile (moby's profiles/seccomp/default.json): allows what containers commonly need, by capability, architecture and kernel",
	"unconfined":     "allows every system call, on every ABI of the host (x86 and x32 beside x86_64, ...)",
	"strict":         "a default-deny starter: EPERM for everything but starting, exiting, signals, time, identity, I/O on descriptors and opening files read-only (O_RDONLY, no O_CREAT or O_TRUNC); ioctl only for terminal and descriptor queries (no TIOCSTI); W^X memory; no new processes or threads; native ABI only (under runc 1.1, allow openat with O_WRONLY|O_CLOEXEC for its exec fifo)",
}

// Describe returns a one-line description of the built-in profile name,
// or "".
func Describe(name string) string { return descriptions[name] }

// Names returns the names of the built-in profiles, sorted.
func Names() []string {
	var n []string
	for k := range sources {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Get returns a fresh copy of the built-in profile name. The Docker
// default profile keeps its includes, excludes and archMap; resolve it
// with profile.Resolve (oci.DefaultCaps is Docker's default capability
// set).
func Get(name string) (*profile.Profile, error) {
	file, ok := sources[name]
	if !ok {
		return nil, fmt.Errorf("%w: no built-in profile %q (want one of %s)", profile.ErrInvalid, name, strings.Join(Names(), ", "))
	}
	data, err := JSON(name)
	if err != nil {
		return nil, err
	}
	return oci.Parse("builtin:"+file, data)
}

// JSON returns the built-in profile name as shipped.
func JSON(name string) ([]byte, error) {
	file, ok := sources[name]
	if !ok {
		return nil, fmt.Errorf("%w: no built-in profile %q (want one of %s)", profile.ErrInvalid, name, strings.Join(Names(), ", "))
	}
	return files.ReadFile(file)
}

// Entry is a built-in profile with its description, as 'syscage profile
// list --json' (without the profile) and 'profile show --json' print it.
type Entry struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Profile     json.RawMessage `json:"profile,omitempty"` // as shipped (JSON)
}

// List returns the name and description of every built-in profile,
// sorted by name.
func List() []Entry {
	out := []Entry{}
	for _, n := range Names() {
		out = append(out, Entry{Name: n, Description: Describe(n)})
	}
	return out
}

// Lookup returns the built-in profile name with its description and its
// JSON as shipped.
func Lookup(name string) (Entry, error) {
	data, err := JSON(name)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Name: name, Description: Describe(name), Profile: data}, nil
}
