"""Runs an asyncio program with every sleep and timeout a thousand times shorter, so that the examples'
Python originals can be compared with aio's output without waiting seconds. Relative order is
kept: every delay is scaled by the same factor."""
import asyncio
import runpy
import sys

SCALE = 1000


def _scaled(delay):
    return delay / SCALE if delay else delay


_sleep, _wait_for, _wait, _timeout = asyncio.sleep, asyncio.wait_for, asyncio.wait, asyncio.timeout


async def _fast_sleep(delay, result=None):
    return await _sleep(_scaled(delay), result)


async def _fast_wait_for(fut, timeout):
    return await _wait_for(fut, _scaled(timeout))


async def _fast_wait(fs, *, timeout=None, return_when=asyncio.ALL_COMPLETED):
    return await _wait(fs, timeout=_scaled(timeout), return_when=return_when)


asyncio.sleep = _fast_sleep
asyncio.wait_for = _fast_wait_for
asyncio.wait = _fast_wait
asyncio.timeout = lambda delay: _timeout(_scaled(delay))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
