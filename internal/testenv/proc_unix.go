//go:build unix

package testenv

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// setProcAttrs makes cmd start in its own process group, so that signals
// sent to the group reach the interpreter and anything it spawns, and a
// terminal's Ctrl-C does not race with our own shutdown.
func setProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(cmd.SysProcAttr)
}

// terminate asks the process group led by p to exit (SIGTERM).
func terminate(p *os.Process) error { return signalGroup(p, syscall.SIGTERM) }

// kill kills the process group led by p (SIGKILL).
func kill(p *os.Process) error { return signalGroup(p, syscall.SIGKILL) }

// signalGroup sends sig to the process group led by p. A group that no
// longer exists is not an error.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	err := syscall.Kill(-p.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// groupExists reports whether any process of the group led by pid exists.
func groupExists(pid int) bool {
	err := syscall.Kill(-pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// processGone reports whether no process pid exists.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
