"""The FastAGI server over real TCP: routing, hangups, timeouts, bad input, stop."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from telephony.agi import AgiHangup, AgiServer, AgiSession

DEAD = "511 Command Not Permitted on a dead channel or intercept routine"


async def _normal_session(server: AgiServer, asterisk: Any, uniqueid: str = "2.2") -> None:
    """A complete, well-behaved session on the ``echo`` route (ANSWER, NOOP)."""
    async with asterisk(server) as side:
        await side.send_environment("echo", uniqueid)
        assert await side.command() == "ANSWER"
        await side.answer("200 result=0")
        assert await side.command() == "NOOP"
        await side.answer("200 result=0")
        assert await side.closed()


async def echo(session: AgiSession) -> None:
    await session.answer()
    await session.noop()


async def test_route_chosen_by_script_name_with_query_and_arguments(
    agi_server: Any, asterisk: Any, environment: Any
) -> None:
    """``agi://host/survey/nps?lang=pt`` runs route ``survey/nps`` with its query and args."""
    seen: list[Any] = []

    async def survey(session: AgiSession) -> None:
        seen.append(session.env)

    server = await agi_server({"survey/nps": survey, "echo": echo})
    lines = environment("survey/nps?lang=pt&queue=vendas", "77.1")
    lines += ["agi_arg_2: second", "agi_arg_1: first value", "agi_custom: x"]
    async with asterisk(server) as side:
        await side.send("".join(f"{line}\n" for line in lines) + "\n")
        assert await side.closed()
    (env,) = seen
    assert env.route == "survey/nps"
    assert dict(env.query) == {"lang": "pt", "queue": "vendas"}
    assert env.args == ("first value", "second")
    assert env.uniqueid == "77.1"
    assert env.channel == "Local/5511999990001@inbound-00000000;2"
    assert env.callerid == "5511999990001"
    assert env.calleridname == "Maria Souza"
    assert env.context == "inbound"
    assert env.extension == "5511999990001"
    assert env.priority == 3
    assert env.dnid is None  # Asterisk says "unknown"
    assert env.accountcode == ""
    assert env.extra == {"custom": "x"}


async def test_hangup_mid_session_ends_the_route_and_server_keeps_serving(
    agi_server: Any, asterisk: Any, log_events: Any
) -> None:
    """A ``HANGUP`` line then ``511`` raise AgiHangup in the route; the session is closed and
    logged with its uniqueid, and the next call is served."""
    reached: list[str] = []

    async def ivr(session: AgiSession) -> None:
        await session.answer()
        played = await session.stream_file("hello-world")
        reached.append(f"played failed={played.failed} hung_up={session.hung_up}")
        await session.get_data("press-1", 3000, 1)
        reached.append("after get data")

    server = await agi_server({"inbound": ivr, "echo": echo})
    async with asterisk(server) as side:
        await side.send_environment("inbound", "10.1")
        assert await side.command() == "ANSWER"
        await side.answer("200 result=0")
        assert await side.command() == 'STREAM FILE hello-world ""'
        await side.answer("200 result=-1 endpos=0", "HANGUP")
        assert await side.command() == "GET DATA press-1 3000 1"
        await side.answer(DEAD)
        assert await side.closed()
    assert reached == ["played failed=True hung_up=False"]
    (ended,) = log_events.named("agi_caller_hung_up")
    assert ended["uniqueid"] == "10.1"
    assert ended["route"] == "inbound"
    await _normal_session(server, asterisk)
    assert log_events.named("agi_session_ended")[-1]["uniqueid"] == "2.2"


async def test_hangup_line_raises_and_nothing_more_is_sent(
    agi_server: Any, asterisk: Any, log_events: Any
) -> None:
    """A ``HANGUP`` line raises AgiHangup even before a 200 answer (which is read and dropped),
    and a route that catches it cannot send more: no command reaches a dead call."""
    seen: list[Any] = []

    async def route(session: AgiSession) -> None:
        try:
            seen.append(await session.get_variable("ROUTE"))
        except AgiHangup:
            seen.append("hangup")
        try:
            await session.set_variable("ROUTE", "queue:vendas")
        except AgiHangup:
            seen.append("not sent")

    server = await agi_server({"inbound": route})
    async with asterisk(server) as side:
        await side.send_environment("inbound", "10.2")
        assert await side.command() == "GET VARIABLE ROUTE"
        await side.answer("HANGUP", "200 result=1 (queue:vendas)")
        assert await side.command() == ""  # closed: SET VARIABLE never sent
    assert seen == ["hangup", "not sent"]
    assert log_events.named("agi_session_ended")[0]["hung_up"] is True


