package record

import "encoding/json"

// additionJSON is the JSON form of an Addition.
type additionJSON struct {
	Arch  string `json:"arch"`
	Name  string `json:"name"`
	Added bool   `json:"added"` // false: not added, Guards deny it under conditions
	// 1-based rules: those the name was taken out of, those that allowed
	// it only under conditions, those that deny it under conditions.
	Undenied []int `json:"undenied,omitempty"`
	Wider    []int `json:"wider,omitempty"`
	Guards   []int `json:"guards,omitempty"`
}

// MarshalJSON writes a with its ABI by name and its rules 1-based.
func (a Addition) MarshalJSON() ([]byte, error) {
	oneBased := func(idx []int) []int {
		var r []int
		for _, i := range idx {
			r = append(r, i+1)
		}
		return r
	}
	return json.Marshal(additionJSON{Arch: a.Arch.String(), Name: a.Name, Added: a.Added,
		Undenied: oneBased(a.Undenied), Wider: oneBased(a.Wider), Guards: oneBased(a.Guards)})
}
