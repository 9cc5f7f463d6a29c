// goserver is a small Go HTTP service for the acceptance test: it serves
// the files of a directory and has a command injection (/exec?cmd=...),
// the attack a profile must block.
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: goserver ADDR DIR")
		os.Exit(2)
	}
	http.Handle("/", http.FileServer(http.Dir(os.Args[2])))
	http.HandleFunc("/exec", func(w http.ResponseWriter, r *http.Request) {
		out, err := exec.Command("/bin/sh", "-c", r.URL.Query().Get("cmd")).CombinedOutput()
		fmt.Fprintf(w, "%s%v\n", out, err)
	})
	if err := http.ListenAndServe(os.Args[1], nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