async def test_route_may_run_dead_channel_commands_after_hangup(
    agi_server: Any, asterisk: Any
) -> None:
    """With ``run_after_hangup`` a route reads what Asterisk allows on a dead channel; a
    ``511`` still raises AgiHangup."""
    seen: list[Any] = []

    async def route(session: AgiSession) -> None:
        session.run_after_hangup = True
        seen.append(await session.get_variable("ROUTE"))
        seen.append(session.hung_up)
        try:
            await session.stream_file("goodbye")
        except AgiHangup:
            seen.append("511")

    server = await agi_server({"inbound": route})
    async with asterisk(server) as side:
        await side.send_environment()
        assert await side.command() == "GET VARIABLE ROUTE"
        await side.answer("HANGUP", "200 result=1 (queue:vendas)")
        assert await side.command() == 'STREAM FILE goodbye ""'
        await side.answer(DEAD)
        assert await side.closed()
    assert seen == ["queue:vendas", True, "511"]


async def test_asterisk_closing_the_socket_is_a_hangup(
    agi_server: Any, asterisk: Any, log_events: Any
) -> None:
    """The peer closing mid-command ends the route as a hangup, not as a crash."""
    server = await agi_server({"inbound": echo, "echo": echo})
    async with asterisk(server) as side:
        await side.send_environment("inbound", "11.1")
        assert await side.command() == "ANSWER"
    for _ in range(100):
        if log_events.named("agi_caller_hung_up"):
            break
        await asyncio.sleep(0.02)
    assert log_events.named("agi_caller_hung_up")[0]["uniqueid"] == "11.1"
    assert not log_events.named("agi_route_failed")
    await _normal_session(server, asterisk)


async def test_command_without_answer_times_out(
    agi_server: Any, asterisk: Any, log_events: Any
) -> None:
    """No answer within the per-command timeout: logged, socket closed, server still serving."""
    server = await agi_server({"inbound": echo, "echo": echo}, command_timeout=0.2)
    async with asterisk(server) as side:
        await side.send_environment("inbound", "12.1")
        assert await side.command() == "ANSWER"
        assert await side.closed()
    (timeout,) = log_events.named("agi_command_timeout")
    assert timeout["command"] == "ANSWER"
    assert timeout["uniqueid"] == "12.1"
    await _normal_session(server, asterisk)


