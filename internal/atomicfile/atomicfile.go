// Package atomicfile writes output files so that a reader never sees a
// half-written one: the data goes to a temporary file beside the target,
// which is renamed into place. On any error the target is left as it was,
// and the error names the target and says why the file could not be
// created there.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Write writes data to path atomically: a temporary file next to the
// target renamed into place, keeping an existing file's mode and
// replacing the file a symbolic link points to rather than the link. A
// path that is not a regular file, such as /dev/stdout, a FIFO or a
// terminal, is written in place: renaming over it would replace the
// device node or the link with a file. Errors name path, never the
// temporary file.
func Write(path string, data []byte) error {
	mode := os.FileMode(0o644)
	target := path
	switch fi, err := os.Stat(path); {
	case err == nil && fi.IsDir():
		return fmt.Errorf("write %s: is a directory; give a file name", path)
	case err == nil && !fi.Mode().IsRegular():
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, unwrapPath(err))
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, unwrapPath(err))
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write %s: %w", path, unwrapPath(err))
		}
		return nil
	case err == nil:
		mode = fi.Mode().Perm()
		if t, err := filepath.EvalSymlinks(path); err == nil {
			target = t
		}
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("write %s: %w", path, createError(filepath.Dir(path), err))
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err := writeAtomic(target, mode, data); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	return nil
}

// Check reports early, before any work, that Write could not write
// path: its directory is missing or not writable, or path is a
// directory. Callers whose work cannot be repeated cheaply (running a
// program under a recorder) call it first.
func Check(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("write %s: is a directory; give a file name", path)
	case err == nil && !fi.Mode().IsRegular():
		return nil // written in place
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("write %s: %w", path, createError(filepath.Dir(path), err))
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if t, err := filepath.EvalSymlinks(path); err == nil {
		path = t
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, createError(dir, err))
	}
	tmp.Close()
	return os.Remove(tmp.Name())
}

// writeAtomic writes data to a temporary file in path's directory and
// renames it to path.
func writeAtomic(path string, mode os.FileMode, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return createError(dir, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// createError says why a file could not be created in dir: dir is
// missing or not a directory, or it is one where this file cannot be
// created (read-only, no permission, a file system such as /proc or
// /sys that takes no new files).
func createError(dir string, err error) error {
	err = unwrapPath(err)
	fi, serr := os.Stat(dir)
	switch {
	case errors.Is(serr, os.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case serr == nil && !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case errors.Is(serr, syscall.ENOTDIR):
		// Name the part of the path that is a file.
		for d := filepath.Dir(dir); d != dir; dir, d = d, filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && !fi.IsDir() {
				return fmt.Errorf("%s is not a directory", d)
			}
		}
		return fmt.Errorf("%s is not a directory", dir)
	case serr != nil:
		return fmt.Errorf("directory %s: %w", dir, unwrapPath(serr))
	case errors.Is(err, os.ErrNotExist):
		// The directory exists: it is on a file system whose directories
		// take no new files.
		return fmt.Errorf("no file can be created in %s: its file system takes no new files", dir)
	}
	return fmt.Errorf("cannot create a file in %s: %w", dir, err)
}

// unwrapPath drops the operation and path of a *PathError or
// *LinkError, which the caller names itself.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
