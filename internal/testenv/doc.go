// Package testenv runs real moto servers (the Python AWS API emulator,
// https://github.com/getmoto/moto, pinned to 5.2.1) and, on request, a real
// LocalStack (localstack-core 2026.3.0) for tests and the demo program.
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
//
// # LocalStack as a second target
//
// A package whose tests should also run against a real LocalStack asks
// Main for one, and runs each test once per target with [ForEachTarget]:
//
//	func TestMain(m *testing.M) {
//		testenv.Main(m, &env, testenv.WithLocalStack("ssm", "kms"))
//	}
//
//	func TestSomething(t *testing.T) {
//		testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
//			_ = tgt.URL() // subtests "moto" (env.Target) and "localstack" (env.LocalStack)
//		})
//	}
//
// [RequireTarget] gets a single target (e.g. LocalStack only). Packages
// that do not ask for LocalStack are unchanged and do not pay for it.
//
// [StartLocalStack] runs the LocalStack community runtime as a plain
// process (`PYTHON -m localstack.runtime.main`, no Docker, no auth token)
// with the interpreter of scripts/setup-localstack.sh's .venv-localstack
// (Python 3.13; see [LocalStackPython]). It binds 127.0.0.1 only, makes no
// outbound connections (no DNS server, no metadata lookups, no downloads),
// and keeps its files in a temporary directory of its own. Measured on 2
// cores: ready about 1.2 s after start (with the service catalog prebuilt by
// the setup script), about 110 MB resident when idle and 250 MB after SSM
// requests.
//
// The community edition cannot reset its state, so [LocalStack.Reset]
// restarts the process on the same port (about 1.1 s); the URL stays the
// same. [Require] and [Env.Reset] only restart it when its request log shows
// that a test changed its state (anything but Get*, Describe*, List*,
// Head*, BatchGet*), so tests that do not write to it cost nothing.
// Independent of the reset, LocalStack keeps state per account (a 12-digit
// access key id selects it) and region.
//
// If LocalStack is not installed (see [LocalStackAvailable]), the
// LocalStack subtests are skipped with instructions, unless CI is set, in
// which case Main fails. AWSREPLICATOR_SKIP_LOCALSTACK=1 turns LocalStack
// off on purpose: its subtests are skipped, also in CI.
package testenv
