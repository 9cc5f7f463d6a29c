package systemd_test

import (
	"strings"
	"testing"

	"github.com/syscage/syscage/profile/systemd"
)

func TestExecSettingErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"[Service]\nRestrictAddressFamilies=AF_UNIX AF_INTE\n", "x.service:2:33: unknown address family \"AF_INTE\""},
		{"[Service]\nRestrictNamespaces=~net usr\n", "x.service:2:25: unknown namespace type \"usr\""},
		{"[Service]\nLockPersonality=maybe\n", "x.service:2:17: LockPersonality= takes a boolean"},
		{"[Service]\nPersonality=x86\nLockPersonality=yes\n", "x.service:2:13: Personality=x86"},
		{"[Service]\nSystemCallFilter=setns\nRestrictNamespaces=net\n", "x.service:3:20: not expressible in the target format: RestrictNamespaces= denies setns(fd, 0)"},
	} {
		_, err := systemd.Parse("x.service", []byte(tc.in))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %s...", tc.in, err, tc.want)
		}
	}
}

// TestDropins: a drop-in adds to the unit's settings and can reset them,
// as systemd reads NAME.service.d/*.conf after the unit.
func TestDropins(t *testing.T) {
	p, _, err := systemd.ParseFiles(
		systemd.File{Name: "a.service", Data: []byte("[Service]\nSystemCallFilter=~mount\nRestrictAddressFamilies=AF_UNIX\n")},
		systemd.File{Name: "a.service.d/10-more.conf", Data: []byte("[Service]\nSystemCallFilter=~umount2\nRestrictAddressFamilies=\n")},
	)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range p.Rules {
		names = append(names, r.Names...)
	}
	got := strings.Join(names, " ")
	if !strings.Contains(got, "mount") || !strings.Contains(got, "umount2") || strings.Contains(got, "socket") {
		t.Errorf("rules name %s: want mount and umount2 denied, socket not filtered (the drop-in reset RestrictAddressFamilies=)", got)
	}
	_, _, err = systemd.ParseFiles(
		systemd.File{Name: "a.service", Data: []byte("[Service]\nExecStart=/bin/true\n")},
		systemd.File{Name: "a.service.d/x.conf", Data: []byte("[Service]\nSystemCallFilter=@nosuch\n")},
	)
	if err == nil || !strings.HasPrefix(err.Error(), "a.service.d/x.conf:2:18: unknown system-call group") {
		t.Errorf("error in a drop-in: %v", err)
	}
}
