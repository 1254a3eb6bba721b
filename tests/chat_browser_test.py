"""examples/chat_server's web page in a real browser: headless Chromium (Debian's chromium)
opens the page in two tabs, each joins under its own name and says something, and both tabs
must show both messages; a terminal client in the same room sees both too. Chromium is driven
over its DevTools protocol (a WebSocket, with Python's `websockets`).
  chat_browser_test.py CHAT_SERVER [--screenshot PNG]"""
import asyncio
import base64
import itertools
import json
import os
import re
import shutil
import sys
import tempfile

import websockets

SERVER = sys.argv[1]
SCREENSHOT = sys.argv[sys.argv.index("--screenshot") + 1] if "--screenshot" in sys.argv else None


class DevTools:
    """The browser's DevTools endpoint: commands in, their answers matched by id."""

    def __init__(self, ws):
        self.ws, self.ids, self.answers = ws, itertools.count(1), {}

    async def call(self, method, session=None, **params):
        id = next(self.ids)
        message = {"id": id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self.ws.send(json.dumps(message))
        while id not in self.answers:
            answer = json.loads(await self.ws.recv())
            if "id" in answer:
                self.answers[answer["id"]] = answer
        answer = self.answers.pop(id)
        if "error" in answer:
            raise RuntimeError("%s: %s" % (method, answer["error"]))
        return answer["result"]


async def tab(devtools, url):
    target = await devtools.call("Target.createTarget", url=url)
    attached = await devtools.call("Target.attachToTarget", targetId=target["targetId"],
                                   flatten=True)
    return attached["sessionId"]


async def lines_in(devtools, session):
    result = await devtools.call(
        "Runtime.evaluate", session,
        expression="[...document.querySelectorAll('#log li')].map(li => li.textContent)",
        returnByValue=True)
    return result["result"].get("value") or []


async def wait_for_lines(devtools, session, wanted):
    async with asyncio.timeout(30):
        while True:
            lines = await lines_in(devtools, session)
            if all(w in lines for w in wanted):
                return lines
            await asyncio.sleep(0.1)


async def main():
    chromium = shutil.which("chromium")
    assert chromium, "chromium is not installed (Debian: chromium)"
    server = await asyncio.create_subprocess_exec(
        SERVER, "--port", "0", "--web-port", "0", stdout=asyncio.subprocess.PIPE)
    profile = tempfile.mkdtemp(prefix="aio-chat-chromium-")
    browser = None
    try:
        async with asyncio.timeout(20):
            port = int(re.search(r":(\d+)$", (await server.stdout.readline()).decode()).group(1))
            page = (await server.stdout.readline()).decode().split()[-1]
        # A terminal member, to see the browsers' messages arrive in the room.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.readline()
        writer.write(b"term\n")
        await reader.readline()

        browser = await asyncio.create_subprocess_exec(
            chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-dev-shm-usage", "--remote-debugging-port=0", "--user-data-dir=" + profile,
            "--window-size=720,480", "about:blank", stderr=asyncio.subprocess.PIPE)
        async with asyncio.timeout(60):
            while True:
                line = (await browser.stderr.readline()).decode()
                assert line, "chromium ended before it listened"
                if line.startswith("DevTools listening on "):
                    endpoint = line.split()[-1]
                    break
        async with websockets.connect(endpoint, max_size=None) as ws:
            devtools = DevTools(ws)
            ann = await tab(devtools, page + "?nick=ann")
            await wait_for_lines(devtools, ann, ["* Hello ann. Here: term. Commands: /who, "
                                                 "/nick NEW, /quit; !help for the bot."])
            ben = await tab(devtools, page + "?nick=ben")
            await wait_for_lines(devtools, ann, ["* ben has joined"])
            await wait_for_lines(devtools, ben, ["* Hello ben. Here: ann, term. Commands: /who, "
                                                 "/nick NEW, /quit; !help for the bot."])
            # Each tab types a line and presses Send.
            for session, text in ((ann, "hello from ann"), (ben, "hello from ben")):
                await devtools.call(
                    "Runtime.evaluate", session,
                    expression="document.getElementById('text').value = %s; "
                               "document.querySelector('form button').click()" % json.dumps(text))
            both = ["ann: hello from ann", "ben: hello from ben"]
            ann_lines = await wait_for_lines(devtools, ann, both)
            ben_lines = await wait_for_lines(devtools, ben, both)
            print("ann's tab:", ann_lines)
            print("ben's tab:", ben_lines)
            heard = []
            async with asyncio.timeout(20):
                while not all(w in heard for w in both):
                    heard.append((await reader.readline()).decode().rstrip("\n"))
            if SCREENSHOT:
                shot = await devtools.call("Page.captureScreenshot", ann, format="png")
                with open(SCREENSHOT, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
                print("screenshot:", SCREENSHOT)
        writer.close()
        print("two Chromium tabs and a terminal in one room: ok")
    finally:
        for p in (browser, server):
            if p and p.returncode is None:
                p.kill()
                await p.wait()
        shutil.rmtree(profile, ignore_errors=True)


asyncio.run(main())
