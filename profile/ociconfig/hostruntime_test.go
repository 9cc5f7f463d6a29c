package ociconfig_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syscage/syscage/profile/ociconfig"
)

// TestHostRuntime asks a runc on PATH for its version: the data of that
// version, or the newest with a note when there is none for it or no
// runc at all.
func TestHostRuntime(t *testing.T) {
	all, err := ociconfig.Runtimes()
	if err != nil || len(all) == 0 {
		t.Fatalf("runtimes: %v %v", all, err)
	}
	known := all[0]
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	rt, note, err := ociconfig.HostRuntime(context.Background(), "runc")
	if err != nil || rt == nil || note != "runc is not installed here: adding what "+rt.String()+" needs" {
		t.Errorf("no runc: %v, %q, %v", rt, note, err)
	}
	runc := func(version, commit string) {
		script := "#!/bin/sh\necho 'runc version " + version + "'\necho 'commit: " + commit + "'\n"
		if err := os.WriteFile(filepath.Join(dir, "runc"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	runc(known.Version, known.Commit)
	if rt, note, err := ociconfig.HostRuntime(context.Background(), "runc"); err != nil || rt == nil || rt.File != known.File || note != "" {
		t.Errorf("runc %s: %v, %q, %v; want %v", known.Version, rt, note, err, known)
	}
	runc("0.0.1", "abc")
	rt, note, err = ociconfig.HostRuntime(context.Background(), "runc")
	if err != nil || !strings.HasPrefix(note, "no data for runc 0.0.1 (abc): adding what runc ") {
		t.Errorf("runc 0.0.1: %v, %q, %v", rt, note, err)
	}
	if _, _, err := ociconfig.HostRuntime(context.Background(), "kata"); err == nil {
		t.Error("a runtime without data: no error")
	}
}
