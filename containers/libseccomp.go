package containers

import (
	"bufio"
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
)

//go:embed libseccomp-2.5.4.txt
var libseccomp254 string

// Lacks tells the system calls a runtime's libseccomp does not know on an
// ABI. runc skips a rule whose name its libseccomp cannot resolve on the
// native ABI, and libseccomp leaves a rule out on each ABI where it
// cannot resolve the name; runc's ENOSYS stub counts only the names its
// libseccomp resolves. Nil knows every name of syscage's tables.
type Lacks map[arch.Arch]map[string]bool

// LibseccompVersions are the versions Libseccomp knows.
var LibseccompVersions = []string{"2.5.4"}

// Libseccomp returns the names libseccomp version lacks among those of
// syscage's tables, on the ABIs where the two were compared (the others
// are taken to agree).
func Libseccomp(version string) (Lacks, error) {
	if !slices.Contains(LibseccompVersions, version) {
		return nil, fmt.Errorf("libseccomp %q: unknown version (known: %s)", version, strings.Join(LibseccompVersions, ", "))
	}
	out := Lacks{}
	sc := bufio.NewScanner(strings.NewReader(libseccomp254))
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) == 0 || strings.HasPrefix(w[0], "#") {
			continue
		}
		a, err := arch.Parse(w[0])
		if err != nil || len(w) != 2 {
			return nil, fmt.Errorf("libseccomp-%s.txt: %q: %v", version, sc.Text(), err)
		}
		if out[a] == nil {
			out[a] = map[string]bool{}
		}
		out[a][w[1]] = true
	}
	return out, nil
}
