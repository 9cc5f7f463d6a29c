package seccomp

// WithDecisions returns o making Compile emit every conditional system
// call from its Decision.
func WithDecisions(o Options) Options {
	o.decisions = true
	return o
}
