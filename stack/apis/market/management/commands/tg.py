"""The (pretend) Telegram bot: `python manage.py tg`.

It takes updates from the Redis list tg:updates (db 0), spends TG_UPDATE_SECONDS on each,
and on SIGTERM (`docker stop`) finishes the update in hand before exiting with code 0.
That takes up to TG_UPDATE_SECONDS: hence `stop_grace_period: 20s` in the compose file.
Progress is kept in the Redis hash tg:progress (shown by /status/).
"""
import json
import logging
import os
import signal
import time

import redis
from django.conf import settings
from django.core.management.base import BaseCommand

from apis.market.keys import TG_NEXT_ID, TG_PROGRESS, TG_QUEUE

log = logging.getLogger("tg")


class Command(BaseCommand):
    help = "Run the tg bot: handle updates from the Redis list tg:updates until SIGTERM."
    requires_system_checks = []  # start fast; the bot needs no Django checks

    def handle(self, *args, **options):
        self.r = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
        self.stopping = False
        self.current = None  # the update in hand, if any
        signal.signal(signal.SIGTERM, self.on_signal)  # docker stop
        signal.signal(signal.SIGINT, self.on_signal)   # Ctrl-C

        done = 0
        self.progress(state="idle", current_update="", updates_done=0,
                      pid=os.getpid(), started_at=time.time())
        log.info("bot started (pid %d), waiting for updates on %s", os.getpid(), TG_QUEUE)

        while not self.stopping:
            try:
                popped = self.r.brpop(TG_QUEUE, timeout=1)  # wait 1 s at most, then re-check
            except redis.exceptions.ConnectionError as exc:
                log.warning("cannot reach Redis (%s), retrying", exc)
                time.sleep(1)
                continue
            if popped is None:
                continue
            if self.stopping:  # SIGTERM came while we were waiting: leave it for next time
                self.r.rpush(TG_QUEUE, popped[1])
                break
            update = self.parse(popped[1])
            uid = update["update_id"]
            seconds = float(update.get("seconds", settings.TG_UPDATE_SECONDS))

            self.current = uid
            self.progress(state="working", current_update=uid)
            log.info("update %s started (%r, %.0fs)", uid, update.get("text", ""), seconds)
            time.sleep(seconds)  # the "work"; a signal does not cut it short
            done += 1
            self.current = None
            self.progress(state="idle", current_update="", updates_done=done,
                          last_done_update=uid, last_done_at=time.time())
            log.info("update %s done (%d done so far)", uid, done)

        self.progress(state="stopped", current_update="")
        log.info("shutting down cleanly after %d updates", done)
        # returning from handle() ends the process with exit code 0

    def on_signal(self, signum, frame):
        self.stopping = True
        name = signal.Signals(signum).name
        if self.current is None:
            log.info("got %s while idle: exiting", name)
        else:
            log.info("got %s during update %s: finishing it first, then exiting", name, self.current)

    def progress(self, **fields):
        """Record progress in the hash tg:progress; a Redis hiccup must not kill the bot."""
        try:
            self.r.hset(TG_PROGRESS, mapping=fields)
        except redis.exceptions.ConnectionError as exc:
            log.warning("could not record progress (%s)", exc)

    def parse(self, raw):
        """An update is JSON like {"update_id": 7, "text": "hi", "seconds": 5};
        anything else (e.g. `redis-cli LPUSH tg:updates hello`) becomes the text of a new update."""
        try:
            update = json.loads(raw)
            if isinstance(update, dict) and "update_id" in update:
                return update
        except ValueError:
            pass
        return {"update_id": self.r.incr(TG_NEXT_ID), "text": raw}
