package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedTablesUpToDate regenerates the tables from the committed
// input and fails if the committed zsyscalls.go differs in any byte.
func TestGeneratedTablesUpToDate(t *testing.T) {
	in, err := os.Open("../../data/syscalls.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	got, err := generate(in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../zsyscalls.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("arch/zsyscalls.go is stale: run 'go generate ./arch' and commit the result")
	}
	again, _ := os.Open("../../data/syscalls.csv")
	defer again.Close()
	second, _ := generate(again)
	if !bytes.Equal(got, second) {
		t.Fatal("the generator is not deterministic")
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
