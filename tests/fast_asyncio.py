"""Runs an asyncio program on a virtual clock, so that the examples' Python originals can be
compared with aio's output without waiting and without depending on the machine's speed: when
the loop would sleep until its next timer, the clock jumps there instead (as aio's virtual clock
does). Usage: fast_asyncio.py PROGRAM.py [ARGS...]"""
import asyncio
import runpy
import sys


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        super().__init__()
        self._virtual_now = 0.0
        real_select = self._selector.select

        def select(timeout=None):
            if timeout is None:  # nothing scheduled: only I/O can wake us
                return real_select(None)
            events = real_select(0)
            if not events and timeout > 0:
                self._virtual_now += timeout
            return events

        self._selector.select = select

    def time(self):
        return self._virtual_now


class VirtualTimePolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self):
        return VirtualTimeLoop()


asyncio.set_event_loop_policy(VirtualTimePolicy())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
