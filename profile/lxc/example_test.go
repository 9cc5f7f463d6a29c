package lxc_test

import (
	"fmt"

	"github.com/syscage/syscage/profile/lxc"
)

func Example() {
	p, err := lxc.Parse("app.seccomp", []byte(`2
denylist
[all]
kexec_load errno 1
# no forced unmounts
umount2 errno 13 [1,1,&=,1]
[x86_64]
uselib kill
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range p.Rules {
		fmt.Println(r.Names, r.Action, r.Conds, r.Includes.Arches)
	}
	_, err = lxc.Parse("bad.seccomp", []byte("2\ndenylist\nmount errno 1 [0,1,=~]\n"))
	fmt.Println(err)
	// Output:
	// [kexec_load] ERRNO(1) [] []
	// [umount2] ERRNO(13) [arg1 & 0x1 == 0x1] []
	// [uselib] KILL_THREAD [] [x86_64]
	// bad.seccomp:3:20: unknown operator "=~" (want SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ or !=, <, <=, ==, >=, >, &=)
}
