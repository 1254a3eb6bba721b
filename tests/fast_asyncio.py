"""Runs an asyncio program with every sleep a thousand times shorter, so that the examples'
Python originals can be compared with aio's output without waiting seconds. Relative order is
kept: every delay is scaled by the same factor."""
import asyncio
import runpy
import sys

_sleep = asyncio.sleep


async def _fast_sleep(delay, result=None):
    return await _sleep(delay / 1000 if delay else delay, result)


asyncio.sleep = _fast_sleep
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
