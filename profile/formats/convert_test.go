package formats_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/profile/harden"
	"github.com/syscage/syscage/profile/oci"
)

var convertEnv = profile.Env{Arch: arch.X86_64, Caps: oci.DefaultCaps, Kernel: "6.18.0"}

func builtinProfile(t *testing.T, name string) *profile.Profile {
	t.Helper()
	p, err := builtin.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConvertLosses converts Docker's default profile to systemd: without
// Lossy nothing is written and the losses say why (and that Lossy would
// write it); with Lossy the same losses come with the unit.
func TestConvertLosses(t *testing.T) {
	p := builtinProfile(t, "docker-default")
	o := formats.ConvertOptions{Env: convertEnv}
	c, err := formats.Convert("docker-default", p, formats.Systemd, o)
	var le *profile.LossError
	if !errors.As(err, &le) {
		t.Fatalf("Convert to systemd: err = %v, want a *profile.LossError", err)
	}
	if c.Data != nil || len(c.Losses) == 0 || !c.LossyWrites {
		t.Fatalf("Convert to systemd: %d bytes, %d losses, LossyWrites %v; want none, some, true", len(c.Data), len(c.Losses), c.LossyWrites)
	}
	o.Lossy = true
	lc, err := formats.Convert("docker-default", p, formats.Systemd, o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lc.Losses, c.Losses) || !strings.Contains(string(lc.Data), "SystemCallFilter=") {
		t.Errorf("lossy: losses %v (want %v), unit:\n%s", lc.Losses, c.Losses, lc.Data)
	}
	// What was written is what Write makes of the resolved profile.
	r, err := p.Resolve(convertEnv)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := formats.Write(r, formats.Systemd, o.Options)
	if err != nil {
		t.Fatal(err)
	}
	if string(lc.Data) != string(want) {
		t.Errorf("Convert wrote\n%s\nWrite of the resolved profile wrote\n%s", lc.Data, want)
	}
}

// TestConvertLossyCannotHelp: no LXC policy covers only the native ABI,
// so not even Lossy writes strict as LXC, and Convert says so.
func TestConvertLossyCannotHelp(t *testing.T) {
	p := builtinProfile(t, "strict")
	for _, lossy := range []bool{false, true} {
		o := formats.ConvertOptions{Env: convertEnv}
		o.Lossy = lossy
		c, err := formats.Convert("strict", p, formats.LXC, o)
		var le *profile.LossError
		if !errors.As(err, &le) || c.Data != nil || c.LossyWrites {
			t.Errorf("lossy %v: err %v, %d bytes, LossyWrites %v; want a LossError, nothing, false", lossy, err, len(c.Data), c.LossyWrites)
		}
	}
}

// TestConvertHarden hardens and denies W^X, in that order, on the
// resolved profile, and reports every change.
func TestConvertHarden(t *testing.T) {
	p := builtinProfile(t, "docker-default")
	c, err := formats.Convert("docker-default", p, formats.OCI, formats.ConvertOptions{Env: convertEnv, Harden: true, WX: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Resolve(convertEnv)
	if err != nil {
		t.Fatal(err)
	}
	h, hc, err := harden.Profile(r, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	w, wc, err := harden.WX(h, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Profile, w) {
		t.Errorf("Convert's profile is not harden.WX(harden.Profile(resolved))")
	}
	if want := append(hc, wc...); len(want) == 0 || !reflect.DeepEqual(c.Hardened, want) {
		t.Errorf("Hardened = %v, want %v", c.Hardened, want)
	}
	want, _, err := formats.Write(w, formats.OCI, formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Data) != string(want) {
		t.Errorf("written profile is not the hardened one:\n%s", c.Data)
	}
}

// TestConvertOCIConfig puts the profile into a config.json, keeping the
// rest, and names the config in its errors.
func TestConvertOCIConfig(t *testing.T) {
	p := builtinProfile(t, "strict")
	config := []byte(`{"ociVersion": "1.0.2", "process": {"args": ["sh"]}, "linux": {}}`)
	o := formats.ConvertOptions{Env: convertEnv, OCIConfig: config, OCIConfigName: "bundle/config.json"}
	c, err := formats.Convert("strict", p, formats.OCI, o)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Process struct{ Args []string }
		Linux   struct {
			Seccomp *struct{ DefaultAction string }
		}
	}
	if err := json.Unmarshal(c.Data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Process.Args[0] != "sh" || got.Linux.Seccomp == nil || got.Linux.Seccomp.DefaultAction != "SCMP_ACT_ERRNO" {
		t.Errorf("patched config:\n%s", c.Data)
	}
	o.OCIConfig = []byte(`{"ociVersion": "1.0.2", "bogus": 1}`)
	if _, err := formats.Convert("strict", p, formats.OCI, o); err == nil || !strings.HasPrefix(err.Error(), "bundle/config.json:") {
		t.Errorf("bad config: err = %v, want one naming bundle/config.json", err)
	}
	if _, err := formats.Convert("strict", p, formats.LXC, o); err == nil {
		t.Error("a config.json took an LXC policy")
	}
}

// TestConversionReport pins the JSON of 'convert --json'.
func TestConversionReport(t *testing.T) {
	c := &formats.Conversion{Format: formats.Systemd, Losses: []profile.Loss{{What: "flags dropped"}, {Rule: 3, What: "socket: no argument conditions"}}}
	b, err := json.Marshal(c.Report("out.service"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"written":"out.service","format":"systemd","losses":[{"what":"flags dropped"},{"rule":3,"what":"socket: no argument conditions"}]}`
	if string(b) != want {
		t.Errorf("report = %s\nwant %s", b, want)
	}
	b, _ = json.Marshal((&formats.Conversion{Format: formats.OCI}).Report(""))
	if want := `{"written":"","format":"oci","losses":[]}`; string(b) != want {
		t.Errorf("empty report = %s, want %s", b, want)
	}
}
