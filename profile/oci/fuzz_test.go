package oci_test

import (
	"testing"

	"github.com/syscage/syscage/internal/formattest"
)

// FuzzParse: no panic, a nil profile exactly when there is an error, and
// a stable round trip.
func FuzzParse(f *testing.F) {
	formattest.FuzzParse(f, formattest.Glob(f, "testdata/*.json"), codec, nil,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":2,"valueTwo":3,"op":"SCMP_CMP_MASKED_EQ"}]}]}`,
		`{"defaultAction":"SCMP_ACT_TRACE","defaultErrnoRet":65535,"syscalls":[{"name":"x","action":"SCMP_ACT_KILL"}]}`)
}
