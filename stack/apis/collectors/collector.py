"""Collector of (synthetic) ticker snapshots: run with `python -m apis.collectors.collector`."""
import random

from apis.collectors.common import SYMBOLS, Prices, run

prices = Prices()


def make_record():
    symbol = random.choice(SYMBOLS)
    return {
        "symbol": symbol,
        "price": prices.next(symbol),
        "funding_rate": round(random.gauss(0.0001, 0.00005), 6),
        "open_interest": round(random.uniform(1e6, 5e6)),
    }


if __name__ == "__main__":
    run("collector", make_record, every=1.0)
