package main

import (
	"bytes"
	"testing"

	"github.com/syscage/syscage/arch/internal/gencmd"
)

// TestGeneratedTablesUpToDate regenerates the tables from the committed
// input and fails if the committed zsyscalls.go differs in any byte.
func TestGeneratedTablesUpToDate(t *testing.T) {
	if err := gencmd.UpToDate(generate, "../../data/syscalls.csv", "../../zsyscalls.go", "arch/zsyscalls.go"); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateRejectsBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"no header":   "read,0\n",
		"bad number":  "#syscall (v1),x86,x86_kver\nread,abc,SCMP_KV_3_0\n",
		"short row":   "#syscall (v1),x86,x86_kver\nread,3\n",
		"negative nr": "#syscall (v1),x86,x86_kver\nread,-3,SCMP_KV_3_0\n",
	} {
		if _, err := generate(bytes.NewBufferString(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
