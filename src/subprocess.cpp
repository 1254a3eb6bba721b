#include "aio/subprocess.hpp"

#include "backend/sys.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <system_error>

#include "aio/combinators.hpp"
#include "aio/executor.hpp"
#include "aio/locks.hpp"
#include "aio/sockets.hpp"

extern char** environ;

namespace aio {

struct Process::State {
    int pid = -1;
    int pidfd = -1;  // -1: reaped by a waiting thread instead
    std::optional<int> returncode;
    Event exited;
    ~State() { close_pidfd(); }
    // The loop has watched it: its registration must go before the number is reused.
    void close_pidfd() noexcept {
        if (pidfd < 0) return;
        if (EventLoop* loop = detail::running_loop) loop->forget_fd(pidfd);
        detail::sys::close_fd(std::exchange(pidfd, -1));
    }
};

namespace {

[[noreturn]] void throw_errno(int err, const std::string& what) {
    throw std::system_error(err, std::generic_category(), what);
}

// An fd closed when it goes out of scope unless released.
struct OwnedFd {
    int fd = -1;
    OwnedFd() = default;
    OwnedFd(const OwnedFd&) = delete;
    OwnedFd& operator=(const OwnedFd&) = delete;
    ~OwnedFd() {
        if (fd >= 0) detail::sys::close_fd(fd);
    }
    int release() noexcept { return std::exchange(fd, -1); }
};

int decode_status(int status) noexcept {
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return WEXITSTATUS(status);
}

// (A child someone else reaped, ECHILD, reads as status 0.)
int wait_blocking(int pid) noexcept {
    const int status = detail::sys::wait_child(pid);
    return status < 0 ? 0 : status;
}

// Threads for children reaped without a pidfd: one blocks in waitpid per running child (as
// Python's ThreadedChildWatcher). Never destroyed: at exit its threads may still be blocked.
ThreadPoolExecutor& child_waiters() {
    static auto* executor = new ThreadPoolExecutor(1024);
    return *executor;
}

bool pidfd_disabled() {
    const char* v = std::getenv("AIO_NO_PIDFD");
    return v && v[0] == '1';
}

// Until it has exited, the child is killed if this frame goes away (its loop shuts down, or
// the reaper is cancelled): a child is never left running unwatched, nor a zombie.
struct KillIfRunning {
    Process::State& state;
    ~KillIfRunning() {
        if (state.returncode) return;
        detail::sys::signal_process(state.pid, -1, SIGKILL);
        if (state.pidfd >= 0) state.returncode = decode_status(wait_blocking(state.pid));
        // (Without a pidfd the waiting thread reaps it.)
    }
};

Task<> reap_when_exited(std::shared_ptr<Process::State> state) {
    KillIfRunning guard{*state};
    int status;
    if (state->pidfd >= 0) {
        co_await wait_readable(state->pidfd);  // a pidfd is readable once the child has exited
        status = wait_blocking(state->pid);
    } else {
        const int pid = state->pid;
        auto wait_for_child = [pid] { return wait_blocking(pid); };
        status = co_await run_in_executor(child_waiters(), wait_for_child);
    }
    state->returncode = decode_status(status);
    state->close_pidfd();
    state->exited.set();
}

Process spawn(const std::vector<std::string>& args, const ProcessOptions& options) {
    const std::string& program = args.at(0);
    const Stdio modes[3] = {options.in, options.out, options.err};
    if (modes[0] == Stdio::stdout_ || modes[1] == Stdio::stdout_)
        throw std::invalid_argument("Stdio::stdout_ is only for stderr");

    OwnedFd parent_end[3];
    OwnedFd child_end[3];
    for (int i = 0; i < 3; ++i) {
        if (modes[i] != Stdio::pipe) continue;
        int p[2];
        if (const int r = detail::sys::make_pipe(p, O_CLOEXEC); r < 0) throw_errno(-r, "pipe2");
        const bool is_stdin = i == 0;
        child_end[i].fd = is_stdin ? p[0] : p[1];
        parent_end[i].fd = is_stdin ? p[1] : p[0];
        // Only the parent's end: the child gets an ordinary blocking pipe.
        if (const int r = detail::sys::adopt_fd(parent_end[i].fd); r < 0) throw_errno(-r, "fcntl");
    }
    if (modes[0] == Stdio::pipe) detail::sys::ignore_sigpipe();

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    struct Cleanup {
        posix_spawn_file_actions_t* actions;
        posix_spawnattr_t* attr;
        ~Cleanup() {
            posix_spawn_file_actions_destroy(actions);
            posix_spawnattr_destroy(attr);
        }
    } cleanup{&actions, &attr};

    for (int i = 0; i < 3; ++i) {
        switch (modes[i]) {
            case Stdio::inherit:
                break;
            case Stdio::pipe:  // (dup2 clears close-on-exec on the copy)
                posix_spawn_file_actions_adddup2(&actions, child_end[i].fd, i);
                break;
            case Stdio::devnull:
                posix_spawn_file_actions_addopen(&actions, i, "/dev/null",
                                                 i == 0 ? O_RDONLY : O_WRONLY, 0);
                break;
            case Stdio::stdout_:
                posix_spawn_file_actions_adddup2(&actions, 1, 2);
                break;
        }
    }
    if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());

