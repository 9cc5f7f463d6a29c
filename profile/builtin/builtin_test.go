package builtin_test

import (
	"bytes"
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
