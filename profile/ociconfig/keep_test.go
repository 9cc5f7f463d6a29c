package ociconfig_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/profile/ociconfig"
)

// withoutSeccomp returns config with its "seccomp" member (and the comma
// and white space before it, when it follows another member) cut out,
// found by text, not by the code under test.
func withoutSeccomp(t *testing.T, config []byte) []byte {
	t.Helper()
	key := regexp.MustCompile(`"seccomp"\s*:`)
	all := key.FindAllIndex(config, -1)
	if len(all) != 1 {
		t.Fatalf("want one seccomp member:\n%s", config)
	}
	k := all[0][0]
	v := k + bytes.IndexAny(config[k+len(`"seccomp"`):], "{") + len(`"seccomp"`)
	dec := json.NewDecoder(bytes.NewReader(config[v:]))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	end := v + int(dec.InputOffset())
	start := k
	before := bytes.TrimRight(config[:k], " \t\r\n")
	if bytes.HasSuffix(before, []byte(",")) {
		start = len(before) - 1
	} else if after := bytes.TrimLeft(config[end:], " \t\r\n"); bytes.HasPrefix(after, []byte(",")) {
		end = len(config) - len(after) + 1
	}
	return append(bytes.Clone(config[:start]), config[end:]...)
}

// TestPatchKeepsBytes patches the config.json the installed runc writes
// (`runc spec`), with "terminal": false, which a re-encoding drops: the
// file is the same byte for byte but for the seccomp member, added to
// linux and then replaced in place; the profile reads back; a config
// on one line stays on one line, and two linux members are refused.
func TestPatchKeepsBytes(t *testing.T) {
	runc := testenv.Tool(t, "runc", "runc")
	dir := t.TempDir()
	cmd := exec.Command(runc, "spec")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	config, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	config = bytes.Replace(config, []byte(`"terminal": true`), []byte(`"terminal": false`), 1)
	if !bytes.Contains(config, []byte(`"terminal": false`)) {
		t.Fatal(`runc spec wrote no "terminal": true`)
	}
	p := proftest.DockerDefault(arch.X86_64)
	strict, _ := builtin.Get("strict")

	added, err := ociconfig.Patch("config.json", config, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := withoutSeccomp(t, added); !bytes.Equal(got, config) {
		t.Errorf("adding seccomp changed other bytes:\n%s", added)
	}
	if !bytes.Contains(added, []byte("\n\t\t\"seccomp\": {\n\t\t\t\"defaultAction\"")) {
		t.Errorf("seccomp not indented as linux's members:\n%s", added)
	}
	replaced, err := ociconfig.Patch("config.json", added, strict)
	if err != nil {
		t.Fatal(err)
	}
	if got := withoutSeccomp(t, replaced); !bytes.Equal(got, config) {
		t.Errorf("replacing seccomp changed other bytes:\n%s", replaced)
	}
	q, err := oci.Parse("config.json", replaced)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := builtin.Get("strict")
	for i := range want.Rules {
		want.Rules[i].Comment = ""
	}
	if !reflect.DeepEqual(want, q) {
		t.Errorf("the replaced section reads back otherwise:\n%+v\n%+v", want, q)
	}

	// A config without linux gets one, as its last member; a compact
	// config stays compact.
	compact := []byte(`{"ociVersion":"1.0.2","process":{"terminal":false,"cwd":"/","args":["sh"]},"root":{"path":"rootfs"}}`)
	out, err := ociconfig.Patch("c.json", compact, strict)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("\n")) || !bytes.HasPrefix(out, compact[:len(compact)-1]) || !bytes.HasPrefix(out[len(compact)-1:], []byte(`,"linux": {"seccomp":{`)) {
		t.Errorf("compact config:\n%s", out)
	}
	if _, err := oci.Parse("c.json", out); err != nil {
		t.Errorf("compact config does not read back: %v", err)
	}

	// An empty linux gets seccomp on a line of its own; a null seccomp
	// is replaced.
	for _, in := range []string{
		"{\n  \"ociVersion\": \"1.0.2\",\n  \"linux\": {}\n}\n",
		"{\n  \"ociVersion\": \"1.0.2\",\n  \"linux\": {\"seccomp\": null}\n}\n",
	} {
		out, err := ociconfig.Patch("e.json", []byte(in), strict)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(out, []byte("{\n  \"ociVersion\": \"1.0.2\",\n  \"linux\": {")) || !bytes.HasSuffix(out, []byte("]\n    }\n  }\n}\n")) && !bytes.HasSuffix(out, []byte("]\n  }}\n}\n")) {
			t.Errorf("patching %q:\n%s", in, out)
		}
		if _, err := oci.Parse("e.json", out); err != nil {
			t.Errorf("patching %q does not read back: %v", in, err)
		}
	}

	// Two linux members: runtimes read the last, in any letter case.
	two := bytes.Replace(config, []byte(`"ociVersion"`), []byte(`"Linux": {}, "ociVersion"`), 1)
	if _, err := ociconfig.Patch("config.json", two, strict); err == nil || !strings.Contains(err.Error(), "a second linux member") {
		t.Errorf("two linux members: %v", err)
	}
}
