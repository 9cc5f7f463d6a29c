package arch

//go:generate go run ./internal/gen -in data/syscalls.csv -out zsyscalls.go
//go:generate go run ./internal/genargs -in data/syscall_args.txt -out zargs.go
