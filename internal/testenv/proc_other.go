//go:build !unix

package testenv

import (
	"errors"
	"os"
	"os/exec"
)

// setProcAttrs is a no-op: process groups are a Unix feature.
func setProcAttrs(*exec.Cmd) {}

// terminate kills p; there is no SIGTERM here.
func terminate(p *os.Process) error { return kill(p) }

// kill kills p.
func kill(p *os.Process) error {
	err := p.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// groupExists is not supported here and reports false.
func groupExists(int) bool { return false }

// processGone cannot tell here and reports false.
func processGone(int) bool { return false }
