"""The composition root: builds every client and task from the settings, and runs them."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Callable, Coroutine, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web

from acd.live import AcdStore, InboundAcd, MemoryStore, RedisStore
from acd.live.spy import CallSpy
from acd.live.sql import AcdConfigStore, agent_config
from atende.auth import UserStore
from atende.crm_runtime import build_crm
from atende.db import make_engine, upgrade
from atende.desk.screen_pop import ScreenPop
from atende.desk.service import AgentDesk
from atende.erp_runtime import build_erp
from atende.floor import FloorHub, FloorSource, RedisWatch
from atende.operations import MeteredAsteriskLink, Operations
from atende.passwords import PasswordPool
from atende.settings import Settings, unknown_env_names
from atende.web.app import build_app
from atende.web.campaign_support import CampaignsWeb
from atende.web.erp_support import ErpApi
from atende.web.sessions import sign_in_policy
from campaigns.dialer.acd_handoff import AcdHandoff
from campaigns.dialer.callbacks import SqlCallbackStore
from campaigns.dialer.originate import DialerDialplan
from campaigns.dialer.plan import StoredPlans
from campaigns.dialer.runtime import Dialer, PlanSource
from campaigns.dialer.sql import SqlDialerStore
from campaigns.domain.errors import CampaignError
from campaigns.sql.campaign_store import SqlCampaignStore
from crm_sync.adapters.outcome_refresh import refreshing_views
from erp_bridge.outbox.worker import OutboxWorker
from ivr import CallbackAccepted, CallerRouted, default_menu, did_menu
from ivr.agi_route import InboundIvr
from ivr.callback_offer import CallbackOffer
from telephony.agi import AgiServer
from telephony.ami import AmiAuthenticationError
from telephony.known_channels import KnownChannelCheck
from telephony.tasks import cancel_and_wait

log = structlog.get_logger("atende.wiring")

ROUTED_BACKLOG = 10_000

#: a task run beside the engine's own (``make demo``'s simulated agents): built from the
#: started engine, cancelled when it stops
Companion = Callable[["Engine"], Coroutine[Any, Any, None]]


class Engine:
    """Every long-lived part of the engine, started and stopped together."""

    def __init__(
        self,
        settings: Settings,
        campaign_plans: PlanSource | None = None,
        dial_on_start: Sequence[int | str] = (),
        companions: Sequence[Companion] = (),
    ) -> None:
        self.settings = settings
        self.companions = tuple(companions)
        self.dial_on_start: tuple[int | str, ...] = tuple(dial_on_start)  # started with it
        self.db = make_engine(settings.database_url)
        #: where the dialer reads campaigns (the stored ones; tests may give their own)
        self.campaign_plans: PlanSource = campaign_plans or StoredPlans(SqlCampaignStore(self.db))
        self.users = UserStore(
            self.db, PasswordPool(settings.password_workers, cost=settings.password_hash_cost)
        )
        self.erp = build_erp(settings, self.db)
        self.crm = build_crm(settings, self.db, self.erp)
        self.routed: asyncio.Queue[CallerRouted] = asyncio.Queue(ROUTED_BACKLOG)
        did_menus = {
            did: did_menu(queue, settings.ivr_tax_id_prompt)
            for did, queue in settings.ivr_did_queues.items()
        }
        self.link = MeteredAsteriskLink.from_settings(settings, show_ended_for=5.0)
        # a FastAGI session comes from a configured Asterisk, for a channel it has
        self.known_channels = KnownChannelCheck(
            self.link,
            wait=settings.agi_channel_wait,
            hosts={server.name: server.host for server in settings.ami_servers},
        )
        self.agi = AgiServer(
            {
                "inbound": InboundIvr(
                    default_menu(settings.ivr_tax_id_prompt),
                    self._enqueue_routed,
                    menus_by_did=did_menus,
                ),
                "callback-offer": CallbackOffer(self._callback_accepted),
            },
            host=settings.agi_host,
            port=settings.agi_port,
            command_timeout=settings.agi_command_timeout,
            allowed_peers=settings.agi_allowed_peers,
            accept=self.known_channels,
        )
        self.acd_config = AcdConfigStore(self.db)
        self.acd_state: AcdStore = (
            RedisStore(settings.redis_url, settings.redis_key_prefix)
            if settings.redis_url
            else MemoryStore()
        )
        self.acd: InboundAcd | None = None
        first_server = settings.ami_servers[0].name if settings.ami_servers else "pbx1"
        self.spy = CallSpy(self.link, first_server)
        self.dialer: Dialer | None = None
        self.desk: AgentDesk | None = None
        self.screen_pop: ScreenPop | None = None
        self.ops = Operations.build(
            db=self.db,
            link=self.link,
            agi=self.agi,
            acd=lambda: self.acd,
            redis_url=settings.redis_url,
        )
        self.redis_watch = RedisWatch(
            self.ops.redis.ping if self.ops.redis is not None else None, self._floor_changed
        )
        self.floor = FloorHub(
            FloorSource(self.link, lambda: self.acd, self.redis_watch, self.spy.sessions)
        )
        self.link.subscribe(lambda _: self.floor.changed())
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def _floor_changed(self) -> None:
        self.floor.changed()

    def _call_channels(self, linkedid: str) -> list[str]:
        """The uniqueids of a call's live channels (the IVR reports its channel's)."""
        tracker = self.link.tracker
        found = (tracker.call(server, linkedid) for server in tracker.servers)
        return [uniqueid for call in found if call is not None for uniqueid in call.channels]

    def _enqueue_routed(self, event: CallerRouted) -> None:
        if event.caller:  # read the caller's customers before an agent is offered the call
            self.crm.warm_up.warm(event.caller, call_id=event.uniqueid)
        if event.tax_id:  # a CPF/CNPJ typed in the IVR: its customer pops first
            self.crm.warm_up.warm_tax_id(event.tax_id, call_id=event.uniqueid)
        try:
            self.routed.put_nowait(event)
        except asyncio.QueueFull:
            log.error("caller_routed_dropped", uniqueid=event.uniqueid, queue=event.queue)

    def _callback_accepted(self, event: CallbackAccepted) -> None:
        if self.acd is None:
            log.error("callback_accepted_without_acd", uniqueid=event.uniqueid)
            return
        self.acd.callback_accepted(event)

    async def _consume_routed(self) -> None:
        while True:
            event = await self.routed.get()
            log.debug(
                "caller_routed",
                uniqueid=event.uniqueid,
                caller=event.caller,
                queue=event.queue,
                digits=event.digits,
            )
            if self.acd is not None:
                self.acd.caller_routed(event)

    @property
    def http_port(self) -> int:
        """The bound HTTP port (useful when configured as 0)."""
        assert self._runner is not None
        port: int = self._runner.addresses[0][1]
        return port

    async def start(self) -> None:
        """Migrate, then start FastAGI, the consumers and the HTTP server."""
        for name in unknown_env_names():
            log.warning("unknown_setting", name=name)
        await asyncio.to_thread(upgrade, self.settings.database_url)
        await self.ops.start()
        await self.agi.start()
        await self.link.start()
        await self._start_acd()
        await self.spy.open()
        await self._start_dialer()
        assert self.acd is not None
        self.desk = AgentDesk(self.acd, self.crm.views, self.acd_config, self.db, controls=self.acd)
        self.screen_pop = ScreenPop(
            self.desk,
            self.acd.feed,
            self.crm.warm_up,
            self._call_channels if self.settings.ivr_tax_id_prompt else None,
        )
        await self.screen_pop.start()
        assert self.acd is not None
        self.acd.watch(self.floor.changed)
        self._tasks.append(asyncio.create_task(self.floor.run(), name="floor"))
        self._tasks.append(asyncio.create_task(self.redis_watch.run(), name="floor-redis"))
        self._tasks.append(asyncio.create_task(self._consume_routed(), name="caller-routed"))
        erp = refreshing_views(self.erp.port, self.crm.views)  # outcomes refresh the view
        outbox = OutboxWorker(self.db, erp).run(asyncio.Event())
        self._tasks.append(asyncio.create_task(outbox, name="erp-outbox"))
        self._tasks.append(asyncio.create_task(self.crm.run(asyncio.Event()), name="crm"))
        for companion in self.companions:
            self._tasks.append(asyncio.create_task(companion(self), name="companion"))
        erp_api = ErpApi(erp, self.db, self.erp.embedded)
        self._runner = web.AppRunner(
            build_app(
                self.users,
                self.link.live_calls_view,
                erp_api,
                acd=self.acd,
                acd_config=self.acd_config,
                ops=self.ops,
                site_zone=ZoneInfo(self.settings.site_timezone),
                sign_in=sign_in_policy(self.settings),
                customers=self.crm.views,
                access_log=self.settings.http_access_log,
                spy=self.spy,
                campaigns=CampaignsWeb(
                    self.db,
                    dialer=self.dialer,
                    figures=self.dialer,
                    erp=erp_api.port,
                    preview=self.dialer,
                ),
                desk=self.desk,
                floor=self.floor,
            ),
            access_log=None,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.http_host, self.settings.http_port)
        await site.start()
        log.info("engine_started", http_port=self.http_port, agi_port=self.agi.port)

    async def _start_acd(self) -> None:
        """Queues from the database; state restored from the store; optional auto-login."""
        settings = self.settings
        server = settings.ami_servers[0].name if settings.ami_servers else "pbx1"
        auto_login = (
            [agent_config(row) for row in await self.acd_config.agents()]
            if settings.acd_login_on_start
            else []
        )
        self.acd = InboundAcd(
            self.link,
            await self.acd_config.queues(),
            self.acd_state,
            server=server,
            tick_interval=settings.acd_tick_interval,
            no_answer_pause=settings.acd_no_answer_pause,
            vip_callers=settings.acd_vip_callers,
            log_writer=self.acd_config.append_log,
            log_loader=self.acd_config.queue_log,
            log_entered=self.acd_config.entered,
            auto_login=auto_login,
            engine_id=settings.acd_engine_id,
            lease_ttl=settings.acd_lease_ttl,
            max_backlog=settings.acd_max_backlog,
            max_calls=settings.acd_max_calls,
            did_queues=settings.ivr_did_queues,
            site_zone=ZoneInfo(settings.site_timezone),
        )
        await self.acd.start()

    async def _start_dialer(self) -> None:
        """The dialer runtime: campaigns' calls through AMI, answered people to the ACD."""
        assert self.acd is not None
        settings = self.settings
        self.dialer = Dialer(
            self.link,
            AcdHandoff(self.acd),
            SqlDialerStore(self.db),
            self.campaign_plans,
            server=self.acd.server,
            dialplan=DialerDialplan(channel=settings.dialer_channel),
            tick_interval=settings.dialer_tick_interval,
            max_lines=settings.dialer_max_lines,
            callbacks=SqlCallbackStore(self.db),
        )
        await self.dialer.open()
        stored = await SqlCampaignStore(self.db).all()
        running: list[int | str] = [c.id for c in stored if c.status == "running"]
        for campaign_id in [*self.dial_on_start, *running]:
            try:
                await self.dialer.start(campaign_id)
            except CampaignError as exc:
                log.error("dialer_campaign_not_started", campaign=campaign_id, error=str(exc))

    async def stop(self) -> None:
        """Stop everything started, in reverse order."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self.dialer is not None:
            await self.dialer.close()
        await cancel_and_wait(self._tasks)
        await self.spy.close()
        if self.screen_pop is not None:
            await self.screen_pop.stop()
        if self.acd is not None:
            await self.acd.stop()
        await self.acd_state.close()
        await self.agi.stop()
        self.known_channels.close()
        await self.link.stop()
        await self.crm.close()
        await self.erp.close()
        await self.ops.stop()
        await self.db.dispose()
        log.info("engine_stopped")


async def run_engine(
    settings: Settings,
    stop: asyncio.Event | None = None,
    campaign_plans: PlanSource | None = None,
    dial_on_start: Sequence[int | str] = (),
    companions: Sequence[Companion] = (),
) -> int:
    """Run the engine until SIGINT/SIGTERM (or ``stop``)."""
    stop = stop or _stop_on_signals()
    engine = Engine(settings, campaign_plans, dial_on_start, companions)
    try:
        await engine.start()
    except AmiAuthenticationError as exc:
        log.error("ami_login_refused", error=str(exc))
        await engine.stop()
        return 3
    except OSError as exc:  # a port of ours is taken (another engine running?)
        log.error("engine_bind_failed", error=str(exc))
        await engine.stop()
        return 2
    settle_memory()
    try:
        await stop.wait()
    finally:
        await engine.stop()
    return 0


#: the collector's thresholds once started: young collections every 20,000 allocations (not
#: 700), a full one after 100 middle ones (not 10)
GC_THRESHOLDS = (20_000, 20, 100)


def settle_memory() -> None:
    """Once the engine has started: what it built is kept for its whole life, so it leaves
    the collector's care (``gc.freeze``), and the collector runs less often. With Python's
    defaults, full collections came every few seconds under load and each stopped the event
    loop for 130 to 550 ms on a shared machine (a screen-pop waited that long); with these,
    the bench saw no full collection in its run and no pause over 85 ms."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