async def test_garbage_instead_of_an_environment(
    agi_server: Any, asterisk: Any, log_events: Any
) -> None:
    """Bytes that are not FastAGI: logged, that connection closed, the next call served."""
    server = await agi_server({"echo": echo})
    async with asterisk(server) as side:
        await side.send(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\xff\xfe garbage\r\n\r\n")
        assert await side.closed()
    async with asterisk(server) as side:
        await side.send(b"GET / HTTP/1.1\r\nHost: pbx\r\n\r\n")
        assert await side.closed()
    bad = log_events.named("agi_bad_environment")
    assert len(bad) == 2
    assert "not agi_<name>" in bad[0]["error"]
    await _normal_session(server, asterisk)


async def test_environment_cut_short_too_long_or_too_slow(
    agi_server: Any, asterisk: Any, log_events: Any, environment: Any
) -> None:
    """A truncated environment, an endless line and a stalled peer each end only their session."""
    server = await agi_server({"echo": echo}, line_limit=1024)
    lines = environment("echo")
    async with asterisk(server) as side:
        await side.send("".join(f"{line}\n" for line in lines[:5]))
        side.writer.write_eof()
        assert await side.closed()
    async with asterisk(server) as side:
        await side.send(b"agi_network: " + b"x" * 5000 + b"\n\n")
        assert await side.closed()
    stalled = await agi_server({"echo": echo}, environment_timeout=0.3)
    async with asterisk(stalled) as side:
        await side.send("agi_network: yes\n")
        assert await side.closed()
    assert len(log_events.named("agi_bad_environment")) == 2
    assert len(log_events.named("agi_environment_timeout")) == 1
    await _normal_session(server, asterisk)


async def test_garbage_answer_mid_session(agi_server: Any, asterisk: Any, log_events: Any) -> None:
    """An answer line that is not ``NNN ...`` ends that session with a clear log line."""
    server = await agi_server({"inbound": echo, "echo": echo})
    async with asterisk(server) as side:
        await side.send_environment("inbound", "13.1")
        assert await side.command() == "ANSWER"
        await side.answer("\x00\x01 nonsense")
        assert await side.closed()
    (error,) = log_events.named("agi_protocol_error")
    assert "not an AGI answer" in error["error"]
    assert error["uniqueid"] == "13.1"
    await _normal_session(server, asterisk)


async def test_unknown_route_hangs_up_politely(
    agi_server: Any, asterisk: Any, log_events: Any
) -> None:
    """A script nobody serves: logged, the channel hung up with HANGUP, the socket closed."""
    server = await agi_server({"echo": echo})
    async with asterisk(server) as side:
        await side.send_environment("nosuch?x=1", "14.1")
        assert await side.command() == "HANGUP"
        await side.answer("200 result=1")
        assert await side.closed()
    (unknown,) = log_events.named("agi_unknown_route")
    assert unknown["route"] == "nosuch"
    assert unknown["uniqueid"] == "14.1"
    await _normal_session(server, asterisk)


async def test_exception_in_a_route_is_logged_and_the_server_keeps_serving(
    agi_server: Any, asterisk: Any, log_events: Any
) -> None:
    """A bug in a route: logged with its traceback and uniqueid; the next call is served."""

    async def broken(session: AgiSession) -> None:
        await session.answer()
        raise RuntimeError("queue table missing")

    server = await agi_server({"inbound": broken, "echo": echo})
    async with asterisk(server) as side:
        await side.send_environment("inbound", "15.1")
        assert await side.command() == "ANSWER"
        await side.answer("200 result=0")
        assert await side.closed()
    (failed,) = log_events.named("agi_route_failed")
    assert failed["uniqueid"] == "15.1"
    assert failed["exc_info"] is True
    await _normal_session(server, asterisk)


async def test_plain_function_route(agi_server: Any, asterisk: Any) -> None:
    """A plain (non-async) route runs (panoramisk's wrapper breaks these on Python 3.11)."""
    seen: list[str] = []

    def plain(session: AgiSession) -> None:
        seen.append(session.env.uniqueid)

    server = await agi_server({"inbound": plain})
    async with asterisk(server) as side:
        await side.send_environment("inbound", "16.1")
        assert await side.closed()
    assert seen == ["16.1"]


async def test_uniqueid_bound_to_logs_inside_the_route(
    agi_server: Any, asterisk: Any, log_events: Any
) -> None:
    """What a route logs carries the channel's uniqueid, labelled ``uniqueid``, without
    passing it; the linkedid is not known to FastAGI and is not made up."""

    async def route(session: AgiSession) -> None:
        structlog.get_logger("test").info("route_step")

    server = await agi_server({"inbound": route})
    async with asterisk(server) as side:
        await side.send_environment("inbound", "17.1")
        assert await side.closed()
    (step,) = log_events.named("route_step")
    assert step["uniqueid"] == "17.1"
    assert "linkedid" not in step
    for entry in log_events.entries:
        if entry["event"].startswith("agi_session"):
            assert entry["uniqueid"] == "17.1" and "linkedid" not in entry


async def test_stop_cancels_and_awaits_running_sessions(agi_server: Any, asterisk: Any) -> None:
    """``stop()`` closes the listener and cancels a session waiting on Asterisk, and awaits it."""
    cleaned: list[str] = []
    started = asyncio.Event()

    async def waits(session: AgiSession) -> None:
        started.set()
        try:
            await session.wait_for_digit(-1)
        finally:
            cleaned.append("route finished")

    server = AgiServer({"inbound": waits}, host="127.0.0.1", port=0)
    await server.start()
    port = server.port
    assert port > 0
    async with asterisk(server) as side:
        await side.send_environment()
        assert await side.command() == "WAIT FOR DIGIT -1"
        await started.wait()
        assert server.active_sessions == 1
        await server.stop()
        assert cleaned == ["route finished"]
        assert server.active_sessions == 0
        assert await side.closed()
    try:
        await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        pass
    else:
        raise AssertionError("the server still accepts connections after stop()")


async def test_stop_with_grace_lets_a_session_finish(agi_server: Any, asterisk: Any) -> None:
    """``stop(grace)`` waits for a session that is about to finish instead of cancelling it."""
    finished: list[str] = []

    async def short(session: AgiSession) -> None:
        await session.answer()
        finished.append(session.env.uniqueid)

    server = AgiServer({"inbound": short}, host="127.0.0.1", port=0)
    await server.start()
    async with asterisk(server) as side:
        await side.send_environment("inbound", "18.1")
        assert await side.command() == "ANSWER"
        stopping = asyncio.create_task(server.stop(grace=5))
        await asyncio.sleep(0.05)
        await side.answer("200 result=0")
        await stopping
    assert finished == ["18.1"]


def test_route_names_must_be_unique_and_callable() -> None:
    """Mounting the same script name twice, or a non-callable, is refused at once."""
    server = AgiServer({"inbound": echo})
    try:
        server.add_route("/inbound", echo)
    except ValueError as exc:
        assert "already mounted" in str(exc)
    else:
        raise AssertionError("duplicate route accepted")
    try:
        server.add_route("other", "not a function")  # type: ignore[arg-type]
    except TypeError:
        pass
    else:
        raise AssertionError("non-callable route accepted")
    assert server.routes == ["inbound"]


async def test_caller_names_in_utf8_or_latin1_are_kept(
    agi_server: Any, asterisk: Any, environment: Any
) -> None:
    """A caller name sent in UTF-8 or by a Latin-1 carrier reaches the route as written."""
    seen: list[Any] = []

    async def route(session: AgiSession) -> None:
        seen.append(session.env.calleridname)
        seen.append(await session.get_variable("CALLERID(name)"))

    server = await agi_server({"inbound": route})
    for encoding in ("utf-8", "latin-1"):
        lines = [
            "agi_calleridname: João Conceição" if line.startswith("agi_calleridname") else line
            for line in environment("inbound")
        ]
        async with asterisk(server) as side:
            await side.send(("".join(f"{line}\n" for line in lines) + "\n").encode(encoding))
            assert await side.command() == "GET VARIABLE CALLERID(name)"
            await side.send("200 result=1 (Ana Lúcia)\n".encode(encoding))
            assert await side.closed()
    assert seen == ["João Conceição", "Ana Lúcia"] * 2


async def test_get_data_waits_for_the_caller_beyond_the_command_timeout(
    agi_server: Any, asterisk: Any
) -> None:
    """GET DATA's own timeout is added to the command timeout: a caller who types slowly
    within it is not cut off, while a plain command with the same delay would be."""
    seen: list[Any] = []

    async def route(session: AgiSession) -> None:
        seen.append(await session.get_data("press-1", 1000, 1))

    server = await agi_server({"inbound": route}, command_timeout=0.2)
    async with asterisk(server) as side:
        await side.send_environment()
        assert await side.command() == "GET DATA press-1 1000 1"
        await asyncio.sleep(0.5)
        await side.answer("200 result=3")
        assert await side.closed()
    assert [r.digits for r in seen] == ["3"]


async def test_many_simultaneous_sessions(
    agi_server: Any, environment: Any, log_events: Any
) -> None:
    """200 calls at once are each served to the end; no session is left behind."""
    from telephony.agi.replay import drive_session

    served: list[str] = []

    async def route(session: AgiSession) -> None:
        await session.answer()
        await session.set_variable("ROUTE", "queue:vendas")
        served.append(session.env.uniqueid)

    server = await agi_server({"inbound": route})

    def respond(command: str) -> str:
        return "200 result=0" if command == "ANSWER" else "200 result=1"

    async def call(n: int) -> list[str]:
        lines = environment("inbound", f"500.{n}")
        return await drive_session("127.0.0.1", server.port, lines, respond)

    results = await asyncio.gather(*(call(n) for n in range(200)))
    assert all(r == ["ANSWER", "SET VARIABLE ROUTE queue:vendas"] for r in results)
    assert sorted(served) == sorted(f"500.{n}" for n in range(200))
    for _ in range(100):
        if server.active_sessions == 0:
            break
        await asyncio.sleep(0.01)
    assert server.active_sessions == 0
