package ociconfig_test

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/profile/ociconfig"
)

// TestPatch puts Docker's default profile, resolved for x86_64, into the
// config.json `runc spec` writes, and reads it back with oci.Parse.
func TestPatch(t *testing.T) {
	config, err := os.ReadFile("testdata/runc-spec.json")
	if err != nil {
		t.Fatal(err)
	}
	p := proftest.DockerDefault(arch.X86_64)
	out, err := ociconfig.Patch("config.json", config, p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := oci.Parse("config.json", out)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Rules {
		p.Rules[i].Comment = "" // the runtime spec has no comments
	}
	if !reflect.DeepEqual(p, q) {
		t.Errorf("oci.Parse(Patch(p)) != p")
	}
	// The rest of the config is kept: patching twice with the same
	// profile changes nothing, and the process is still runc's.
	again, err := ociconfig.Patch("config.json", out, p)
	if err != nil || string(again) != string(out) {
		t.Errorf("patching again: %v", err)
	}
	if !strings.Contains(string(out), `"args": [`) || !strings.Contains(string(out), `"sh"`) {
		t.Error("the process of the config is lost")
	}

	// Unresolved profiles, unknown fields and bad JSON are refused.
	d, _ := builtin.Get("docker-default")
	if _, err := ociconfig.Patch("config.json", config, d); !errors.Is(err, profile.ErrNotExpressible) {
		t.Errorf("unresolved: %v", err)
	}
	bad := strings.Replace(string(config), `"ociVersion"`, `"ociVersoin": "x", "ociVersion"`, 1)
	if _, err := ociconfig.Patch("config.json", []byte(bad), p); err == nil || !strings.Contains(err.Error(), `config.json:2:2: json: unknown field "ociVersoin"`) {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := ociconfig.Patch("config.json", []byte("{\n\t\"ociVersion\": 1\n}"), p); err == nil || !strings.HasPrefix(err.Error(), "config.json:2:") {
		t.Errorf("wrong type: %v", err)
	}
	if _, err := ociconfig.Patch("config.json", []byte("{}"), p); err == nil || !strings.Contains(err.Error(), "no ociVersion") {
		t.Errorf("not a config: %v", err)
	}
}
