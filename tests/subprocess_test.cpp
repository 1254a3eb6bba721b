// Subprocesses: exec and shell, every Stdio mode, exit codes and signals, cwd and env, errors in
// the parent, close-on-exec, and that no child is left a zombie and no fd leaks (200 at once).
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstdlib>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

std::size_t open_fds() {
    std::size_t n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n - 1;  // the directory's own fd
}

// No child of this process exists any more, running or zombie.
bool no_children() {
    int status;
    return ::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

// Pipes this process holds without close-on-exec (from whatever started it).
int inherited_pipes() {
    int n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        const int fd = std::atoi(e->d_name);
        char target[256] = {};
        const std::string link = std::string("/proc/self/fd/") + e->d_name;
        if (::readlink(link.c_str(), target, sizeof target - 1) > 0 &&
            std::string(target).starts_with("pipe:") && !(::fcntl(fd, F_GETFD) & FD_CLOEXEC))
            ++n;
    }
    ::closedir(d);
    return n;
}

aio::ProcessOptions piped_out() {
    aio::ProcessOptions o;
    o.out = aio::PIPE;
    return o;
}

aio::ProcessOptions piped_in_out() {
    aio::ProcessOptions o = piped_out();
    o.in = aio::PIPE;
    return o;
}

AIO_TEST(Subprocess, ExecReadsStdout) {
    auto proc = co_await aio::create_subprocess_exec("echo", "hello", "world", piped_out());
    EXPECT_GT(proc.pid(), 0);
    auto [out, err] = co_await proc.communicate();
    EXPECT_EQ(out, "hello world\n");
    EXPECT_EQ(err, std::nullopt);  // not a pipe: asyncio's None
    EXPECT_EQ(proc.returncode(), 0);
    EXPECT_EQ(co_await proc.wait(), 0);  // again: at once
}

AIO_TEST(Subprocess, ShellExitCodesAndLines) {
    auto proc = co_await aio::create_subprocess_shell(
        "for i in 1 2 3; do echo line $i; done; exit 3", piped_out());
    std::vector<std::string> lines;
    while (true) {
        std::string line = co_await proc.out().readline();
        if (line.empty()) break;
        lines.push_back(line);
    }
    EXPECT_EQ(lines, (std::vector<std::string>{"line 1\n", "line 2\n", "line 3\n"}));
    EXPECT_EQ(co_await proc.wait(), 3);
}

AIO_TEST(Subprocess, StdinRoundTripWithBackPressure) {
    auto proc = co_await aio::create_subprocess_exec("cat", piped_in_out());
    // Far more than a pipe holds (64 KiB) in each direction: communicate must write and read
    // at once.
    std::string input;
    for (int i = 0; input.size() < (1 << 20); ++i)
        input += "line " + std::to_string(i) + "\n";
    auto [out, err] = co_await proc.communicate(input);
    EXPECT_EQ(out->size(), input.size());
    EXPECT_TRUE(out == input);
    EXPECT_EQ(proc.returncode(), 0);
}

AIO_TEST(Subprocess, WritingLineByLine) {
    auto proc = co_await aio::create_subprocess_exec("cat", piped_in_out());
    for (std::string word : {"a\n", "b\n"}) {
        proc.in().write(word);
        co_await proc.in().drain();
        EXPECT_EQ(co_await proc.out().readline(), word);  // streamed: one at a time
    }
    proc.in().write_eof();  // a pipe's EOF: closing it
    EXPECT_EQ(co_await proc.out().read(), "");
    EXPECT_EQ(co_await proc.wait(), 0);
}

