package cli

import (
	"fmt"

	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

// profileFormats are the formats commands that write profiles accept.
var profileFormats = []string{"oci"}

// checkProfileFormat reports an unknown --format (exit 2).
func checkProfileFormat(format string) error {
	for _, f := range profileFormats {
		if f == format {
			return nil
		}
	}
	return usagef("unknown profile format %q (want one of %v)", format, profileFormats)
}

// formatProfile writes p in format.
func formatProfile(p *profile.Profile, format string) ([]byte, error) {
	switch format {
	case "oci":
		return oci.Format(p)
	}
	return nil, fmt.Errorf("unknown profile format %q", format)
}
