// The umbrella header: everything a program needs, as `import asyncio` gives it.
#pragma once
#include "aio/combinators.hpp"
#include "aio/errors.hpp"
#include "aio/future.hpp"
#include "aio/loop.hpp"
#include "aio/runners.hpp"
#include "aio/sleep.hpp"
#include "aio/task.hpp"
#include "aio/task_group.hpp"
#include "aio/tasks.hpp"
#include "aio/time.hpp"
#include "aio/timeouts.hpp"