AIO_TEST(Subprocess, StderrModes) {
    aio::ProcessOptions separate;
    separate.out = aio::PIPE;
    separate.err = aio::PIPE;
    auto p1 = co_await aio::create_subprocess_shell("echo out; echo err >&2", separate);
    auto [out1, err1] = co_await p1.communicate();
    EXPECT_EQ(out1, "out\n");
    EXPECT_EQ(err1, "err\n");

    aio::ProcessOptions merged;
    merged.out = aio::PIPE;
    merged.err = aio::STDOUT;
    auto p2 = co_await aio::create_subprocess_shell("echo out; echo err >&2", merged);
    auto [out2, err2] = co_await p2.communicate();
    EXPECT_EQ(out2, "out\nerr\n");
    EXPECT_EQ(err2, std::nullopt);
    EXPECT_THROW(p2.err(), aio::RuntimeError);
    EXPECT_THROW(p2.in(), aio::RuntimeError);

    aio::ProcessOptions quiet;
    quiet.in = aio::DEVNULL;
    quiet.out = aio::PIPE;
    quiet.err = aio::DEVNULL;
    auto p3 = co_await aio::create_subprocess_shell("cat; echo gone >&2; echo done", quiet);
    auto [out3, err3] = co_await p3.communicate();
    EXPECT_EQ(out3, "done\n");  // cat read EOF from /dev/null at once; stderr went nowhere
    EXPECT_EQ(err3, std::nullopt);

    aio::ProcessOptions bad;
    bad.out = aio::STDOUT;
    EXPECT_THROW(co_await aio::create_subprocess_exec("true", bad), std::invalid_argument);
}

AIO_TEST(Subprocess, CwdAndEnvironment) {
    aio::ProcessOptions o = piped_out();
    o.cwd = "/tmp";
    o.env = std::map<std::string, std::string>{{"GREETING", "hi"}, {"PATH", "/usr/bin:/bin"}};
    auto proc = co_await aio::create_subprocess_shell("pwd; echo $GREETING; echo ${HOME:-none}", o);
    auto [out, err] = co_await proc.communicate();
    EXPECT_EQ(out, "/tmp\nhi\nnone\n");
}

AIO_TEST(Subprocess, FailuresAreRaisedInTheParent) {
    co_await aio::sleep(0s);
    const std::size_t fds = open_fds();
    try {
        co_await aio::create_subprocess_exec("no-such-program-aio", piped_out());
        ADD_FAILURE() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENOENT);
        EXPECT_NE(std::string(e.what()).find("no-such-program-aio"), std::string::npos);
    }
    char plain[] = "/tmp/aio-not-executable-XXXXXX";  // mode 0600: not executable
    ::close(::mkstemp(plain));
    try {
        co_await aio::create_subprocess_exec(std::string(plain));
        ADD_FAILURE() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EACCES);
    }
    ::unlink(plain);
    aio::ProcessOptions o;
    o.cwd = "/no/such/dir";
    EXPECT_THROW(co_await aio::create_subprocess_exec("true", o), std::system_error);
    EXPECT_EQ(open_fds(), fds);  // the pipes made for them are closed
    EXPECT_TRUE(no_children());
}

AIO_TEST(Subprocess, SignalsAndReturnCodes) {
    auto sleeper = co_await aio::create_subprocess_exec("sleep", "100");
    EXPECT_EQ(sleeper.returncode(), std::nullopt);
    sleeper.kill();
    EXPECT_EQ(co_await sleeper.wait(), -SIGKILL);
    try {
        sleeper.terminate();
        ADD_FAILURE() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ESRCH);  // asyncio's ProcessLookupError
    }
    auto other = co_await aio::create_subprocess_exec("sleep", "100");
    other.terminate();
    EXPECT_EQ(co_await other.wait(), -SIGTERM);
    auto custom = co_await aio::create_subprocess_shell(
        "trap 'exit 7' USR1; echo ready; while :; do sleep 0.01; done", piped_out());
    EXPECT_EQ(co_await custom.out().readline(), "ready\n");  // the trap is set
    custom.send_signal(SIGUSR1);
    EXPECT_EQ(co_await custom.wait(), 7);
}

