package builtin_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/oci"
)

func TestBuiltins(t *testing.T) {
	for _, name := range builtin.Names() {
		p, err := builtin.Get(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, _ := builtin.JSON(name)
		out, err := oci.Format(p)
		if err != nil {
			t.Fatalf("%s: format: %v", name, err)
		}
		if !bytes.Equal(bytes.TrimSpace(out), bytes.TrimSpace(data)) {
			t.Errorf("%s: Format(Get(%[1]q)) differs from the shipped JSON", name)
		}
	}
	if _, err := builtin.Get("nope"); err == nil {
		t.Error("Get of an unknown name succeeded")
	}
}

// TestListLookup: List names every built-in with its description, and
// Lookup adds the profile as shipped; the JSON of a list entry has no
// profile.
func TestListLookup(t *testing.T) {
	l := builtin.List()
	if len(l) != len(builtin.Names()) {
		t.Fatalf("List has %d entries, Names %d", len(l), len(builtin.Names()))
	}
	for i, e := range l {
		if e.Name != builtin.Names()[i] || e.Description == "" || e.Profile != nil {
			t.Errorf("List()[%d] = %+v", i, e)
		}
		b, err := builtin.Lookup(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := builtin.JSON(e.Name)
		if b.Name != e.Name || b.Description != e.Description || !bytes.Equal(b.Profile, data) {
			t.Errorf("Lookup(%s) = %+v", e.Name, b)
		}
	}
	j, err := json.Marshal(l[0])
	if err != nil || strings.Contains(string(j), `"profile"`) || !strings.HasPrefix(string(j), `{"name":"`+l[0].Name+`","description":`) {
		t.Errorf("list entry JSON = %s, %v", j, err)
	}
	if _, err := builtin.Lookup("nosuch"); err == nil {
		t.Error("Lookup found nosuch")
	}
}
