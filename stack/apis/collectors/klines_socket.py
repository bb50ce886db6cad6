"""Collector of (synthetic) 1-second candles, as a websocket feed would send them:
run with `python -m apis.collectors.klines_socket`."""
import random

from apis.collectors.common import Prices, run

prices = Prices()


def make_record():
    symbol = "BTCUSDT"
    ticks = [prices.next(symbol) for _ in range(5)]  # five trades in this second
    return {
        "symbol": symbol,
        "interval": "1s",
        "open": ticks[0],
        "high": max(ticks),
        "low": min(ticks),
        "close": ticks[-1],
        "volume": round(random.uniform(0.5, 20), 3),
    }


if __name__ == "__main__":
    run("klines_socket", make_record, every=1.0)
