package profile

import (
	"testing"

	"github.com/syscage/syscage/profile/internal/ruletree"
)

// TestTreeConversions: the rule tree gets every action back as it was
// given, tells different actions apart, and reads each comparison as the
// one with the same libseccomp number.
func TestTreeConversions(t *testing.T) {
	seen := map[ruletree.Action]Action{}
	for k := ActKillProcess; k <= ActAllow; k++ {
		for _, data := range []uint16{0, 1, 13, 4094, 0xffff} {
			a := Action{Kind: k, Data: data}
			ta := treeAction(a)
			if got := fromTree(ta); got != a {
				t.Errorf("%v: back from the tree as %v", a, got)
			}
			if b, ok := seen[ta]; ok {
				t.Errorf("%v and %v: one value in the tree", a, b)
			}
			seen[ta] = a
		}
	}
	for o := OpNE; o <= OpMaskedEQ; o++ {
		if got := ruletree.Op(o).String(); got != o.String() {
			t.Errorf("Op %v is %s in the tree", o, got)
		}
	}
	if ruletree.MaxArg != MaxArg {
		t.Errorf("the tree has arguments 0..%d, profiles 0..%d", ruletree.MaxArg, MaxArg)
	}
}
