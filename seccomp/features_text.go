package seccomp

import (
	"fmt"
	"strconv"
	"strings"
)

// Text returns f as aligned "key: value" lines in a fixed order, as
// syscage features prints it.
func (f *Features) Text() string {
	var rows [][2]string
	add := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	list := func(s []string) string {
		if s == nil {
			return "unknown"
		}
		return strings.Join(s, " ")
	}

	add("kernel", f.Kernel)
	add("machine", f.Machine)
	arch := f.Arch
	if arch == "" {
		arch = "unknown"
	}
	add("arch", arch)
	for _, c := range f.Compat {
		add("compat "+c.Arch, c.Detection.String())
	}
	add("seccomp", yes(f.Seccomp))
	add("filter mode", yes(f.FilterSupported))
	filters := "unknown"
	if f.Filters >= 0 {
		filters = strconv.Itoa(f.Filters)
	}
	add("this process", fmt.Sprintf("mode %d (%s), %s filters, no_new_privs %s", f.Mode, ModeName(f.Mode), filters, yes(f.NoNewPrivs)))
	add("actions_avail", list(f.ActionsAvail))
	add("actions_logged", list(f.ActionsLogged))
	add("actions", f.Actions.String())
	add("filter flags", f.Flags.String())
	if n := f.NotifSizes; n != nil {
		add("notif sizes", fmt.Sprintf("seccomp_notif=%d seccomp_notif_resp=%d seccomp_data=%d", n.Notif, n.NotifResp, n.Data))
	} else {
		add("notif sizes", "unavailable")
	}
	add("action cache", f.ActionCache.String())
	for _, n := range f.Notes {
		add("note", n)
	}

	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s %s\n", width+1, r[0]+":", r[1])
	}
	return b.String()
}

// ModeName names a seccomp mode (SECCOMP_MODE_*): disabled, strict,
// filter or unknown.
func ModeName(m int) string {
	switch m {
	case SECCOMP_MODE_DISABLED:
		return "disabled"
	case SECCOMP_MODE_STRICT:
		return "strict"
	case SECCOMP_MODE_FILTER:
		return "filter"
	}
	return "unknown"
}

// String lists the supported names in their order, then the others as
// "(not: ...)"; "unknown" when s is empty.
func (s Support) String() string {
	if len(s) == 0 {
		return "unknown"
	}
	var on, off []string
	for _, x := range s {
		if x.Supported {
			on = append(on, x.Name)
		} else {
			off = append(off, x.Name)
		}
	}
	out := strings.Join(on, " ")
	if len(off) > 0 {
		if out != "" {
			out += " "
		}
		out += "(not: " + strings.Join(off, " ") + ")"
	}
	return out
}
