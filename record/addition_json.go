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
	// Other calls the edit lets run as well, as "abi name".
	Beyond []string `json:"beyond,omitempty"`
	Why    string   `json:"why,omitempty"`
	// Recorded with argument values, added for any.
	AnyArgs bool `json:"anyArgs,omitempty"`
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
	var beyond []string
	for _, b := range a.Beyond {
		beyond = append(beyond, b.String())
	}
	return json.Marshal(additionJSON{Arch: a.Arch.String(), Name: a.Name, Added: a.Added,
		Undenied: oneBased(a.Undenied), Wider: oneBased(a.Wider), Guards: oneBased(a.Guards), Beyond: beyond, Why: a.Why, AnyArgs: a.AnyArgs})
}
