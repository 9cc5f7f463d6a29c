package spo_test

import (
	"strings"
	"testing"

	"github.com/syscage/syscage/profile/spo"
)

const list = `apiVersion: v1
kind: List
items:
- apiVersion: security-profiles-operator.x-k8s.io/v1beta1
  kind: SeccompProfile
  metadata: {name: a, namespace: ns}
  spec:
    defaultAction: SCMP_ACT_ERRNO
    syscalls:
    - action: SCMP_ACT_ALLOW
      names: [read]
- apiVersion: security-profiles-operator.x-k8s.io/v1
  kind: SeccompProfile
  metadata: {name: b, namespace: ns}
  spec:
    defaultAction: SCMP_ACT_LOG
`

func TestList(t *testing.T) {
	items, err := spo.DecodeList("l.yaml", []byte(list))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Meta.Name != "a" || items[1].Meta.Name != "b" || len(items[0].Profile.Rules) != 1 {
		t.Fatalf("items %+v", items)
	}
	if _, err := spo.Parse("l.yaml", []byte(list)); err == nil || !strings.Contains(err.Error(), "l.yaml:1:1: a List of 2 SeccompProfiles (ns/a, ns/b)") {
		t.Errorf("Parse of a List of two: %v", err)
	}
	one := list[:strings.Index(list, "- apiVersion: security-profiles-operator.x-k8s.io/v1\n")]
	p, err := spo.Parse("l.yaml", []byte(one))
	if err != nil || len(p.Rules) != 1 {
		t.Errorf("Parse of a List of one: %v", err)
	}
	bad := strings.Replace(list, "kind: SeccompProfile\n  metadata: {name: b", "kind: AppArmorProfile\n  metadata: {name: b", 1)
	if _, err := spo.DecodeList("l.yaml", []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "l.yaml:13:9: kind must be SeccompProfile") {
		t.Errorf("List with another kind: %v", err)
	}
}
