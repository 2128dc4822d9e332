// Package testenv runs real moto servers (the Python AWS API emulator,
// https://github.com/getmoto/moto, pinned to 5.2.1) for tests and the demo
// program.
//
// A test environment ([Env]) is a pair of independent moto server processes
// on free loopback ports: Source plays "real AWS" and Target plays the
// emulator that resources are replicated into. Each server is started as
//
//	PYTHON -m moto.server -H 127.0.0.1 -p PORT
//
// in its own process group, binds only 127.0.0.1, and has its output captured
// in memory (see [Server.Logs]).
//
// The Python interpreter is chosen by [Python]: $AWSREPLICATOR_PYTHON, else
// the repository's .venv (created by scripts/setup-python.sh), else python3
// from PATH. [MotoAvailable] reports whether that interpreter can run the
// moto server.
//
// # Usage in tests
//
// Each test package that needs AWS shares one Env between its tests:
//
//	var env *testenv.Env
//
//	func TestMain(m *testing.M) { testenv.Main(m, &env) }
//
//	func TestSomething(t *testing.T) {
//		e := testenv.Require(t, env) // skips if moto is unavailable, resets state
//		_ = e.Source.URL()           // e.g. "http://127.0.0.1:41237"
//	}
//
// [Require] resets both servers, so tests that use the shared Env must not
// call t.Parallel. Packages are still isolated from each other: under
// "go test ./..." every test binary starts its own pair of servers.
//
// When moto is not installed, tests that call [Require] are skipped, unless
// the CI environment variable is set, in which case [Main] fails the test
// binary with installation instructions.
//
// Servers are stopped when [Main] returns from the tests (also after test
// failures), when the test binary gets SIGINT or SIGTERM, and, on Linux, by
// the kernel (parent-death signal) if the test binary dies in any other way,
// e.g. a panic or a "go test -timeout" expiry.
package testenv
