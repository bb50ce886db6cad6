"""What the three collectors share: the Redis list names, the push loop, clean SIGTERM."""
import json
import logging
import os
import random
import signal
import time

import redis

# The three sources; each pushes to the Redis list "collected:<source>" (database 1).
SOURCES = ("liquidations", "collector", "klines_socket")
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
MAX_WAITING = 10_000  # keep at most this many records per list if nobody moves them


def list_key(source):
    return f"collected:{source}"


class Prices:
    """A random walk per symbol, so the synthetic prices look like a market."""

    def __init__(self):
        self.price = {"BTCUSDT": 60_000.0, "ETHUSDT": 3_000.0, "SOLUSDT": 150.0}

    def next(self, symbol):
        self.price[symbol] *= 1 + random.gauss(0, 0.001)
        return round(self.price[symbol], 2)


def run(source, make_record, every=1.0):
    """Push make_record() to Redis every `every` seconds until SIGTERM (or Ctrl-C)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger(source)
    url = os.environ.get("REDIS_URL", "redis://redis:6379/1")
    r = redis.Redis.from_url(url)
    key = list_key(source)

    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True
        log.info("got %s, stopping", signal.Signals(signum).name)

    # `docker stop` sends SIGTERM to PID 1. Without a handler, a Python PID 1 would
    # ignore it and be SIGKILLed after the grace period.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    log.info("pid %d pushing to %s (%s) every %.1fs", os.getpid(), key, url, every)
    pushed = 0
    while not stopping:
        record = {"source": source, "ts": time.time(), **make_record()}
        try:
            r.lpush(key, json.dumps(record))
            r.ltrim(key, 0, MAX_WAITING - 1)
            pushed += 1
            if pushed % 10 == 0:
                log.info("%d records pushed, %d waiting in %s", pushed, r.llen(key), key)
        except redis.exceptions.ConnectionError as exc:
            # Redis stopped or restarting: keep trying instead of crashing.
            log.warning("cannot reach Redis (%s), retrying", exc)
        time.sleep(every)
    log.info("stopped cleanly after %d records", pushed)