AIO_TEST(Subprocess, AioFdsAreNotInherited) {
    // Every fd aio makes is close-on-exec: the child sees none of the loop's (epoll or io_uring,
    // eventfd), no socket, no pidfd, and none of another child's pipes. (It may see fds this
    // process inherited itself, from whatever started it.)
    aio::Socket extra = aio::Socket::create(AF_INET);
    auto other = co_await aio::create_subprocess_exec("cat", piped_in_out());
    auto proc = co_await aio::create_subprocess_exec("ls", "-l", "/proc/self/fd", piped_out());
    auto [out, err] = co_await proc.communicate();
    std::istringstream lines(out.value());
    int pipes = 0;
    for (std::string line; std::getline(lines, line);) {
        EXPECT_EQ(line.find("socket:"), std::string::npos) << line;
        EXPECT_EQ(line.find("anon_inode:"), std::string::npos) << line;
        pipes += line.find("pipe:") != std::string::npos;
    }
    EXPECT_GE(pipes, 1);  // its own stdout
    EXPECT_LE(pipes, 1 + inherited_pipes());
    other.kill();
    co_await other.wait();
}

AIO_TEST(Subprocess, TwoHundredChildrenLeaveNoZombieAndNoFd) {
    const std::size_t fds = open_fds();
    std::vector<aio::TaskHandle<aio::Process::Output>> runs;
    std::vector<aio::Process> procs;
    for (int i = 0; i < 200; ++i) {
        aio::ProcessOptions o = piped_in_out();
        o.err = aio::PIPE;
        procs.push_back(co_await aio::create_subprocess_exec("cat", o));
    }
    for (int i = 0; i < 200; ++i)
        runs.push_back(aio::create_task(procs[i].communicate(std::to_string(i))));
    for (int i = 0; i < 200; ++i) {
        auto [out, err] = co_await runs[i];
        EXPECT_EQ(out, std::to_string(i));
        EXPECT_EQ(err, "");  // a pipe, empty
        EXPECT_EQ(procs[i].returncode(), 0);
    }
    runs.clear();
    procs.clear();
    EXPECT_EQ(open_fds(), fds);
    EXPECT_TRUE(no_children());
}

AIO_TEST(Subprocess, UnwaitedChildIsReapedAnyway) {
    int pid;
    {
        auto proc = co_await aio::create_subprocess_exec("true");
        pid = proc.pid();
    }  // dropped without wait()
    // The reaper runs on its own; wait (boundedly) for the child to be gone and the reaper task
    // (which, without pidfd, hears from its waitpid thread a moment after the reaping) to end.
    for (int i = 0; i < 2000 && (::kill(pid, 0) == 0 || aio::all_tasks().size() > 1); ++i) {
        auto pause = [] { std::this_thread::sleep_for(1ms); };
        co_await aio::to_thread(pause);
    }
    EXPECT_NE(::kill(pid, 0), 0);  // neither running nor a zombie: reaped
    EXPECT_TRUE(no_children());
    EXPECT_EQ(aio::all_tasks().size(), 1u);  // this test's own
}

AIO_TEST(Subprocess, CancellingCommunicateLosesNothing) {
    auto proc = co_await aio::create_subprocess_exec("cat", piped_in_out());
    auto talk = aio::create_task(proc.communicate("x"));
    co_await aio::sleep(0s);
    talk.cancel();
    EXPECT_THROW(co_await talk, aio::CancelledError);
    proc.kill();
    EXPECT_EQ(co_await proc.wait(), -SIGKILL);
}

// A loop that ends with a child still running kills and reaps it (asyncio's transport close).
TEST(SubprocessShutdown, RunningChildIsKilledWhenTheLoopEnds) {
    int pid = aio::run([]() -> aio::Task<int> {
        auto proc = co_await aio::create_subprocess_exec("sleep", "100");
        co_return proc.pid();
    }());
    // Without a pidfd, the waiting thread reaps it a moment later.
    for (int i = 0; i < 2000 && ::kill(pid, 0) == 0; ++i)
        std::this_thread::sleep_for(1ms);
    EXPECT_NE(::kill(pid, 0), 0);
    EXPECT_TRUE(no_children());
}

}  // namespace