    // The child starts with no signal blocked, and SIGPIPE / SIGXFSZ at their defaults (Python's
    // restore_signals); handlers the parent installed are reset by exec itself.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGXFSZ);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    std::vector<char*> envp;
    if (options.env) {
        for (const auto& [k, v] : *options.env)
            env_strings.push_back(k + "=" + v);
        for (auto& s : env_strings)
            envp.push_back(s.data());
        envp.push_back(nullptr);
    }
    char** child_env = options.env ? envp.data() : environ;

    pid_t pid = -1;
    // glibc's posix_spawn reports a failed exec (and chdir) as its result, in the parent.
    const bool search = program.find('/') == std::string::npos;
    const int rc = detail::sys::spawn_process(&pid, program.c_str(), search, &actions, &attr,
                                              argv.data(), child_env);
    if (rc < 0) throw_errno(-rc, "cannot run '" + program + "'");

    auto state = std::make_shared<Process::State>();
    state->pid = pid;
    if (!pidfd_disabled()) {
        const int fd = detail::sys::open_pidfd(pid);
        if (fd >= 0) state->pidfd = fd;
    }
    create_task(reap_when_exited(state));

    std::optional<StreamWriter> in;
    std::optional<StreamReader> out, err;
    if (parent_end[0].fd >= 0) in = detail::pipe_writer(parent_end[0].release());
    if (parent_end[1].fd >= 0) out = detail::pipe_reader(parent_end[1].release(), options.limit);
    if (parent_end[2].fd >= 0) err = detail::pipe_reader(parent_end[2].release(), options.limit);
    return Process(std::move(state), std::move(in), std::move(out), std::move(err));
}

Task<> feed(std::optional<StreamWriter> stdin_pipe, std::string input) {
    if (!stdin_pipe) co_return;
    StreamWriter& writer = *stdin_pipe;
    try {
        if (!input.empty()) {
            writer.write(input);
            co_await writer.drain();
        }
    } catch (const std::system_error& e) {
        // The child exited (or closed stdin) without reading everything: not an error.
        if (e.code().value() != EPIPE && e.code().value() != ECONNRESET) throw;
    }
    writer.close();
}

Task<std::optional<std::string>> read_to_eof(std::optional<StreamReader> reader) {
    if (!reader) co_return std::nullopt;
    co_return co_await reader->read();
}

}  // namespace

Process::Process(std::shared_ptr<State> state, std::optional<StreamWriter> in,
                 std::optional<StreamReader> out, std::optional<StreamReader> err)
    : state_(std::move(state)), in_(std::move(in)), out_(std::move(out)), err_(std::move(err)) {}

int Process::pid() const noexcept {
    return state_->pid;
}

std::optional<int> Process::returncode() const noexcept {
    return state_->returncode;
}

Task<int> Process::wait() {
    auto state = state_;
    while (!state->returncode)
        co_await state->exited.wait();
    co_return *state->returncode;
}

Task<Process::Output> Process::communicate() {
    return communicate(std::string());
}

Task<Process::Output> Process::communicate(std::string input) {
    auto results =
        co_await gather(feed(in_, std::move(input)), read_to_eof(out_), read_to_eof(err_));
    co_await wait();
    co_return Output{std::move(std::get<1>(results)), std::move(std::get<2>(results))};
}

void Process::send_signal(int sig) {
    if (state_->returncode) throw_errno(ESRCH, "send_signal: the process has exited");
    // Through the pidfd, the signal cannot reach another process that reused the pid.
    if (const int r = detail::sys::signal_process(state_->pid, state_->pidfd, sig); r < 0)
        throw_errno(-r, "send_signal");
}

void Process::terminate() {
    send_signal(SIGTERM);
}

void Process::kill() {
    send_signal(SIGKILL);
}

StreamWriter& Process::in() {
    if (!in_) throw RuntimeError("the process's stdin is not a pipe (ProcessOptions::in = PIPE)");
    return *in_;
}

StreamReader& Process::out() {
    if (!out_)
        throw RuntimeError("the process's stdout is not a pipe (ProcessOptions::out = PIPE)");
    return *out_;
}

StreamReader& Process::err() {
    if (!err_)
        throw RuntimeError("the process's stderr is not a pipe (ProcessOptions::err = PIPE)");
    return *err_;
}

Task<Process> detail::spawn_process(std::vector<std::string> argv, ProcessOptions options) {
    co_return spawn(argv, options);
}

Task<Process> create_subprocess_shell(std::string_view cmd) {
    return create_subprocess_shell(cmd, ProcessOptions{});
}

Task<Process> create_subprocess_shell(std::string_view cmd, const ProcessOptions& options) {
    return detail::spawn_process({"/bin/sh", "-c", std::string(cmd)}, options);
}

}  // namespace aio
