// Subprocesses (asyncio.subprocess): create_subprocess_exec / create_subprocess_shell, and a
// Process whose pipes are streams. Every child is reaped as soon as it exits (through a pidfd the
// loop waits on; on kernels without pidfd, a thread blocked in waitpid), so none is left a
// zombie, whether or not anyone calls wait() (AIO_NO_PIDFD=1 forces the thread, for tests). A child
// still running when its loop shuts down is killed and reaped, as asyncio's transport does on
// close. Every fd aio creates is close-on-exec: a child inherits only its stdin, stdout and stderr.
// SIGPIPE is ignored in the parent once a child has a stdin pipe (a write to a child that has
// exited is an EPIPE error, as in Python), and restored to the default in every child.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aio/streams.hpp"
#include "aio/task.hpp"

namespace aio {

// Where a child's stdin, stdout or stderr goes (asyncio.subprocess.PIPE, DEVNULL, STDOUT; None
// is inherit).
enum class Stdio : unsigned char {
    inherit,  // the parent's own
    pipe,     // a stream in the parent: Process::in() / out() / err()
    devnull,  // /dev/null
    stdout_,  // stderr only: wherever stdout goes
};
inline constexpr Stdio PIPE = Stdio::pipe;
inline constexpr Stdio DEVNULL = Stdio::devnull;
inline constexpr Stdio STDOUT = Stdio::stdout_;

struct ProcessOptions {
    // (Not named stdin/stdout/stderr: those are macros of <cstdio>.)
    Stdio in = Stdio::inherit;
    Stdio out = Stdio::inherit;
    Stdio err = Stdio::inherit;
    std::string cwd;  // empty: the parent's
    // The child's whole environment; nullopt: the parent's.
    std::optional<std::map<std::string, std::string>> env;
    std::size_t limit = kDefaultStreamLimit;  // of the out() and err() readers
};

// asyncio.subprocess.Process. Copies share the child.
class Process {
  public:
    struct State;
    Process(std::shared_ptr<State> state, std::optional<StreamWriter> in,
            std::optional<StreamReader> out, std::optional<StreamReader> err);

    int pid() const noexcept;
    // The exit status once the child has been reaped: >= 0 its exit code, < 0 the signal that
    // killed it (-9 for SIGKILL), as Python's returncode.
    std::optional<int> returncode() const noexcept;
    // Waits for the child to exit; its returncode. (With pipes, the child may block on a full
    // pipe nobody reads: communicate() reads them.)
    Task<int> wait();
    // Writes input to stdin and closes it (if stdin is a pipe), reads stdout and stderr to EOF
    // and waits for the exit: (stdout, stderr), each nullopt unless it is a pipe, as asyncio's
    // None. A child that exits without reading all of its input is not an error.
    using Output = std::pair<std::optional<std::string>, std::optional<std::string>>;
    Task<Output> communicate();
    Task<Output> communicate(std::string input);
    // std::system_error(ESRCH) once the child has been reaped (asyncio's ProcessLookupError).
    void send_signal(int sig);
    void terminate();  // SIGTERM
    void kill();       // SIGKILL

    // The pipes; RuntimeError for one that is not Stdio::pipe.
    StreamWriter& in();
    StreamReader& out();
    StreamReader& err();

  private:
    std::shared_ptr<State> state_;
    std::optional<StreamWriter> in_;
    std::optional<StreamReader> out_;
    std::optional<StreamReader> err_;
};

namespace detail {
// What create_subprocess_exec's arguments say: argv (argv[0] the program) and the options.
struct ExecArgs {
    std::vector<std::string> argv;
    ProcessOptions options;
    void add(std::string_view arg) { argv.emplace_back(arg); }
    void add(const std::vector<std::string>& args) {
        argv.insert(argv.end(), args.begin(), args.end());
    }
    void add(const ProcessOptions& o) { options = o; }
};
Task<Process> spawn_process(std::vector<std::string> argv, ProcessOptions options);
}  // namespace detail

// asyncio.create_subprocess_exec(program, *args): create_subprocess_exec("ls", "-l", dir), with
// ProcessOptions anywhere among the arguments and std::vector<std::string>s spliced in (a
// variadic call, not a braced list: g++ 12 rejects initializer lists inside co_await). program
// is searched in PATH when it has no '/'. The child is running when this returns; a program
// that cannot be run (missing, not executable, a bad cwd) is a std::system_error with its errno
// (ENOENT, EACCES) here, in the parent.
template <class... Args>
Task<Process> create_subprocess_exec(std::string_view program, const Args&... args) {
    detail::ExecArgs a;
    a.add(program);
    (a.add(args), ...);
    return detail::spawn_process(std::move(a.argv), std::move(a.options));
}
// asyncio.create_subprocess_shell(cmd): /bin/sh -c cmd.
Task<Process> create_subprocess_shell(std::string_view cmd);
Task<Process> create_subprocess_shell(std::string_view cmd, const ProcessOptions& options);

}  // namespace aio
