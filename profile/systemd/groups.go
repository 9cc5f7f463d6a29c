package systemd

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// groupsText is what systemd 252's `systemd-analyze syscall-filter`
// prints; see data/SOURCE.
//
//go:embed data/syscall-groups.txt
var groupsText string

// Group is one of systemd's system-call groups.
type Group struct {
	Name        string   // with its "@", such as "@system-service"
	Description string   // such as "General system service operations"
	Members     []string // system calls and nested @groups, as systemd lists them
}

var (
	groupsOnce sync.Once
	groupList  []Group
	groupIndex map[string]int
	ungrouped  []string
)

func loadGroups() {
	groupIndex = map[string]int{}
	var cur *Group
	inUngrouped := false
	for _, line := range strings.Split(groupsText, "\n") {
		switch {
		case strings.HasPrefix(line, "@"):
			groupList = append(groupList, Group{Name: strings.TrimSpace(line)})
			cur = &groupList[len(groupList)-1]
			inUngrouped = false
		case strings.HasPrefix(line, "# Ungrouped"):
			cur, inUngrouped = nil, true
		case strings.HasPrefix(line, "#   ") && inUngrouped:
			ungrouped = append(ungrouped, strings.TrimSpace(line[1:]))
		case strings.HasPrefix(line, "#"):
			cur, inUngrouped = nil, false
		case strings.HasPrefix(line, "    # ") && cur != nil:
			cur.Description = strings.TrimPrefix(line, "    # ")
		case strings.HasPrefix(line, "    ") && cur != nil:
			cur.Members = append(cur.Members, strings.TrimSpace(line))
		}
	}
	for i, g := range groupList {
		groupIndex[g.Name] = i
	}
}

// Groups returns systemd 252's groups in the order systemd lists them.
func Groups() []Group {
	groupsOnce.Do(loadGroups)
	out := make([]Group, len(groupList))
	for i, g := range groupList {
		out[i] = Group{Name: g.Name, Description: g.Description, Members: slices.Clone(g.Members)}
	}
	return out
}

// Ungrouped returns the system calls systemd 252 knows (@known) but puts
// in no other group.
func Ungrouped() []string {
	groupsOnce.Do(loadGroups)
	return slices.Clone(ungrouped)
}

// LookupGroup returns the group named name ("@aio" or "aio").
func LookupGroup(name string) (Group, bool) {
	groupsOnce.Do(loadGroups)
	if !strings.HasPrefix(name, "@") {
		name = "@" + name
	}
	i, ok := groupIndex[name]
	if !ok {
		return Group{}, false
	}
	g := groupList[i]
	return Group{Name: g.Name, Description: g.Description, Members: slices.Clone(g.Members)}, true
}

// LookupGroups returns the groups names name (LookupGroup), in order,
// and an error for each name that is no group; every group, in
// systemd's order, when names is empty.
func LookupGroups(names ...string) ([]Group, []error) {
	if len(names) == 0 {
		names = GroupNames()
	}
	gs := []Group{}
	var errs []error
	for _, n := range names {
		g, ok := LookupGroup(n)
		if !ok {
			errs = append(errs, unknownGroup(n))
			continue
		}
		gs = append(gs, g)
	}
	return gs, errs
}

func unknownGroup(name string) error {
	return fmt.Errorf("unknown system-call group %q (want one of %s)", name, strings.Join(GroupNames(), ", "))
}

// GroupNames returns the names of the groups, in systemd's order.
func GroupNames() []string {
	groupsOnce.Do(loadGroups)
	var out []string
	for _, g := range groupList {
		out = append(out, g.Name)
	}
	return out
}

// Expand returns the system calls of a group ("@aio"), nested groups
// expanded, sorted and without duplicates.
func Expand(name string) ([]string, error) {
	groupsOnce.Do(loadGroups)
	if !strings.HasPrefix(name, "@") {
		name = "@" + name
	}
	if _, ok := groupIndex[name]; !ok {
		return nil, unknownGroup(name)
	}
	set := map[string]bool{}
	expand(name, set, map[string]bool{})
	out := slices.Sorted(maps.Keys(set))
	return out, nil
}

func expand(name string, set, seen map[string]bool) {
	if seen[name] {
		return
	}
	seen[name] = true
	for _, m := range groupList[groupIndex[name]].Members {
		if strings.HasPrefix(m, "@") {
			expand(m, set, seen)
		} else {
			set[m] = true
		}
	}
}

// MarshalJSON writes g with its full expansion (Expand): {"name",
// "description", "members", "syscalls"}.
func (g Group) MarshalJSON() ([]byte, error) {
	exp, err := Expand(g.Name)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Members     []string `json:"members"`
		Syscalls    []string `json:"syscalls"`
	}{g.Name, g.Description, g.Members, exp})
}

// GroupsText is gs as 'systemd-analyze syscall-filter' prints them:
// each group with its description and members, a blank line between
// groups; with ungrouped, then the calls systemd knows but groups
// nowhere (Ungrouped), as it prints them after all groups.
func GroupsText(gs []Group, ungrouped bool) string {
	var b strings.Builder
	for i, g := range gs {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s\n    # %s\n", g.Name, g.Description)
		for _, m := range g.Members {
			fmt.Fprintf(&b, "    %s\n", m)
		}
	}
	if ungrouped {
		fmt.Fprintf(&b, "\n# Ungrouped System Calls (known but not included in any of the groups except @known):\n")
		for _, n := range Ungrouped() {
			fmt.Fprintf(&b, "#   %s\n", n)
		}
	}
	return b.String()
}
