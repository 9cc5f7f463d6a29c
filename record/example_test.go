package record_test

import (
	"fmt"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/record"
)

// A recording with argument values becomes an allowlist with argument
// rules for them.
func ExampleRecording_Profile() {
	rec := record.New(arch.X86_64)
	rec.Add(arch.X86_64, 0, &[6]uint64{3}, true)           // read
	rec.Add(arch.X86_64, 41, &[6]uint64{1, 0x80001}, true) // socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC)
	rec.Add(arch.X86, 65, nil, true)                       // getpgrp of an i386 program
	rec.Add(arch.X86_64, 231, nil, false)                  // exit_group
	data, err := oci.Format(rec.Profile(record.ProfileOptions{}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(data))
	// Output:
	// {
	// 	"defaultAction": "SCMP_ACT_ERRNO",
	// 	"defaultErrnoRet": 1,
	// 	"architectures": [
	// 		"SCMP_ARCH_X86_64",
	// 		"SCMP_ARCH_X86"
	// 	],
	// 	"syscalls": [
	// 		{
	// 			"names": [
	// 				"exit_group",
	// 				"getpgrp",
	// 				"read"
	// 			],
	// 			"action": "SCMP_ACT_ALLOW"
	// 		},
	// 		{
	// 			"names": [
	// 				"socket"
	// 			],
	// 			"action": "SCMP_ACT_ALLOW",
	// 			"args": [
	// 				{
	// 					"index": 0,
	// 					"value": 1,
	// 					"op": "SCMP_CMP_EQ"
	// 				},
	// 				{
	// 					"index": 1,
	// 					"value": 524289,
	// 					"op": "SCMP_CMP_EQ"
	// 				}
	// 			]
	// 		},
	// 		{
	// 			"names": [
	// 				"clone3",
	// 				"close_range",
	// 				"faccessat2",
	// 				"fchmodat2",
	// 				"openat2",
	// 				"statx"
	// 			],
	// 			"action": "SCMP_ACT_ERRNO",
	// 			"errnoRet": 38,
	// 			"comment": "not called; ENOSYS so that glibc, systemd and runc fall back to the older calls"
	// 		}
	// 	]
	// }
}
