package systemd_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/profile/systemd"
)

// TestGroupsText prints every group and the ungrouped calls, and gets
// back what systemd-analyze syscall-filter printed (the data file the
// groups are read from), up to the calls of the local kernel it listed
// last.
func TestGroupsText(t *testing.T) {
	data, err := os.ReadFile("data/syscall-groups.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := strings.Cut(string(data), "\n# Unlisted System Calls")
	if got := systemd.GroupsText(systemd.Groups(), true); got != want {
		t.Errorf("GroupsText differs from data/syscall-groups.txt")
	}
	g, _ := systemd.LookupGroup("@aio")
	one := systemd.GroupsText([]systemd.Group{g}, false)
	if !strings.HasPrefix(one, "@aio\n    # ") || strings.Contains(one, "Ungrouped") || strings.Count(one, "\n") != len(g.Members)+2 {
		t.Errorf("GroupsText(@aio) =\n%s", one)
	}
}

// TestGroupJSON writes a group with its members and its expansion.
func TestGroupJSON(t *testing.T) {
	g, ok := systemd.LookupGroup("@system-service")
	if !ok {
		t.Fatal("no @system-service")
	}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Name, Description string
		Members, Syscalls []string
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	exp, _ := systemd.Expand(g.Name)
	if got.Name != g.Name || got.Description != g.Description || !slices.Equal(got.Members, g.Members) || !slices.Equal(got.Syscalls, exp) || !slices.Contains(got.Members, "@basic-io") {
		t.Errorf("JSON = %s", b)
	}
}

func TestLookupGroups(t *testing.T) {
	gs, errs := systemd.LookupGroups("aio", "@nope", "@mount", "nah")
	if len(gs) != 2 || gs[0].Name != "@aio" || gs[1].Name != "@mount" || len(gs[0].Members) == 0 {
		t.Errorf("groups %+v", gs)
	}
	if len(errs) != 2 || !strings.HasPrefix(errs[0].Error(), `unknown system-call group "@nope" (want one of @default, `) || !strings.HasPrefix(errs[1].Error(), `unknown system-call group "nah" `) {
		t.Errorf("errors %v", errs)
	}
	all, errs := systemd.LookupGroups()
	if len(errs) != 0 || len(all) != len(systemd.GroupNames()) || all[0].Name != systemd.GroupNames()[0] {
		t.Errorf("every group: %d of %d, %v", len(all), len(systemd.GroupNames()), errs)
	}
	if none, _ := systemd.LookupGroups("x"); none == nil {
		t.Error("no group is nil, want an empty list (JSON [])")
	}
}
