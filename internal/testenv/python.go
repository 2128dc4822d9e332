package testenv

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ModulePath is the Go module path of this repository; [Python] looks for the
// go.mod that declares it to locate the repository's .venv.
const ModulePath = "github.com/awsreplicator/awsreplicator"

// PythonEnvVar names the environment variable that overrides the Python
// interpreter used to run moto (see [Python]).
const PythonEnvVar = "AWSREPLICATOR_PYTHON"

// motoImportTimeout bounds the "import moto.server, flask" check. A cold
// import of moto can take a few seconds on a slow machine.
const motoImportTimeout = 2 * time.Minute

// Python returns the Python interpreter used to run moto:
//
//  1. $AWSREPLICATOR_PYTHON, if set and non-empty (used as given);
//  2. otherwise <module root>/.venv/bin/python, if it exists, where the
//     module root is found by walking up from the working directory to the
//     first go.mod whose module line is [ModulePath];
//  3. otherwise "python3" looked up in PATH.
//
// It returns an error only when none of these is available.
func Python() (string, error) {
	if p := os.Getenv(PythonEnvVar); p != "" {
		return p, nil
	}
	if root, err := moduleRoot(); err == nil {
		venv := filepath.Join(root, ".venv", "bin", "python")
		if fi, err := os.Stat(venv); err == nil && !fi.IsDir() {
			return venv, nil
		}
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		return "", fmt.Errorf("testenv: no Python interpreter: $%s is not set, no .venv in the module root, and %w", PythonEnvVar, err)
	}
	return p, nil
}

// moduleRoot walks up from the working directory to the directory holding
// the go.mod of [ModulePath]. go.mod files of other modules are skipped.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isModuleRoot(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("testenv: no go.mod for module %s above the working directory", ModulePath)
		}
		dir = parent
	}
}

// isModuleRoot reports whether the go.mod file at path declares [ModulePath].
func isModuleRoot(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		rest, ok := strings.CutPrefix(line, "module")
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		if i := strings.Index(rest, "//"); i >= 0 {
			rest = rest[:i]
		}
		mod := strings.Trim(strings.TrimSpace(rest), "\"`")
		return mod == ModulePath
	}
	return false
}

var (
	motoOnce sync.Once
	motoErr  error
)

// MotoAvailable reports whether the moto server can be run: it returns nil
// if `PYTHON -c "import moto.server, flask"` succeeds, where PYTHON is the
// interpreter chosen by [Python]. Otherwise the error says how to install
// moto. The result is computed once per process and cached.
func MotoAvailable() error {
	motoOnce.Do(func() { motoErr = checkMoto() })
	return motoErr
}

// checkMoto performs the uncached [MotoAvailable] check.
func checkMoto() error {
	py, err := Python()
	if err != nil {
		return motoHint("python3", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), motoImportTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", "import moto.server, flask")
	cmd.Env = childEnv(nil)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if msg := lastLine(string(out)); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return motoHint(py, err)
	}
	return nil
}

// motoHint wraps cause in the installation instructions.
func motoHint(python string, cause error) error {
	return &motoUnavailableError{python: python, cause: cause}
}

// motoUnavailableError is returned by [MotoAvailable]. Its message starts
// with the installation hint; the underlying cause follows.
type motoUnavailableError struct {
	python string
	cause  error
}

func (e *motoUnavailableError) Error() string {
	return fmt.Sprintf("moto server not found for %s: run ./scripts/test (it installs it into .venv), or pip install 'moto[server]==5.2.1' (cause: %v)", e.python, e.cause)
}

func (e *motoUnavailableError) Unwrap() error { return e.cause }

// lastLine returns the last non-empty line of s, which for a Python
// traceback is the exception, e.g. "ModuleNotFoundError: No module named 'moto'".
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

// childEnv returns the environment for a moto process: the current
// environment without MOTO_ACCOUNT_ID (which would override the per-request
// account selection), with Python output unbuffered, plus extra (which wins
// over everything else, so a caller may still set MOTO_ACCOUNT_ID
// explicitly).
func childEnv(extra []string) []string {
	env := make([]string, 0, len(os.Environ())+len(extra)+1)
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MOTO_ACCOUNT_ID=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PYTHONUNBUFFERED=1")
	return append(env, extra...)
}
