package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// version is what --version prints after "syscage ": Version when set
// at link time, else the module version and the VCS revision, date and
// modified flag that go build and go install record in the binary.
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return versionString(Version, bi)
}

func versionString(linked string, bi *debug.BuildInfo) string {
	if bi == nil {
		return linked
	}
	v := linked
	if v == "devel" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version // go install ...@v1.2.3, or a pseudo-version
	}
	var rev, date string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			date = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var extra []string
	if rev != "" {
		r := "revision " + rev
		if date != "" {
			r += " of " + date
		}
		if modified {
			r += ", modified"
		}
		extra = append(extra, r)
	}
	if bi.GoVersion != "" {
		extra = append(extra, bi.GoVersion)
	}
	if len(extra) == 0 {
		return v
	}
	return fmt.Sprintf("%s (%s)", v, strings.Join(extra, "; "))
}
